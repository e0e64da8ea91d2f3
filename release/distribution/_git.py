"""Git steps of a hotfix, on a real repository through GitPython.

Each step reads the repository first, decides, and only then writes; a step that finds its
work done reports :attr:`Change.UNCHANGED` and writes nothing. With ``dry_run`` a step reads
and decides the same way but writes nothing at all (no checkout, no index update), and
reports :attr:`Change.PLANNED`. Refusals raise one error type per kind of problem, with the
files, branches and commits named.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from pathlib import Path, PurePosixPath

import git
import semver

from release.config import Component
from release.distribution.errors import (
    CherryPickConflictError,
    GitRefError,
    GpgError,
    PushRejectedError,
    RepositoryStateError,
    TagConflictError,
    TagCreationRefusedError,
)
from release.distribution.manifests import read_manifest
from release.distribution.versions import DistributionVersion
from release.outcome import StepOutcome, acted, unchanged

#: Files git keeps while an operation is half done; a release step never starts on top of one.
_OPERATIONS_IN_PROGRESS = {
    "CHERRY_PICK_HEAD": "a cherry-pick",
    "MERGE_HEAD": "a merge",
    "REVERT_HEAD": "a revert",
    "rebase-merge": "a rebase",
    "rebase-apply": "a rebase or git am",
}
#: How GitHub's rules (GH013) refuse a new ref; a tag burnt by a deleted immutable release
#: is refused this way (opsknight-labs/OpsKnight#318).
_TAG_CREATION_REFUSED = "Cannot create ref due to creations being restricted"
_CREDENTIALS_IN_URL = re.compile(r"(\w+://)[^/@\s]+@")


# -- reading -------------------------------------------------------------------------------


def _status(repo: git.Repo, *arguments: str) -> list[str]:
    """``git status --porcelain`` lines, without the index refresh git status may write."""
    with repo.git.custom_environment(GIT_OPTIONAL_LOCKS="0"):
        return repo.git.status("--porcelain=v1", *arguments).splitlines()


def open_repository(root: Path) -> git.Repo:
    try:
        repo = git.Repo(root)
    except (git.InvalidGitRepositoryError, git.NoSuchPathError):
        raise RepositoryStateError(f"{root} is not a git repository") from None
    if repo.bare:
        raise RepositoryStateError(f"{root} is a bare repository; a release needs a work tree")
    return repo


def resolve_commit(repo: git.Repo, ref: str) -> git.Commit:
    """The commit ``ref`` names (tag, branch, sha), or a GitRefError naming ``ref``."""
    try:
        return repo.commit(ref)
    except (git.BadName, ValueError, git.GitCommandError):
        raise GitRefError(f"{ref!r} does not name a commit in {repo.working_dir}") from None


def tag_names(repo: git.Repo) -> list[str]:
    return [tag.name for tag in repo.tags]


def current_branch(repo: git.Repo) -> str | None:
    """The checked-out branch, or None when HEAD is detached."""
    return None if repo.head.is_detached else repo.active_branch.name


def preflight(repo: git.Repo, *, branches: Collection[str], tolerate: Collection[Path] = ()) -> str:
    """Refuse to start on a dirty tree, a half-done operation, or an unexpected branch.

    Untracked files are allowed: they are in no commit, tag or git-based build. Changes to
    ``tolerate`` (the files a release commit writes) are allowed too, so that a run
    interrupted between writing them and committing can resume. Returns the branch.
    """
    git_dir = Path(repo.git_dir)
    for marker, operation in _OPERATIONS_IN_PROGRESS.items():
        if (git_dir / marker).exists():
            raise RepositoryStateError(
                f"{operation} is in progress in {repo.working_dir}; finish or abort it first"
            )
    branch = current_branch(repo)
    if branch is None:
        raise RepositoryStateError(
            f"HEAD is detached at {repo.head.commit.hexsha[:12]}; check out one of: "
            f"{', '.join(sorted(branches))}"
        )
    if branch not in branches:
        raise RepositoryStateError(
            f"on branch {branch!r}; a release step runs on one of: {', '.join(sorted(branches))}"
        )
    tolerated = {path.as_posix() for path in tolerate}
    changes = [line for line in _status(repo, "--untracked-files=no") if line[3:] not in tolerated]
    if changes:
        listed = ", ".join(line[3:] for line in changes[:10])
        more = f" and {len(changes) - 10} more" if len(changes) > 10 else ""
        raise RepositoryStateError(
            f"the working tree has uncommitted changes ({listed}{more}); commit or stash them first"
        )
    return branch


def changed_files(repo: git.Repo, old: str, new: str) -> list[str]:
    """Files that differ between two commits (``--no-renames``: a move changes both paths)."""
    return repo.git.diff(
        "--name-only",
        "--no-renames",
        resolve_commit(repo, old).hexsha,
        resolve_commit(repo, new).hexsha,
        "--",
    ).splitlines()


def commits_between(repo: git.Repo, tip: str, *, exclude: Sequence[str]) -> list[git.Commit]:
    """Commits reachable from ``tip`` and from none of ``exclude``, oldest first."""
    shas = repo.git.rev_list(
        "--reverse",
        "--topo-order",
        resolve_commit(repo, tip).hexsha,
        "--not",
        *(resolve_commit(repo, ref).hexsha for ref in exclude),
    ).split()
    return [repo.commit(sha) for sha in shas]


def ref_exists(repo: git.Repo, ref: str) -> bool:
    """Whether the full ref name (``refs/heads/x``, ``refs/remotes/origin/x``) exists."""
    return ref in {known.path for known in repo.refs}


def file_at(repo: git.Repo, rev: str, path: str) -> str | None:
    """The text of repository file ``path`` in commit ``rev``; None when it is not there."""
    try:
        blob = resolve_commit(repo, rev).tree / path
    except KeyError:
        return None
    return blob.data_stream.read().decode("utf-8")


def component_version_at(repo: git.Repo, rev: str, component: Component) -> semver.Version | None:
    """The component's version in commit ``rev``; None when its manifest is not there."""
    manifest = PurePosixPath(component.manifest.as_posix())
    text = file_at(repo, rev, manifest.as_posix())
    if text is None:
        return None
    return read_manifest(text, manifest, source=f"{rev}:{manifest}").version


