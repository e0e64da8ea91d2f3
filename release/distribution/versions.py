"""Distribution versions (``YYWW.patch[-name]``) and component versions (SemVer).

Mithril's distribution versions are neither PEP 440 nor SemVer: SemVer would sort
``2543.1-hotfix`` *below* ``2543.1``. Here a ``-pre`` suffix marks a pre-release, sorted
before its release, while any other name (``-hotfix``) is a release in its own right.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import semver

from release.distribution.errors import VersionError, VersionNotAboveError

#: Suffixes that mark a pre-release of ``YYWW.patch`` rather than a release.
PRERELEASE_NAMES = frozenset({"pre"})
HOTFIX_NAME = "hotfix"
HOTFIX_BRANCH_PREFIX = "hotfix/"

_VERSION = re.compile(
    r"(?P<yy>\d{2})(?P<ww>\d{2})\.(?P<patch>0|[1-9]\d{0,5})(?:-(?P<name>[a-z0-9]+))?"
)
_EXAMPLE = "expected YYWW.patch or YYWW.patch-name, e.g. 2543.0, 2543.0-pre, 2543.1-hotfix"


@functools.total_ordering
@dataclass(frozen=True)
class DistributionVersion:
    """A distribution version; ordered by (YYWW, patch), pre-releases first."""

    yyww: int
    patch: int
    name: str | None = None

    def __str__(self) -> str:
        suffix = f"-{self.name}" if self.name else ""
        return f"{self.yyww:04d}.{self.patch}{suffix}"

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, DistributionVersion):
            return NotImplemented
        return self._sort_key < other._sort_key

    @property
    def _sort_key(self) -> tuple[int, int, int, str]:
        return (self.yyww, self.patch, 0 if self.is_prerelease else 1, self.name or "")

    @property
    def tag(self) -> str:
        return str(self)

    @property
    def number(self) -> str:
        """``2543.1`` for ``2543.1-hotfix``: what CHANGELOG headings show."""
        return f"{self.yyww:04d}.{self.patch}"

    @property
    def branch(self) -> str:
        """The hotfix branch this version is released from (``hotfix/2543.1``)."""
        return f"{HOTFIX_BRANCH_PREFIX}{self.number}"

    @property
    def is_prerelease(self) -> bool:
        return self.name in PRERELEASE_NAMES


def parse_distribution_version(text: str) -> DistributionVersion:
    """Parse ``2543.0``, ``2543.0-pre``, ``2543.1-hotfix``; anything else is a VersionError."""
    if not isinstance(text, str):
        raise VersionError(f"a distribution version is a string, got {type(text).__name__}")
    candidate = text.strip()
    if candidate == "unstable":
        raise VersionError(
            "'unstable' is Mithril's moving development tag, not a distribution version "
            f"({_EXAMPLE})"
        )
    match = _VERSION.fullmatch(candidate)
    if match is None:
        raise VersionError(f"{text!r} is not a distribution version ({_EXAMPLE})")
    week = int(match["ww"])
    if not 1 <= week <= 53:
        raise VersionError(
            f"{text!r} is not a distribution version: week {match['ww']} is not 01..53 "
            "(YYWW is the two-digit year and the ISO week)"
        )
    return DistributionVersion(int(match["yy"] + match["ww"]), int(match["patch"]), match["name"])


def distribution_versions(tags: Iterable[str]) -> list[DistributionVersion]:
    """The tags that are distribution versions, sorted; others (``unstable``...) are skipped."""
    versions = []
    for tag in tags:
        try:
            versions.append(parse_distribution_version(tag))
        except VersionError:
            continue
    return sorted(versions)


def last_release(tags: Iterable[str]) -> DistributionVersion:
    """The highest release (not pre-release) among ``tags``."""
    releases = [version for version in distribution_versions(tags) if not version.is_prerelease]
    if not releases:
        raise VersionError("no release tag (YYWW.patch[-name], not -pre) to start a hotfix from")
    return releases[-1]


def next_hotfix(tags: Iterable[str]) -> DistributionVersion:
    """The hotfix after the last release tag: ``2543.0`` -> ``2543.1-hotfix``."""
    base = last_release(tags)
    return DistributionVersion(base.yyww, base.patch + 1, HOTFIX_NAME)


def check_release_version(
    version: DistributionVersion, base: DistributionVersion, tags: Iterable[str]
) -> None:
    """Refuse a version that does not supersede ``base``, or whose number another tag took.

    ``version`` itself may already be tagged: that is a resumed release, and the tag step
    checks that the tag points at the right commit.
    """
    if version.is_prerelease:
        raise VersionNotAboveError(f"{version} is a pre-release version; a hotfix is a release")
    if not base < version:
        raise VersionNotAboveError(f"{version} is not above its base release {base}")
    for other in distribution_versions(tags):
        same_line = other.yyww == version.yyww and not other.is_prerelease
        if same_line and other != version and other.patch >= version.patch:
            raise VersionNotAboveError(
                f"{version} is not above the existing release {other}; use "
                f"{DistributionVersion(other.yyww, other.patch + 1, HOTFIX_NAME)} instead"
            )


def parse_component_version(text: str, *, source: str = "version") -> semver.Version:
    """A component's SemVer version; ``source`` says where the text came from, for the error."""
    try:
        return semver.Version.parse(text)
    except (ValueError, TypeError):
        raise VersionError(f"{source}: {text!r} is not a SemVer version (e.g. 0.2.276)") from None


def next_component_version(*known: semver.Version | None) -> semver.Version:
    """One patch above the highest known version, so a hotfix never reuses a version of main."""
    present = [version for version in known if version is not None]
    if not present:
        raise VersionError("no version known for the component (not on the base tag nor on main)")
    return max(present).bump_patch()
