"""Which hotfix a run is about: its version, tag, branch and base release.

Derived from the repository and the release store, never from local memory: a hotfix whose
branch or tag exists but whose release is not promoted yet is the one a re-run continues;
otherwise the next hotfix of the last release starts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import git

from release.distribution._git import tag_names
from release.distribution.errors import GitRefError, VersionError
from release.distribution.versions import (
    HOTFIX_BRANCH_PREFIX,
    HOTFIX_NAME,
    DistributionVersion,
    check_release_version,
    distribution_versions,
    last_release,
    next_hotfix,
    parse_distribution_version,
)
from release.publish import Publisher

_HOTFIX_BRANCH = re.compile(rf"(?:.*/)?{re.escape(HOTFIX_BRANCH_PREFIX)}(\d{{4}})\.(\d+)")


@dataclass(frozen=True)
class HotfixTarget:
    version: DistributionVersion
    base_tag: str

    @property
    def tag(self) -> str:
        return self.version.tag

    @property
    def branch(self) -> str:
        return self.version.branch


def resolve_target(repo: git.Repo, publisher: Publisher, *, base: str | None) -> HotfixTarget:
    """The hotfix to work on: after ``base`` when given, else the unfinished one, else the next."""
    tags = tag_names(repo)
    if base:
        if base not in tags:
            raise GitRefError(f"--base {base}: no such tag in {repo.working_dir}")
        base_version = parse_distribution_version(base)
        if base_version.is_prerelease:
            raise VersionError(f"--base {base} is a pre-release; a hotfix starts from a release")
        version = DistributionVersion(base_version.yyww, base_version.patch + 1, HOTFIX_NAME)
        check_release_version(version, base_version, tags)
        return HotfixTarget(version, base)
    unfinished = _unfinished_hotfix(repo, publisher, tags)
    if unfinished is not None:
        return unfinished
    base_version = last_release(tags)
    return HotfixTarget(next_hotfix(tags), base_version.tag)


def target_for_tag(repo: git.Repo, tag: str, *, new: bool = False) -> HotfixTarget:
    """The hotfix ``tag`` names, based on the highest release of its line below it.

    That is the release one patch below, unless a number was skipped (one that cannot be
    used, e.g. a tag burnt by a deleted immutable release). A new tag must be above every
    release of its line, and is accepted only with ``new`` (a hotfix run, not a promotion).
    """
    tags = tag_names(repo)
    if tag not in tags and not new:
        raise GitRefError(f"no tag {tag} in {repo.working_dir}")
    version = parse_distribution_version(tag)
    if version.name != HOTFIX_NAME or version.patch == 0:
        raise GitRefError(
            f"{tag} is not a hotfix tag: hotfix tags are YYWW.N-{HOTFIX_NAME} with N >= 1"
            f" (e.g. {version.yyww:04d}.{version.patch or 1}-{HOTFIX_NAME})"
        )
    below = [
        v
        for v in distribution_versions(tags)
        if not v.is_prerelease and v.yyww == version.yyww and v.patch < version.patch
    ]
    if not below:
        raise GitRefError(f"--tag {tag}: no release {version.yyww:04d}.N below it to base it on")
    base = max(below)
    if tag not in tags:
        check_release_version(version, base, tags)
    return HotfixTarget(version, base.tag)


def latest_hotfix_tag(repo: git.Repo) -> str | None:
    """The newest hotfix tag, if any: what ``inv status`` shows once everything is done."""
    hotfixes = [v for v in distribution_versions(tag_names(repo)) if v.name == HOTFIX_NAME]
    return max(hotfixes).tag if hotfixes else None


def _unfinished_hotfix(
    repo: git.Repo, publisher: Publisher, tags: list[str]
) -> HotfixTarget | None:
    started = {v for v in distribution_versions(tags) if v.name == HOTFIX_NAME}
    for ref in repo.refs:
        match = _HOTFIX_BRANCH.fullmatch(ref.name)
        if match:
            started.add(DistributionVersion(int(match[1]), int(match[2]), HOTFIX_NAME))
    releases = [v for v in distribution_versions(tags) if not v.is_prerelease]
    for version in sorted(started, reverse=True):
        found = publisher.find(version.tag)
        if found is not None and found.state == "release":
            return None
        # The highest release below it: a hotfix may skip a number (a burnt tag, say).
        bases = [v for v in releases if v.yyww == version.yyww and v.patch < version.patch]
        if bases:
            return HotfixTarget(version, max(bases).tag)
    return None
