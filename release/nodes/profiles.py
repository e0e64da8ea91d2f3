"""Names of the behaviour profiles, and which real signer release behaves like which.

Signer profiles: ``0.2.268`` (distribution 2537.0), ``0.2.273`` (2543.0, the incident),
``0.2.276`` (upstream hotfix 2543.1-hotfix) and ``fixed`` (this project). Aggregator
profiles: ``0.7.90`` (2543.0, strict window), ``2603.1`` (later Mithril, +-1 window) and
``fixed`` (the whole epoch's window, clamped to the certificate's validity).
"""

from __future__ import annotations

import re

from release.nodes.errors import ProfileError

SIGNER_PROFILES = ("0.2.268", "0.2.273", "0.2.276", "fixed")
AGGREGATOR_PROFILES = ("0.7.90", "2603.1", "fixed")
CANDIDATE = ("fixed", "fixed")

_SEMVER = re.compile(r"v?(\d+)\.(\d+)\.(\d+)(?:[-+][0-9A-Za-z.+-]*)?")


def require_profile(name: str, known: tuple[str, ...], role: str) -> str:
    if name not in known:
        raise ProfileError(f"unknown {role} profile {name!r}; choose one of {', '.join(known)}")
    return name


def _release(version: str, role: str) -> tuple[int, ...]:
    match = _SEMVER.fullmatch(version.strip())
    if not match:
        raise ProfileError(f"{role} version {version!r} is not SemVer, such as 0.2.273")
    return tuple(int(part) for part in match.groups())


def aggregator_profile_for_version(version: str) -> str | None:
    """The KES window of a released ``mithril-aggregator`` version, or None when unknown.

    Up to 0.7.90 (distribution 2543.0) the aggregator tried only {m-1, m}; the version that
    brought 2603.1's wider window was not examined, so later versions map to None.
    """
    return "0.7.90" if _release(version, "aggregator") <= (0, 7, 90) else None


def signer_profile_for_version(version: str) -> str | None:
    """The behaviour profile of a released ``mithril-signer`` version, or None when unknown.

    Versions up to 0.2.268 register afresh every time; 0.2.273 to 0.2.275 (main after PR
    #2739) resend the stored signature; 0.2.276 is the upstream hotfix. Versions in between
    or after were not examined, so they map to None rather than to a guess.
    """
    release = _release(version, "signer")
    if release <= (0, 2, 268):
        return "0.2.268"
    if (0, 2, 273) <= release <= (0, 2, 275):
        return "0.2.273"
    if release == (0, 2, 276):
        return "0.2.276"
    return None