def component_versions(
    repo: git.Repo, components: Iterable[Component], rev: str = "HEAD"
) -> dict[str, str]:
    """Every component's version in ``rev``: the CHANGELOG table, the versions builds stamp."""
    versions = {}
    for component in components:
        version = component_version_at(repo, rev, component)
        if version is None:
            raise GitRefError(f"{component.manifest} is not in {rev} (component {component.name})")
        versions[component.name] = str(version)
    return versions


def main_refs(repo: git.Repo, *, main_branch: str, remote: str) -> list[str]:
    """The local main branch and its remote-tracking copy, those that exist.

    Both count: a local main may lag behind the remote, and the remote copy may be stale.
    """
    candidates = [f"refs/heads/{main_branch}", f"refs/remotes/{remote}/{main_branch}"]
    existing = {ref.path for ref in repo.refs}
    return [ref for ref in candidates if ref in existing]


def commit_timestamp(repo: git.Repo, rev: str = "HEAD") -> int:
    """The committer time of ``rev``: the ``SOURCE_DATE_EPOCH`` of a reproducible build."""
    return resolve_commit(repo, rev).committed_date


# -- writing -------------------------------------------------------------------------------


def ensure_hotfix_branch(
    repo: git.Repo,
    version: DistributionVersion,
    base_tag: str,
    *,
    remote: str,
    dry_run: bool = False,
) -> StepOutcome:
    """Check out ``hotfix/X.Y``: existing local branch, else from the remote, else from the tag."""
    branch = version.branch
    base = resolve_commit(repo, base_tag)
    if branch in repo.heads:
        tip = repo.heads[branch].commit
        if not repo.is_ancestor(base, tip):
            raise RepositoryStateError(
                f"branch {branch} exists but does not contain {base_tag} ({base.hexsha[:12]}); "
                "it was not made for this hotfix"
            )
        if current_branch(repo) == branch:
            return unchanged(f"on {branch} ({tip.hexsha[:12]})")
        if not dry_run:
            repo.git.checkout(branch)
        return acted(dry_run, f"check out {branch} ({tip.hexsha[:12]})")
    tracking = f"refs/remotes/{remote}/{branch}"
    if tracking in {ref.path for ref in repo.refs}:
        if not dry_run:
            repo.git.checkout("-b", branch, "--track", f"{remote}/{branch}")
        return acted(dry_run, f"check out {branch} from {remote}/{branch}")
    if not dry_run:
        repo.git.checkout("-b", branch, base.hexsha)
    return acted(dry_run, f"create {branch} from {base_tag} ({base.hexsha[:12]})")


