"""Where a node believes it is on the chain: fixed (tests, drills) or the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from release.chain.errors import TimeFormatError
from release.chain.network import ChainPoint, Network


class Clock(Protocol):
    """A node's view of the chain tip."""

    network: Network

    def now(self) -> ChainPoint: ...


class ManualClock:
    """A clock that stays at a slot until moved: ``--slot``/``--at`` and scenario runs."""

    def __init__(self, network: Network, slot: int) -> None:
        self.network = network
        self.slot = slot

    def move_to(self, slot: int) -> None:
        self.slot = slot

    def now(self) -> ChainPoint:
        return self.network.point(self.slot)


class WallClock:
    """The slot in progress now, by the system clock."""

    def __init__(self, network: Network) -> None:
        self.network = network

    def now(self) -> ChainPoint:
        return self.network.point(self.network.slot_at(datetime.now(UTC)))


def parse_time(text: str) -> datetime:
    """An ISO 8601 instant with a timezone (``2025-11-06T17:07:14Z``), as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise TimeFormatError(
            f"{text!r} is not an ISO 8601 time such as 2025-11-06T17:07:14Z"
        ) from None
    if moment.utcoffset() is None:
        raise TimeFormatError(f"{text!r} has no timezone; add Z for UTC")
    return moment.astimezone(UTC)


def clock_for(
    network: Network, *, slot: int | None = None, at: str | datetime | None = None
) -> Clock:
    """A fixed clock when ``slot`` or ``at`` is given, the wall clock otherwise."""
    if slot is not None and at is not None:
        raise TimeFormatError("give either a slot or a time, not both")
    if slot is not None:
        network.point(slot)  # refuses pre-Shelley slots up front
        return ManualClock(network, slot)
    if at is not None:
        moment = parse_time(at) if isinstance(at, str) else at
        return ManualClock(network, network.slot_at(moment))
    return WallClock(network)
