"""Small phrasing helpers shared by the templates (exposed to them as filters)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from release.notes.regression import AffectedWindow


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """``["mainnet", "preprod", "preview"]`` -> ``"mainnet, preprod and preview"``."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def hours(value: float) -> str:
    """``36.0`` -> ``"36 h"``, ``35.25`` -> ``"35.3 h"``: operators plan in hours, not slots."""
    rounded = round(value, 1)
    return f"{rounded:g} h"


@dataclass(frozen=True)
class WindowGroup:
    """Networks on which a scenario fails over the same hours of the epoch."""

    scenario: str
    networks: tuple[str, ...]
    hours_from: float
    hours_to: float
    until_epoch_end: bool


def group_windows(windows: Iterable[AffectedWindow]) -> list[WindowGroup]:
    """Fold identical windows of different networks into one sentence's worth of facts.

    Mainnet and preprod share their epoch geometry, so "on mainnet and preprod, from 72 h"
    reads better than two copies of the same sentence.
    """
    groups: dict[tuple[str, float, float, bool], list[str]] = {}
    for window in windows:
        key = (
            window.scenario,
            round(window.hours_from, 1),
            round(window.hours_to, 1),
            window.until_epoch_end,
        )
        groups.setdefault(key, []).append(window.network)
    return [
        WindowGroup(scenario, tuple(networks), start, end, to_end)
        for (scenario, start, end, to_end), networks in groups.items()
    ]