def bring_in_fixes(
    repo: git.Repo,
    fixes: Sequence[str],
    *,
    base_tag: str,
    branch: str,
    dry_run: bool = False,
) -> list[StepOutcome]:
    """Cherry-pick (``-x``) each fix onto ``branch``, skipping those already there.

    A fix counts as present when it is an ancestor of the branch, when a commit on the
    branch records it in a "(cherry picked from commit ...)" line, or when an equivalent
    patch (same patch-id) is there. A conflict aborts the cherry-pick, leaving the branch
    as it was, and names the files.
    """
    if not dry_run and current_branch(repo) != branch:
        raise RepositoryStateError(f"fixes are brought onto {branch}, not {current_branch(repo)}")
    base = resolve_commit(repo, base_tag)
    outcomes = []
    for ref in fixes:
        fix = resolve_commit(repo, ref)
        if len(fix.parents) > 1:
            raise GitRefError(
                f"{ref} ({fix.hexsha[:12]}) is a merge commit; name the commits it brings in"
            )
        tip = repo.heads[branch].commit if branch in repo.heads else base
        present = already_present(repo, fix, base=base, tip=tip)
        if present is not None:
            outcomes.append(unchanged(f"{_describe(fix)}: {present}"))
        elif dry_run:
            outcomes.append(acted(True, f"cherry-pick {_describe(fix)}"))
        else:
            outcomes.append(_cherry_pick(repo, fix, branch))
    return outcomes


def commit_paths(
    repo: git.Repo, paths: Sequence[Path], message: str, *, dry_run: bool = False
) -> StepOutcome:
    """Commit the changes to ``paths`` (relative to the work tree); nothing changed, no commit."""
    if not paths:
        return unchanged("nothing to commit")
    pending = [line[3:] for line in _status(repo, "--", *(path.as_posix() for path in paths))]
    if not pending:
        return unchanged("nothing to commit")
    if dry_run:
        return acted(True, f"commit {', '.join(pending)}")
    repo.git.add("--", *pending)
    repo.git.commit("-m", message, "--", *pending)
    return acted(False, f"committed {repo.head.commit.hexsha[:12]}: {message.splitlines()[0]}")


def ensure_tag(
    repo: git.Repo,
    tag: str,
    *,
    rev: str = "HEAD",
    message: str,
    gpg_key: str | None = None,
    dry_run: bool = False,
) -> StepOutcome:
    """Create the annotated (GPG-signed with ``gpg_key``) tag at ``rev``.

    The tag at that commit already: nothing to do. The tag at another commit: a hard stop,
    since a released tag is never moved.
    """
    target = resolve_commit(repo, rev)
    if tag in repo.tags:
        existing = repo.tags[tag]
        if existing.commit != target:
            raise TagConflictError(
                f"tag {tag} already exists at {existing.commit.hexsha[:12]}, not at "
                f"{target.hexsha[:12]} ({rev}); a released tag is never moved: release a new "
                "version instead, or delete the stray tag if it was never pushed"
            )
        kind = "annotated" if existing.tag is not None else "lightweight"
        return unchanged(f"tag {tag} ({kind}) already at {target.hexsha[:12]}")
    signing = ["-u", gpg_key] if gpg_key else ["-a"]
    if not dry_run:
        try:
            repo.git.tag(*signing, "-m", message, tag, target.hexsha)
        except git.GitCommandError as failure:
            detail = str(failure.stderr).strip() or "no message"
            if gpg_key:
                raise GpgError(
                    f"signing tag {tag} with GPG key {gpg_key} failed: {detail}"
                ) from None
            raise RepositoryStateError(f"creating tag {tag} failed: {detail}") from None
    signed = f", signed by {gpg_key}" if gpg_key else ""
    return acted(dry_run, f"tag {tag} at {target.hexsha[:12]}{signed}")


