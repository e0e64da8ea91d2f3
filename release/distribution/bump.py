"""Which components a hotfix bumps, to what and why; then its release commit.

Planned from the repository alone (read-only), then applied: files already as planned are
not rewritten and nothing is committed when nothing changed, so a re-run is a no-op.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import git
import semver

from release.config import Component, ReleaseConfig
from release.distribution._git import (
    commit_paths,
    component_version_at,
    component_versions,
)
from release.distribution.changelog import update_changelog
from release.distribution.manifests import find_cargo_lock, set_component_version
from release.distribution.versions import DistributionVersion, next_component_version
from release.outcome import Change, StepOutcome

#: How many changed paths a bump reason names before it says "and N more".
SHOWN_PATHS = 3
#: The subject of the release commit starts so; the forward-port to main leaves it out.
RELEASE_COMMIT_PREFIX = "chore: prepare distribution"
#: The release commit message says what the hotfix fixes after this line, one bullet each:
#: a CI job promoting the tag reads it back from there.
SUMMARY_HEADING = "What this hotfix fixes:"


def under(path: str, prefix: str) -> bool:
    """Whether repository file ``path`` is ``prefix`` or inside it ("." is the whole tree)."""
    stem = prefix.rstrip("/")
    return stem in ("", ".") or path == stem or path.startswith(f"{stem}/")


@functools.cache
def _glob(pattern: str) -> re.Pattern[str]:
    """A path glob: ``**`` spans directories, ``*`` and ``?`` stay inside one."""
    parts = re.split(r"(\*\*/|\*\*|\*|\?)", pattern)
    wildcards = {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(wildcards.get(part, re.escape(part)) for part in parts))


def counted_changes(component: Component, files: Iterable[str]) -> list[str]:
    """The changed ``files`` that mark ``component`` changed: under its paths, not ignored."""
    return [
        path
        for path in files
        if any(under(path, prefix) for prefix in component.paths)
        and not any(_glob(pattern).fullmatch(path) for pattern in component.ignore)
    ]


def changed_components(components: Iterable[Component], files: Sequence[str]) -> list[Component]:
    """The components ``files`` mark changed (their ``ignore`` globs applied)."""
    return [component for component in components if counted_changes(component, files)]


def ignored_changes(component: Component, files: Iterable[str]) -> list[str]:
    """The changed ``files`` under the component's paths that its ``ignore`` globs leave out."""
    counted = set(counted_changes(component, files))
    return [
        path
        for path in files
        if any(under(path, prefix) for prefix in component.paths) and path not in counted
    ]


def abbreviate(paths: Sequence[str]) -> str:
    """``a, b, c and 4 more``: enough of a list to tell why, short enough for a table."""
    shown = ", ".join(paths[:SHOWN_PATHS])
    more = len(paths) - SHOWN_PATHS
    return f"{shown} and {more} more" if more > 0 else shown


@dataclass(frozen=True)
class ComponentBump:
    """A component's versions around a hotfix, the one it is released with, and why."""

    component: Component
    base: semver.Version | None
    main: semver.Version | None
    current: semver.Version | None
    target: semver.Version
    #: The changed files that made it changed.
    paths: tuple[str, ...] = ()
    #: Read from a tag: ``target`` is what the tag holds, whatever main says now.
    tagged: bool = False

    @property
    def needed(self) -> bool:
        return self.current != self.target

    @property
    def rule(self) -> str:
        """Which rule chose ``target``, in words."""
        if self.tagged:
            return "as tagged"
        if (
            self.current is not None
            and self.current == self.target
            and self.current != (next_component_version(self.base, self.main))
        ):
            return f"kept: the branch has {self.current} already"
        highest = max(v for v in (self.base, self.main) if v is not None)
        where = "main" if self.main is not None and self.main == highest else "the base"
        return f"one patch above {where}'s {highest}"

    @property
    def reason(self) -> str:
        return f"changed: {abbreviate(self.paths)}; {self.rule}"


@dataclass(frozen=True)
class KeptComponent:
    """A component with changes that the hotfix does not bump, and why not."""

    component: Component
    reason: str


