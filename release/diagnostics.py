"""An operator's KES key and operational certificate, checked the way an aggregator will.

Joins the KES layer (what the files say) with the time model (where the network is now),
and ends in a verdict a stake pool operator can act on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from release import kes
from release.chain import KesStatus, KesVerdict, Network, kes_status

#: What a registration signs (a protocol key's size); any bytes would do for the probe.
_PROBE_MESSAGE = b"mithril-release kes.check probe".ljust(kes.PROTOCOL_KEY_SIZE, b"\0")


@dataclass(frozen=True)
class KeyCheck:
    pool_id: str
    key_matches_opcert: bool
    opcert_valid: bool
    #: The period stored in the key file (0 for cardano-cli's form).
    key_period: int
    status: KesStatus
    #: A signature made now, at the current evolutions, verifies under the certificate.
    signs_now: bool
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def verdict(self) -> str:
        if self.problems:
            return "action needed"
        return "ok, with warnings" if self.warnings else "ok"

    def report_lines(self) -> list[str]:
        """The check as an operator reads it: one ``label: value`` line per fact, the
        problems and warnings, then the verdict (``inv kes.check``, ``mithril-signer
        inspect``)."""
        status = self.status
        facts = {
            "pool id": self.pool_id,
            "network": f"{status.network} at {status.at:%Y-%m-%d %H:%M:%S} UTC, slot {status.slot}",
            "KES key matches the certificate": "yes" if self.key_matches_opcert else "NO",
            "certificate signed by the cold key": "yes" if self.opcert_valid else "NO",
            "certificate start KES period": status.start_kes_period,
            "current KES period": status.current_kes_period,
            "KES evolutions": status.evolutions_shown,
            f"certificate {status.expiry_verb}": f"{status.expires_at:%Y-%m-%d %H:%M:%S} UTC "
            f"(KES period {status.expiry_kes_period})",
            "a signature made now verifies": "yes" if self.signs_now else "no",
        }
        return [
            *(f"{label}: {value}" for label, value in facts.items()),
            *(f"- {note}" for note in self.problems + self.warnings),
            f"verdict: {self.verdict}",
        ]

    def as_json(self) -> dict[str, Any]:
        return {
            "pool_id": self.pool_id,
            "key_matches_opcert": self.key_matches_opcert,
            "opcert_valid": self.opcert_valid,
            "key_period": self.key_period,
            **self.status.as_json(),
            "signs_now": self.signs_now,
            "problems": self.problems,
            "warnings": self.warnings,
            "verdict": self.verdict,
        }


def check_operator_keys(sk: bytes, opcert: kes.OpCert, network: Network, at: datetime) -> KeyCheck:
    """Everything that decides whether a signer holding these files can register at ``at``."""
    status = kes_status(network, opcert.start_kes_period, at)
    matches = kes.verification_key(sk) == opcert.kes_vk
    valid = opcert.validate()
    key_period = kes.period_of(sk)
    problems: list[str] = []
    warnings: list[str] = []
    if not matches:
        problems.append(
            "the KES key is not the one the certificate endorses: issue a new certificate "
            "for this key, or use the key the certificate was issued for"
        )
    if not valid:
        problems.append("the certificate's cold-key signature does not verify: re-issue it")
    if status.verdict in (KesVerdict.EXPIRED, KesVerdict.NOT_YET_VALID):
        problems.append(status.message)
    elif status.verdict is KesVerdict.EXPIRING:
        warnings.append(status.message)
    if 0 <= status.evolutions < key_period:
        problems.append(
            f"the key file is already at period {key_period}, beyond the current evolutions "
            f"{status.evolutions}: a KES key cannot go back; use the certificate's original key"
        )
    signs_now = not problems and _probe_signature(sk, opcert.kes_vk, status.evolutions)
    if not problems and not signs_now:
        problems.append("a signature made now does not verify under the certificate")
    return KeyCheck(
        opcert.pool_id, matches, valid, key_period, status, signs_now, problems, warnings
    )


def _probe_signature(sk: bytes, kes_vk: bytes, evolutions: int) -> bool:
    """Sign at the current evolutions as a signer would, and verify as the aggregator would."""
    if not 0 <= evolutions <= kes.MAX_PERIOD:
        return False
    signature = kes.sign(kes.evolve(sk, evolutions), _PROBE_MESSAGE)
    return kes.verify(kes_vk, evolutions, _PROBE_MESSAGE, signature)