def push_release(
    repo: git.Repo, *, remote: str, branch: str, tag: str, dry_run: bool = False
) -> StepOutcome:
    """Push the branch and the tag, atomically, unless the remote has them already.

    A remote tag at another commit, or a remote branch that ours does not contain, is a
    refusal: the push never forces.
    """
    if remote not in [known.name for known in repo.remotes]:
        raise GitRefError(f"no remote {remote!r} in {repo.working_dir}")
    if dry_run and not {f"refs/heads/{branch}", f"refs/tags/{tag}"} <= {r.path for r in repo.refs}:
        return acted(True, f"push {branch} and {tag} to {remote} once they exist")
    local_branch = resolve_commit(repo, f"refs/heads/{branch}")
    local_tag = resolve_commit(repo, f"refs/tags/{tag}")
    remote_refs = _remote_refs(repo, remote, [f"refs/heads/{branch}", f"refs/tags/{tag}*"])
    refspecs = []
    remote_branch = remote_refs.get(f"refs/heads/{branch}")
    if remote_branch != local_branch.hexsha:
        if remote_branch is not None and not _contains(repo, local_branch, remote_branch):
            raise PushRejectedError(
                f"{remote}/{branch} is at {remote_branch[:12]}, which {branch} does not contain; "
                "fetch and reconcile the branches (the release never force-pushes)"
            )
        refspecs.append(f"refs/heads/{branch}:refs/heads/{branch}")
    remote_tag = remote_refs.get(f"refs/tags/{tag}^{{}}") or remote_refs.get(f"refs/tags/{tag}")
    if remote_tag is None:
        refspecs.append(f"refs/tags/{tag}:refs/tags/{tag}")
    elif remote_tag != local_tag.hexsha:
        raise TagConflictError(
            f"tag {tag} on {remote} points at {remote_tag[:12]}, not at {local_tag.hexsha[:12]}; "
            "a released tag is never moved"
        )
    if not refspecs:
        return unchanged(f"{remote} has {branch} and {tag}")
    pushed = ", ".join(
        spec.split(":", 1)[0].removeprefix("refs/heads/").removeprefix("refs/tags/")
        for spec in refspecs
    )
    if not dry_run:
        try:
            with repo.git.custom_environment(GIT_TERMINAL_PROMPT="0"):
                repo.git.push("--atomic", remote, *refspecs)
        except git.GitCommandError as failure:
            said = _redact(str(failure.stderr).strip())
            if f"refs/tags/{tag}" in refspecs[-1] and _TAG_CREATION_REFUSED in said:
                raise TagCreationRefusedError(
                    f"{remote} refuses to create the tag {tag} ({_TAG_CREATION_REFUSED}): on "
                    "GitHub a tag ruleset, or an immutable release that used the tag and was "
                    f"deleted, which burns its name for ever; nothing was pushed (the push is "
                    f"atomic). GitHub said: {said}"
                ) from None
            raise PushRejectedError(f"push of {pushed} to {remote} failed: {said}") from None
    return acted(dry_run, f"push {pushed} to {remote}")


# -- helpers -------------------------------------------------------------------------------


def _describe(commit: git.Commit) -> str:
    subject = str(commit.message).splitlines()[0] if commit.message else ""
    return f"{commit.hexsha[:12]} ({subject})"


def already_present(
    repo: git.Repo, fix: git.Commit, *, base: git.Commit, tip: git.Commit
) -> str | None:
    """Why ``fix`` is already on the branch ending at ``tip``, or None when it is not."""
    if repo.is_ancestor(fix, tip):
        return "already on the branch"
    trailer = f"(cherry picked from commit {fix.hexsha})"
    for commit in repo.iter_commits(f"{base.hexsha}..{tip.hexsha}"):
        if trailer in str(commit.message):
            return f"already cherry-picked as {commit.hexsha[:12]}"
    if fix.parents:
        # `git cherry UPSTREAM HEAD LIMIT` marks with "-" a commit whose patch-id is upstream.
        report = repo.git.cherry(tip.hexsha, fix.hexsha, fix.parents[0].hexsha)
        if report.startswith("-"):
            return "an equivalent change (same patch-id) is already on the branch"
    return None


def _cherry_pick(repo: git.Repo, fix: git.Commit, branch: str) -> StepOutcome:
    try:
        repo.git.cherry_pick("-x", fix.hexsha)
    except git.GitCommandError as failure:
        error = str(failure.stderr).strip()
        conflicts = repo.git.diff("--name-only", "--diff-filter=U").splitlines()
        if (Path(repo.git_dir) / "CHERRY_PICK_HEAD").exists():
            repo.git.cherry_pick("--abort")
        if conflicts:
            raise CherryPickConflictError(
                f"{_describe(fix)} does not apply on {branch}: conflicts in "
                f"{', '.join(conflicts)}; the cherry-pick was aborted and {branch} is unchanged"
            ) from None
        if "is now empty" in error:
            return unchanged(f"{_describe(fix)}: its changes are already in the tree")
        raise RepositoryStateError(
            f"cherry-pick of {_describe(fix)} onto {branch} failed: {error}"
        ) from None
    return acted(False, f"cherry-picked {_describe(fix)} as {repo.head.commit.hexsha[:12]}")


