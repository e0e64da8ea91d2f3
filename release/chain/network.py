"""Networks and the slot / epoch / KES-period time model of the Shelley era.

A slot is absolute (Byron slots count), so the KES period is simply
``slot // slots_per_kes_period``, as Mithril's chain observers compute it from the node tip.
Epochs and times are counted from the network's Shelley start, where slots have a fixed
length. Byron-era slots are outside the model: every conversion refuses them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

from release.chain.errors import NetworkConfigError, TimeRangeError

_MICROSECOND = timedelta(microseconds=1)
#: A Sum6 KES key has 64 periods: no certificate can allow more evolutions.
KES_KEY_PERIODS = 64


@dataclass(frozen=True)
class ChainPoint:
    """Where a node is on the chain: what a Mithril chain observer reports."""

    slot: int
    epoch: int
    kes_period: int


@dataclass(frozen=True)
class Network:
    """The parameters of a Cardano network that registration timing depends on."""

    name: str
    #: Slots per epoch (Shelley era).
    epoch_length: int
    #: Seconds per slot (Shelley era), a whole number of microseconds.
    slot_length: float
    slots_per_kes_period: int
    #: An opcert is valid for KES periods ``start <= period < start + max_kes_evolutions``.
    max_kes_evolutions: int
    shelley_epoch: int
    #: Absolute slot of the first Shelley slot.
    shelley_slot: int
    #: Time of the first Shelley slot (timezone-aware, UTC).
    shelley_start: datetime

    def __post_init__(self) -> None:
        positive = ("epoch_length", "slots_per_kes_period", "max_kes_evolutions")
        for field in positive:
            value = getattr(self, field)
            if type(value) is not int or value <= 0:
                raise NetworkConfigError(
                    f"network {self.name!r}: {field} must be a positive integer, got {value!r}"
                )
        for field in ("shelley_epoch", "shelley_slot"):
            value = getattr(self, field)
            if type(value) is not int or value < 0:
                raise NetworkConfigError(
                    f"network {self.name!r}: {field} must be an integer >= 0, got {value!r}"
                )
        if self.max_kes_evolutions > KES_KEY_PERIODS:
            raise NetworkConfigError(
                f"network {self.name!r}: max_kes_evolutions is {self.max_kes_evolutions}, but a "
                "Sum6 KES "
                f"key only has {KES_KEY_PERIODS} periods"
            )
        if not isinstance(self.slot_length, int | float) or isinstance(self.slot_length, bool):
            raise NetworkConfigError(
                f"network {self.name!r}: slot_length must be a number of seconds"
            )
        slot_us = self.slot_length * 1_000_000
        if self.slot_length <= 0 or abs(slot_us - round(slot_us)) > 1e-6:
            raise NetworkConfigError(
                f"network {self.name!r}: slot_length must be a positive whole number of "
                "microseconds, "
                f"got {self.slot_length!r} s"
            )
        if not isinstance(self.shelley_start, datetime) or self.shelley_start.utcoffset() is None:
            raise NetworkConfigError(
                f"network {self.name!r}: shelley_start must be a timezone-aware time"
            )

    # -- time <-> slot ---------------------------------------------------------------------

    @property
    def _slot_us(self) -> int:
        return round(self.slot_length * 1_000_000)

    def slot_at(self, when: datetime) -> int:
        """The absolute slot in progress at ``when``."""
        if when.utcoffset() is None:
            raise TimeRangeError(f"{when.isoformat()} has no timezone; give times in UTC")
        elapsed_us = (when - self.shelley_start) // _MICROSECOND
        if elapsed_us < 0:
            raise TimeRangeError(
                f"{when.isoformat()} is before {self.name}'s Shelley start "
                f"({self.shelley_start.isoformat()}); the time model covers the Shelley era only"
            )
        return self.shelley_slot + elapsed_us // self._slot_us

    def time_of(self, slot: int) -> datetime:
        """When ``slot`` begins (UTC)."""
        self._require_shelley(slot)
        return (
            self.shelley_start + (slot - self.shelley_slot) * self._slot_us * _MICROSECOND
        ).astimezone(UTC)

    # -- epochs ----------------------------------------------------------------------------

    def epoch_of(self, slot: int) -> int:
        self._require_shelley(slot)
        return self.shelley_epoch + (slot - self.shelley_slot) // self.epoch_length

    def epoch_first_slot(self, epoch: int) -> int:
        if epoch < self.shelley_epoch:
            raise TimeRangeError(
                f"epoch {epoch} is before {self.name}'s first Shelley epoch {self.shelley_epoch}"
            )
        return self.shelley_slot + (epoch - self.shelley_epoch) * self.epoch_length

    def epoch_last_slot(self, epoch: int) -> int:
        return self.epoch_first_slot(epoch) + self.epoch_length - 1

    def epoch_start_time(self, epoch: int) -> datetime:
        return self.time_of(self.epoch_first_slot(epoch))

    def hours_into_epoch(self, slot: int) -> float:
        """Hours from the start of the slot's epoch to the start of ``slot``."""
        offset = slot - self.epoch_first_slot(self.epoch_of(slot))
        return offset * self.slot_length / 3600

    @property
    def epoch_hours(self) -> float:
        return self.epoch_length * self.slot_length / 3600

    # -- KES periods -----------------------------------------------------------------------

    def kes_period_of(self, slot: int) -> int:
        if slot < 0:
            raise TimeRangeError(f"slot {slot} is negative")
        return slot // self.slots_per_kes_period

    def kes_period_first_slot(self, period: int) -> int:
        return period * self.slots_per_kes_period

    def kes_periods_in_epoch(self, epoch: int) -> range:
        """Every KES period some slot of ``epoch`` falls in."""
        first = self.kes_period_of(self.epoch_first_slot(epoch))
        return range(first, self.kes_period_of(self.epoch_last_slot(epoch)) + 1)

    def kes_evolutions(self, slot: int, start_kes_period: int) -> int:
        """Evolutions of an opcert's KES key at ``slot`` (negative before the opcert starts)."""
        return self.kes_period_of(slot) - start_kes_period

    def opcert_expiry_period(self, start_kes_period: int) -> int:
        """The first KES period at which an opcert starting at ``start_kes_period`` is invalid."""
        return start_kes_period + self.max_kes_evolutions

    def opcert_expiry_slot(self, start_kes_period: int) -> int:
        return self.kes_period_first_slot(self.opcert_expiry_period(start_kes_period))

    def opcert_expiry_time(self, start_kes_period: int) -> datetime:
        return self.time_of(max(self.opcert_expiry_slot(start_kes_period), self.shelley_slot))

    def opcert_valid_at(self, slot: int, start_kes_period: int) -> bool:
        """Cardano's rule: ``start <= period < start + max_kes_evolutions``."""
        return 0 <= self.kes_evolutions(slot, start_kes_period) < self.max_kes_evolutions

    def point(self, slot: int) -> ChainPoint:
        return ChainPoint(slot=slot, epoch=self.epoch_of(slot), kes_period=self.kes_period_of(slot))

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "epoch_length": self.epoch_length,
            "slot_length": self.slot_length,
            "slots_per_kes_period": self.slots_per_kes_period,
            "max_kes_evolutions": self.max_kes_evolutions,
            "shelley_epoch": self.shelley_epoch,
            "shelley_slot": self.shelley_slot,
            "shelley_start": self.shelley_start.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        }

    def _require_shelley(self, slot: int) -> None:
        if slot < self.shelley_slot:
            raise TimeRangeError(
                f"slot {slot} is before {self.name}'s first Shelley slot {self.shelley_slot}; "
                "the time model covers the Shelley era only"
            )


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def _builtin(name: str, epoch_length: int, shelley: tuple[int, int, str]) -> Network:
    epoch, slot, start = shelley
    return Network(
        name=name,
        epoch_length=epoch_length,
        slot_length=1,
        slots_per_kes_period=129600,
        max_kes_evolutions=62,
        shelley_epoch=epoch,
        shelley_slot=slot,
        shelley_start=_utc(start),
    )


#: The public networks (Shelley genesis parameters; see tests/data/chain/PROVENANCE.md).
NETWORKS: MappingProxyType[str, Network] = MappingProxyType(
    {
        "mainnet": _builtin("mainnet", 432000, (208, 4492800, "2020-07-29T21:44:51Z")),
        "preprod": _builtin("preprod", 432000, (4, 86400, "2022-06-21T00:00:00Z")),
        "preview": _builtin("preview", 86400, (0, 0, "2022-10-25T00:00:00Z")),
    }
)
