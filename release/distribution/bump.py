"""The release commit of a hotfix: bumped component versions and the released CHANGELOG section.

Planned from the repository alone (read-only), then applied: files already as planned are
not rewritten and nothing is committed when nothing changed, so a re-run is a no-op.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import git

from release.distribution._git import (
    Change,
    ComponentBump,
    StepOutcome,
    changed_components,
    commit_paths,
    component_versions,
    main_refs,
    plan_bump,
)
from release.distribution._settings import ReleaseConfig
from release.distribution.changelog import update_changelog
from release.distribution.manifests import find_cargo_lock, set_component_version
from release.distribution.versions import DistributionVersion


@dataclass(frozen=True)
class ReleaseCommitPlan:
    version: DistributionVersion
    base_tag: str
    #: The components changed since the base tag, with the version each is released at.
    bumps: tuple[ComponentBump, ...]
    #: Every component's version once bumped: the CHANGELOG's crates table.
    versions: dict[str, str]

    @property
    def message(self) -> str:
        lines = [f"chore: prepare distribution {self.version}", ""]
        lines += [f"- {bump.component.name}: {bump.base} -> {bump.target}" for bump in self.bumps]
        return "\n".join(lines).rstrip() + "\n"


def plan_release_commit(
    repo: git.Repo,
    config: ReleaseConfig,
    version: DistributionVersion,
    base_tag: str,
    *,
    rev: str = "HEAD",
) -> ReleaseCommitPlan:
    """Which components to bump to what, read from the base tag, main and ``rev``.

    ``rev`` is the hotfix branch head; a dry run before the branch exists passes the base tag.
    """
    main = main_refs(repo, main_branch=config.main_branch, remote=config.remote)
    bumps = tuple(
        plan_bump(repo, component, base_tag=base_tag, main=main, rev=rev)
        for component in changed_components(repo, config.components, base_tag, rev)
    )
    versions = component_versions(repo, config.components, rev)
    versions.update({bump.component.name: str(bump.target) for bump in bumps})
    return ReleaseCommitPlan(version, base_tag, bumps, versions)


def release_commit_files(config: ReleaseConfig, plan: ReleaseCommitPlan) -> list[Path]:
    """Files the release commit may touch (repository-relative), for :func:`preflight`."""
    files = {config.changelog}
    for bump in plan.bumps:
        files.add(bump.component.manifest)
        lock = find_cargo_lock(config.root, bump.component.manifest)
        if lock is not None:
            files.add(lock.relative_to(config.root))
    return sorted(files)


def apply_release_commit(
    repo: git.Repo,
    config: ReleaseConfig,
    plan: ReleaseCommitPlan,
    *,
    date: datetime.date,
    dry_run: bool = False,
) -> StepOutcome:
    """Write the bumps and the CHANGELOG section, then commit them (once)."""
    root = Path(repo.working_dir)
    written: list[Path] = []
    for bump in plan.bumps:
        written += set_component_version(root, bump.component, bump.target, dry_run=dry_run)
    if update_changelog(
        root / config.changelog,
        name=config.name,
        version=plan.version,
        date=date,
        versions=plan.versions,
        dry_run=dry_run,
    ):
        written.append(root / config.changelog)
    relative = sorted({path.relative_to(root) for path in written})
    if dry_run:
        if not relative:
            return StepOutcome(Change.UNCHANGED, "versions and CHANGELOG already released")
        return StepOutcome(Change.PLANNED, f"update and commit {', '.join(map(str, relative))}")
    return commit_paths(repo, release_commit_files(config, plan), plan.message)