def _remote_refs(repo: git.Repo, remote: str, patterns: Sequence[str]) -> dict[str, str]:
    try:
        with repo.git.custom_environment(GIT_TERMINAL_PROMPT="0"):
            listing = repo.git.ls_remote(remote, *patterns)
    except git.GitCommandError as failure:
        raise PushRejectedError(
            f"cannot read {remote}: {_redact(str(failure.stderr).strip())}"
        ) from None
    refs = {}
    for line in listing.splitlines():
        sha, _, name = line.partition("\t")
        refs[name] = sha
    return refs


def _contains(repo: git.Repo, tip: git.Commit, sha: str) -> bool:
    """Whether ``sha`` is an ancestor of ``tip``; an object we do not have is not."""
    try:
        return repo.is_ancestor(sha, tip)
    except git.GitCommandError:
        return False


def _redact(text: str) -> str:
    """Hide credentials embedded in remote URLs (``https://user:token@host``)."""
    return _CREDENTIALS_IN_URL.sub(r"\1***@", text)


def describe_git_failure(failure: git.GitCommandError) -> str:
    """A failed git command in one line for the operator, credentials hidden."""
    command = " ".join(str(part) for part in failure.command[:3])
    detail = str(failure.stderr).strip().replace("\n", " ") or f"exit status {failure.status}"
    return _redact(f"`{command} ...` failed: {detail}")


# -- forward-port primitives ----------------------------------------------------------------


def cherry_pick_in_progress(repo: git.Repo) -> str | None:
    """The commit a half-done cherry-pick is applying, None when there is none."""
    head = Path(repo.git_dir) / "CHERRY_PICK_HEAD"
    return head.read_text().strip() if head.is_file() else None


def start_cherry_pick(repo: git.Repo, sha: str) -> list[str]:
    """Cherry-pick ``sha`` (``-x``); the conflicted files, empty when it committed cleanly.

    A pick whose changes are already in the tree is skipped (nothing to commit).
    """
    try:
        repo.git.cherry_pick("-x", sha)
    except git.GitCommandError as failure:
        conflicts = repo.git.diff("--name-only", "--diff-filter=U").splitlines()
        if conflicts:
            return conflicts
        if cherry_pick_in_progress(repo) and "is now empty" in str(failure.stderr):
            repo.git.cherry_pick("--skip")
            return []
        raise
    return []


def keep_ours_and_continue(repo: git.Repo, files: Sequence[str]) -> None:
    """Settle the cherry-pick's conflicts in ``files`` with the branch's side, and commit."""
    repo.git.checkout("--ours", "--", *files)
    repo.git.add("--", *files)
    with repo.git.custom_environment(GIT_EDITOR="true"):
        repo.git.cherry_pick("--continue")


def abort_cherry_pick(repo: git.Repo) -> None:
    if cherry_pick_in_progress(repo):
        repo.git.cherry_pick("--abort")


def checkout(repo: git.Repo, branch: str, *, create_from: str | None = None) -> None:
    if create_from is None:
        repo.git.checkout(branch)
    else:
        repo.git.checkout("-b", branch, create_from)


def fast_forward(repo: git.Repo, branch: str, to: str) -> None:
    """Check out ``branch`` and move it to ``to``, which must contain it."""
    repo.git.checkout(branch)
    repo.git.merge("--ff-only", to)


def delete_branch(repo: git.Repo, branch: str) -> None:
    repo.git.branch("-D", branch)


def paths_differ(repo: git.Repo, old: str, new: str, paths: Sequence[str]) -> bool:
    """Whether any file under ``paths`` (git pathspecs, ``:!x`` excludes) differs."""
    return bool(repo.git.diff("--name-only", "--no-renames", old, new, "--", *paths).strip())


def push_branch(repo: git.Repo, *, remote: str, branch: str) -> None:
    """Push ``branch`` as it is (never forced); a rejection names the remote, redacted."""
    try:
        with repo.git.custom_environment(GIT_TERMINAL_PROMPT="0"):
            repo.git.push(remote, f"refs/heads/{branch}:refs/heads/{branch}")
    except git.GitCommandError as failure:
        raise PushRejectedError(
            f"push of {branch} to {remote} failed: {_redact(str(failure.stderr).strip())}"
        ) from None