def plan_bump(
    repo: git.Repo,
    component: Component,
    *,
    base_tag: str,
    main: Sequence[str],
    rev: str = "HEAD",
    paths: Sequence[str] = (),
) -> ComponentBump:
    """One patch above the highest version on the base tag and on main.

    Mithril's signer went 0.2.273 (2543.0) -> 0.2.276 because main already had 0.2.275. A
    branch already at or above that target (bumped by a previous run) keeps its version.
    """
    base = component_version_at(repo, base_tag, component)
    on_main = [
        version
        for ref in main
        if (version := component_version_at(repo, ref, component)) is not None
    ]
    main_version = max(on_main, default=None)
    current = component_version_at(repo, rev, component)
    target = next_component_version(base, main_version)
    if current is not None and current >= target:
        target = current
    return ComponentBump(component, base, main_version, current, target, tuple(paths))


def plan_bumps(
    repo: git.Repo,
    components: Iterable[Component],
    *,
    changed_files: Sequence[str],
    base_tag: str,
    main: Sequence[str],
    rev: str,
    no_bump: Collection[str] = (),
) -> tuple[tuple[ComponentBump, ...], tuple[KeptComponent, ...]]:
    """The bumps ``changed_files`` call for, and the changed components left as they are."""
    bumps, kept = [], []
    for component in components:
        counted = counted_changes(component, changed_files)
        if component.name in no_bump and (counted or ignored_changes(component, changed_files)):
            kept.append(KeptComponent(component, "not bumped: --no-bump / [hotfix] no_bump"))
        elif counted:
            bumps.append(
                plan_bump(repo, component, base_tag=base_tag, main=main, rev=rev, paths=counted)
            )
        elif ignored := ignored_changes(component, changed_files):
            kept.append(
                KeptComponent(component, f"only ignored paths changed: {abbreviate(ignored)}")
            )
    return tuple(bumps), tuple(kept)


@dataclass(frozen=True)
class ReleaseCommitPlan:
    version: DistributionVersion
    base_tag: str
    #: The components changed since the base tag, with the version each is released at.
    bumps: tuple[ComponentBump, ...]
    #: Every component's version once bumped: the CHANGELOG's crates table.
    versions: dict[str, str]
    #: What the hotfix fixes, one sentence each (the CHANGELOG bullets, the release body).
    summary: tuple[str, ...] = ()

    @property
    def message(self) -> str:
        lines = [f"{RELEASE_COMMIT_PREFIX} {self.version}", ""]
        lines += [f"- {bump.component.name}: {bump.base} -> {bump.target}" for bump in self.bumps]
        if self.summary:
            lines += ["", SUMMARY_HEADING, *(f"- {line}" for line in self.summary)]
        return "\n".join(lines).rstrip() + "\n"


def summary_of(message: str) -> tuple[str, ...]:
    """What a release commit ``message`` says the hotfix fixes (see :data:`SUMMARY_HEADING`)."""
    _, found, rest = message.partition(f"\n{SUMMARY_HEADING}\n")
    if not found:
        return ()
    return tuple(line[2:] for line in rest.splitlines() if line.startswith("- "))


def plan_release_commit(
    repo: git.Repo,
    config: ReleaseConfig,
    version: DistributionVersion,
    base_tag: str,
    bumps: tuple[ComponentBump, ...],
    *,
    rev: str = "HEAD",
    summary: tuple[str, ...] = (),
) -> ReleaseCommitPlan:
    """The release commit for ``bumps``: every component's version once bumped."""
    versions = component_versions(repo, config.components, rev)
    versions.update({bump.component.name: str(bump.target) for bump in bumps})
    return ReleaseCommitPlan(version, base_tag, bumps, versions, summary)


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
        entries=plan.summary,
        dry_run=dry_run,
    ):
        written.append(root / config.changelog)
    relative = sorted({path.relative_to(root) for path in written})
    if dry_run:
        if not relative:
            return StepOutcome(Change.UNCHANGED, "versions and CHANGELOG already released")
        return StepOutcome(Change.PLANNED, f"update and commit {', '.join(map(str, relative))}")
    return commit_paths(repo, release_commit_files(config, plan), plan.message)
