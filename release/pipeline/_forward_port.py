"""Bringing a promoted hotfix into main, the way Mithril did it (PR #2773).

The fix commits (every commit of the hotfix but its release commit) are cherry-picked onto a
branch made from main; the files the tool understands are then written by their structure
rather than merged line by line: main keeps its own CHANGELOG sections and takes the hotfix's
section of the distribution; every component the hotfix bumped gets a version of its own on
main (one patch above the hotfix's when main's code of it differs, since a version names one
code; the hotfix's when the code is the same). A conflict in any other file leaves the branch
for a person, main untouched; once they commit the resolution there, a re-run goes on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git
import semver

from release.config import ReleaseConfig
from release.distribution import _git as g
from release.distribution.changelog import adopt_section
from release.distribution.errors import RepositoryStateError
from release.distribution.fixes import own_commits, subject
from release.distribution.manifests import CARGO_LOCK, set_component_version
from release.distribution.versions import DistributionVersion
from release.errors import ReleaseToolError
from release.outcome import Change, StepOutcome

BRANCH_PREFIX = "forward-port/"


class ForwardPortConflictError(ReleaseToolError):
    """A fix does not apply on main in a file the tool cannot settle: a person must."""


@dataclass(frozen=True)
class ForwardPortTarget:
    tag: str
    version: DistributionVersion
    base_tag: str

    @property
    def branch(self) -> str:
        return f"{BRANCH_PREFIX}{self.tag}"

    def marker(self, main: str) -> str:
        """The subject of the commit that completes the forward-port (how a re-run knows)."""
        return f"chore: bring {self.tag} into {main}"


def fix_commits(repo: git.Repo, target: ForwardPortTarget) -> list[git.Commit]:
    """The hotfix's own commits but its release commit, oldest first (merges left out)."""
    return own_commits(repo, f"refs/tags/{target.tag}", base=target.base_tag)[0]


def completed(
    repo: git.Repo, target: ForwardPortTarget, ref: str, *, main: str
) -> git.Commit | None:
    """The commit on ``ref`` (main, or the pushed forward-port branch) that completed this
    forward-port into ``main``, if there is one."""
    marker = target.marker(main)
    for commit in g.commits_between(repo, ref, exclude=[target.base_tag]):
        if subject(commit) == marker:
            return commit
    return None


def understood_files(config: ReleaseConfig) -> set[str]:
    """Files written by structure: the CHANGELOG, the manifests and their lock files."""
    files = {config.changelog.as_posix(), CARGO_LOCK}
    files |= {component.manifest.as_posix() for component in config.components}
    files |= {
        (component.manifest.parent / CARGO_LOCK).as_posix() for component in config.components
    }
    return files


def _pick(repo: git.Repo, config: ReleaseConfig, target: ForwardPortTarget, main: str) -> int:
    """Cherry-pick the fixes missing from the branch; how many were picked."""
    understood = understood_files(config)
    picked = 0
    for commit in fix_commits(repo, target):
        tip = repo.head.commit
        if g.already_present(repo, commit, base=g.resolve_commit(repo, main), tip=tip):
            continue
        conflicts = g.start_cherry_pick(repo, commit.hexsha)
        if conflicts and set(conflicts) <= understood:
            g.keep_ours_and_continue(repo, conflicts)
        elif conflicts:
            g.abort_cherry_pick(repo)
            g.checkout(repo, main)
            raise ForwardPortConflictError(
                f"{commit.hexsha[:12]} ({subject(commit)}) does not apply on {main}: conflicts in "
                f"{', '.join(conflicts)}. {main} is unchanged; on {target.branch}, run "
                f"`git cherry-pick -x {commit.hexsha[:12]}`, resolve, commit, then run "
                "`inv promote` again"
            )
        picked += 1
    return picked


def _main_versions(
    repo: git.Repo, config: ReleaseConfig, target: ForwardPortTarget
) -> dict[str, semver.Version]:
    """Each component the hotfix bumped, with the version it gets on main."""
    tag = f"refs/tags/{target.tag}"
    chosen = {}
    for component in config.components:
        base = g.component_version_at(repo, target.base_tag, component)
        hotfix = g.component_version_at(repo, tag, component)
        if hotfix is None or hotfix == base:
            continue
        on_main = g.component_version_at(repo, "HEAD", component)
        code = [*component.paths, f":!{component.manifest.as_posix()}"]
        if g.paths_differ(repo, tag, "HEAD", code):
            highest = max(v for v in (hotfix, on_main) if v is not None)
            chosen[component.name] = highest.bump_patch()
        else:
            chosen[component.name] = hotfix
    return chosen


def _write_release_files(
    repo: git.Repo, config: ReleaseConfig, target: ForwardPortTarget
) -> tuple[list[Path], dict[str, semver.Version]]:
    root = Path(repo.working_dir)
    versions = _main_versions(repo, config, target)
    written: list[Path] = []
    for component in config.components:
        if component.name in versions:
            written += set_component_version(root, component, versions[component.name])
    changelog = root / config.changelog
    released = g.file_at(repo, f"refs/tags/{target.tag}", config.changelog.as_posix())
    if released is None:
        raise RepositoryStateError(f"{target.tag} has no {config.changelog}")
    text = changelog.read_text(encoding="utf-8")
    adopted = adopt_section(text, released, name=config.name, version=target.version)
    if adopted != text:
        changelog.write_text(adopted, encoding="utf-8")
        written.append(changelog)
    return sorted({path.relative_to(root) for path in written}), versions


def forward_port(
    repo: git.Repo,
    config: ReleaseConfig,
    target: ForwardPortTarget,
    *,
    dry_run: bool,
    finish_on_main: bool,
) -> StepOutcome:
    """Bring the hotfix into main on the forward-port branch; with ``finish_on_main``,
    fast-forward main to it and push main (else the branch is pushed for a pull request)."""
    main = config.main_branch
    done = completed(repo, target, f"refs/heads/{main}", main=main)
    if done is not None:
        return StepOutcome(Change.UNCHANGED, f"{main} holds {target.tag} ({done.hexsha[:12]})")
    branch = target.branch
    exists = g.ref_exists(repo, f"refs/heads/{branch}")
    if dry_run:
        fixes = len(fix_commits(repo, target))
        where = f"on {branch}" + ("" if exists else f" from {main}")
        return StepOutcome(
            Change.PLANNED, f"cherry-pick {fixes} fix commits {where}, set versions and CHANGELOG"
        )
    if exists and not repo.is_ancestor(repo.heads[main].commit, repo.heads[branch].commit):
        raise RepositoryStateError(
            f"{main} moved past {branch} since it was made; rebase {branch} onto {main} "
            f"(or delete it) and run `inv promote {target.tag}` again"
        )
    g.checkout(repo, branch, create_from=None if exists else main)
    picked = _pick(repo, config, target, main)
    files, versions = _write_release_files(repo, config, target)
    detail = ", ".join(f"{name} {version}" for name, version in sorted(versions.items()))
    if files:
        message = f"{target.marker(main)}\n\nVersions on {main}: {detail}.\n"
        g.commit_paths(repo, files, message)
    else:
        repo.git.commit("--allow-empty", "-m", target.marker(main))
    if finish_on_main:
        g.fast_forward(repo, main, branch)
        g.delete_branch(repo, branch)
        return StepOutcome(
            Change.APPLIED, f"{main} holds {target.tag}: {picked} fixes picked; {detail}"
        )
    g.checkout(repo, main)
    return StepOutcome(Change.APPLIED, f"{branch} holds {target.tag}: {picked} fixes; {detail}")
