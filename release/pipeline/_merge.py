"""Merging a released hotfix branch back into main, never forced.

The one conflict every hotfix meets is expected: main bumped the same component versions
the hotfix did. A hunk whose sides differ only in version numbers is settled by taking the
higher version on each line; any other conflict aborts the merge and is reported.
"""

from __future__ import annotations

import re
from pathlib import Path

import git
import semver

from release.distribution.errors import RepositoryStateError
from release.errors import ReleaseToolError
from release.outcome import Change, StepOutcome

_VERSION = re.compile(r"\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?")
_CONFLICT = re.compile(
    r"^<<<<<<< [^\n]*\n(?P<ours>.*?)^=======\n(?P<theirs>.*?)^>>>>>>> [^\n]*\n",
    re.MULTILINE | re.DOTALL,
)


class MergeConflictError(ReleaseToolError):
    """The merge needs a person: it was aborted and main is unchanged."""


def _higher_version_line(ours: str, theirs: str) -> str | None:
    """The line with the higher version when the two differ only in version numbers."""
    if _VERSION.sub("V", ours) != _VERSION.sub("V", theirs):
        return None
    ours_versions = [semver.Version.parse(v) for v in _VERSION.findall(ours)]
    theirs_versions = [semver.Version.parse(v) for v in _VERSION.findall(theirs)]
    return theirs if theirs_versions > ours_versions else ours


def resolve_version_conflicts(text: str) -> str | None:
    """``text`` with every conflict hunk settled, or None if one is more than versions."""
    unresolved = False

    def settle(match: re.Match[str]) -> str:
        nonlocal unresolved
        ours, theirs = match["ours"].splitlines(True), match["theirs"].splitlines(True)
        if len(ours) != len(theirs):
            unresolved = True
            return match[0]
        lines = [_higher_version_line(a, b) for a, b in zip(ours, theirs, strict=True)]
        if any(line is None for line in lines):
            unresolved = True
            return match[0]
        return "".join(line for line in lines if line is not None)

    settled = _CONFLICT.sub(settle, text)
    return None if unresolved else settled


def merge_into_main(repo: git.Repo, *, branch: str, main: str, dry_run: bool) -> StepOutcome:
    """Merge ``branch`` into ``main`` (checked out afterwards), settling version conflicts."""
    tip = repo.heads[branch].commit
    if repo.is_ancestor(tip, repo.heads[main].commit):
        return StepOutcome(Change.UNCHANGED, f"{main} already contains {branch}")
    if dry_run:
        return StepOutcome(Change.PLANNED, f"merge {branch} into {main}")
    repo.git.checkout(main)
    message = f"Merge branch '{branch}' into {main}"
    try:
        repo.git.merge("--no-ff", "--no-edit", "-m", message, branch)
    except git.GitCommandError as failure:
        conflicted = repo.git.diff("--name-only", "--diff-filter=U").splitlines()
        if not conflicted:
            if (Path(repo.git_dir) / "MERGE_HEAD").exists():
                repo.git.merge("--abort")
            raise RepositoryStateError(
                f"merging {branch} into {main} failed: {str(failure.stderr).strip()}; "
                f"{main} is unchanged"
            ) from None
        unresolved = _settle_files(repo, conflicted)
        if unresolved:
            repo.git.merge("--abort")
            raise MergeConflictError(
                f"merging {branch} into {main} conflicts in {', '.join(unresolved)} beyond "
                f"version numbers; the merge was aborted and {main} is unchanged: merge it "
                f"by hand (git merge --no-ff {branch}) and push"
            ) from None
        repo.git.commit("--no-edit")
        return StepOutcome(
            Change.APPLIED,
            f"merged {branch} into {main}, taking the higher versions in {', '.join(conflicted)}",
        )
    return StepOutcome(Change.APPLIED, f"merged {branch} into {main}")


def _settle_files(repo: git.Repo, conflicted: list[str]) -> list[str]:
    unresolved = []
    for name in conflicted:
        path = Path(repo.working_dir) / name
        settled = resolve_version_conflicts(path.read_text())
        if settled is None:
            unresolved.append(name)
            continue
        path.write_text(settled)
        repo.git.add("--", name)
    return unresolved
