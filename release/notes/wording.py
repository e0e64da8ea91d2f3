"""Small phrasing helpers shared by the templates (exposed to them as filters)."""

from __future__ import annotations

from collections.abc import Iterable


def join_words(items: Iterable[str], conjunction: str = "and") -> str:
    """``["mainnet", "preprod", "preview"]`` -> ``"mainnet, preprod and preview"``."""
    words = list(items)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {conjunction} {words[-1]}"


def minutes(value: float) -> str:
    """``2.0`` -> ``"2 min"``, ``0.5`` -> ``"30 s"``: how long a registration waits."""
    if value < 1:
        return f"{value * 60:.0f} s"
    return f"{round(value, 1):g} min"
