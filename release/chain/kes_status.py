"""An operator's view of an operational certificate: how long its KES key stays usable."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from release.chain.network import Network

#: Warn this long before expiry: two weeks to generate a key and issue a new opcert calmly,
#: even around a weekend or a holiday (an operator warned 11 days ahead was not, at 7 days).
DEFAULT_WARNING = timedelta(days=14)


class KesVerdict(StrEnum):
    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    NOT_YET_VALID = "not-yet-valid"


@dataclass(frozen=True)
class KesStatus:
    """The certificate's state at one moment, with the numbers behind the verdict."""

    network: str
    at: datetime
    slot: int
    current_kes_period: int
    start_kes_period: int
    #: ``current_kes_period - start_kes_period`` (negative before the certificate starts).
    evolutions: int
    max_kes_evolutions: int
    #: The first KES period at which the certificate is no longer valid.
    expiry_kes_period: int
    expires_at: datetime
    #: Time left until ``expires_at`` (zero once expired).
    remaining: timedelta
    verdict: KesVerdict

    @property
    def evolutions_shown(self) -> str:
        """The evolutions for a person: a count within 0..max, or why there is none."""
        if self.verdict is KesVerdict.NOT_YET_VALID:
            start = self.start_kes_period
            return f"none yet: the certificate is not yet valid (starts at KES period {start})"
        if self.verdict is KesVerdict.EXPIRED:
            return f"all {self.max_kes_evolutions} used: the certificate has expired"
        return f"{self.evolutions} of {self.max_kes_evolutions}"

    @property
    def expiry_verb(self) -> str:
        """``expires``, or ``expired`` once the expiry is past."""
        return "expired" if self.verdict is KesVerdict.EXPIRED else "expires"

    @property
    def message(self) -> str:
        left = _duration(self.remaining)
        expiry = self.expires_at.strftime("%Y-%m-%d %H:%M:%S UTC")
        if self.verdict is KesVerdict.NOT_YET_VALID:
            return (
                f"the certificate starts at KES period {self.start_kes_period}, after the current "
                "period "
                f"{self.current_kes_period} on {self.network}: nodes and signers reject it until "
                "then"
            )
        if self.verdict is KesVerdict.EXPIRED:
            return (
                f"the certificate expired at {expiry} (KES period {self.expiry_kes_period}); "
                "generate a new KES key and issue a new operational certificate"
            )
        advice = "; rotate the KES key soon" if self.verdict is KesVerdict.EXPIRING else ""
        return (
            f"evolution {self.evolutions} of {self.max_kes_evolutions} (KES period "
            f"{self.current_kes_period}); "
            f"valid until {expiry}, {left} from now{advice}"
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "network": self.network,
            "at": _iso(self.at),
            "slot": self.slot,
            "current_kes_period": self.current_kes_period,
            "start_kes_period": self.start_kes_period,
            "evolutions": self.evolutions,
            "max_kes_evolutions": self.max_kes_evolutions,
            "expiry_kes_period": self.expiry_kes_period,
            "expires_at": _iso(self.expires_at),
            "remaining_seconds": int(self.remaining.total_seconds()),
            "verdict": self.verdict.value,
            "message": self.message,
        }


def kes_status(
    network: Network,
    opcert_start_kes_period: int,
    at: datetime,
    *,
    warn_within: timedelta = DEFAULT_WARNING,
) -> KesStatus:
    """Where a certificate starting at ``opcert_start_kes_period`` stands at time ``at``."""
    slot = network.slot_at(at)
    evolutions = network.kes_evolutions(slot, opcert_start_kes_period)
    expires_at = network.opcert_expiry_time(opcert_start_kes_period)
    remaining = max(expires_at - at, timedelta(0))
    if evolutions < 0:
        verdict = KesVerdict.NOT_YET_VALID
    elif evolutions >= network.max_kes_evolutions:
        verdict = KesVerdict.EXPIRED
    elif remaining <= warn_within:
        verdict = KesVerdict.EXPIRING
    else:
        verdict = KesVerdict.VALID
    return KesStatus(
        network=network.name,
        at=at,
        slot=slot,
        current_kes_period=network.kes_period_of(slot),
        start_kes_period=opcert_start_kes_period,
        evolutions=evolutions,
        max_kes_evolutions=network.max_kes_evolutions,
        expiry_kes_period=network.opcert_expiry_period(opcert_start_kes_period),
        expires_at=expires_at,
        remaining=remaining,
        verdict=verdict,
    )


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def _duration(span: timedelta) -> str:
    hours = int(span.total_seconds() // 3600)
    days, hours = divmod(hours, 24)
    return (
        f"{days} d {hours} h" if days else f"{hours} h {int(span.total_seconds() % 3600 // 60)} min"
    )
