"""Aggregator profiles: which KES evolutions a registration's signature may be made at.

``m`` is the aggregator's evolutions: its current KES period minus the certificate's start.

* ``0.7.90`` (2543.0): half-open ``[max(0, m-1), min(64, m+1))``, i.e. {m-1, m}.
* ``2603.1``: closed ``[max(0, m-1), min(64, m+1)]``, i.e. {m-1, m, m+1}.
* ``fixed``: ``[e0 - 1, m + 1]`` where e0 is the evolutions at the first slot of the current
  epoch (the registration round), clamped to the certificate's validity
  ``0 <= e < max_kes_evolutions``; an expired or not-yet-valid certificate is refused.

Periods 64 and above: the legacy windows reach 64, which Rust's KES verification treats as
63 (every level takes the right half). The profiles reproduce that explicitly by mapping
tried periods >= 63 to 63, so ``2603.1`` at m = 64 or 65 accepts a signature made at 63, as
the real aggregator does. A negative m (a certificate from the future) tries nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from release.kes import MAX_PERIOD
from release.nodes.profiles import AGGREGATOR_PROFILES, require_profile

#: The legacy windows' upper clamp (Mithril's ``min(64, ...)``).
_LEGACY_LIMIT = 64

WindowRule = Callable[[int, int, int], range]


def _as_rust_periods(low: int, high: int) -> range:
    """Inclusive [low, high] with periods above 63 behaving as 63 (Rust's KES verify)."""
    if low > high:
        return range(0)
    return range(min(low, MAX_PERIOD), min(high, MAX_PERIOD) + 1)


def _strict(current: int, epoch_start: int, max_kes_evolutions: int) -> range:
    return _as_rust_periods(max(0, current - 1), min(_LEGACY_LIMIT, current + 1) - 1)


def _skew_tolerant(current: int, epoch_start: int, max_kes_evolutions: int) -> range:
    return _as_rust_periods(max(0, current - 1), min(_LEGACY_LIMIT, current + 1))


def _whole_epoch(current: int, epoch_start: int, max_kes_evolutions: int) -> range:
    if current >= max_kes_evolutions:
        return range(0)
    return range(max(0, epoch_start - 1), min(max_kes_evolutions - 1, current + 1) + 1)


@dataclass(frozen=True)
class Verifier:
    """One aggregator profile's window rule."""

    name: str
    rule: WindowRule
    #: Whether the signer's claimed ``kes_period`` guides the check (ignored by 0.7.90/2603.1).
    trusts_hint: bool
    #: Whether an opcert outside ``0 <= e < max_kes_evolutions`` is refused outright.
    enforces_validity: bool

    def window(self, current: int, epoch_start: int, max_kes_evolutions: int) -> range:
        """The evolutions a signature may verify at, given the aggregator's evolutions now
        (``current``) and at the first slot of its epoch (``epoch_start``)."""
        if current < 0:
            return range(0)
        return self.rule(current, epoch_start, max_kes_evolutions)


VERIFIERS = {
    "0.7.90": Verifier("0.7.90", _strict, trusts_hint=False, enforces_validity=False),
    "2603.1": Verifier("2603.1", _skew_tolerant, trusts_hint=False, enforces_validity=False),
    "fixed": Verifier("fixed", _whole_epoch, trusts_hint=True, enforces_validity=True),
}


def get_verifier(name: str) -> Verifier:
    return VERIFIERS[require_profile(name, AGGREGATOR_PROFILES, "aggregator")]
