"""Scenario families: what happens to a signer around one epoch.

Each family has one free variable, the signer's slot of its decisive event (a restart, an
upgrade, a start-up), which ranges over every slot of the epoch; every case runs at each
chain lag of the sweep. From the decisive event the signer runs its loop (a registration
attempt per cycle until it registers or the epoch ends), and the case ends as registered
at the first attempt, registered after N retries (a delay), or not registered before the
epoch ended (signing lost); an expired certificate gives a policy outcome instead.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from typing import ClassVar

from release.chain import Network
from release.regression.world import ROUND_DELAY_CYCLES, CaseOutcome, Stage


class Family(ABC):
    name: ClassVar[str]
    #: What the case slot means, in plain words (used in reports and notes).
    situation: ClassVar[str]
    variants: ClassVar[tuple[str, ...]] = ("",)

    def breakpoints(self, network: Network, epoch: int, lag: int, cycle: int) -> tuple[int, ...]:
        """Slots other than the common change points where the outcome may change, for a
        lag and a run cycle in slots."""
        return ()

    @abstractmethod
    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        """Run the case whose decisive event happens at the signer's ``slot``."""


def _after_the_first_registration(
    network: Network, epoch: int, lag: int, cycle: int
) -> tuple[int, ...]:
    """The process running since the epoch's first slot attempts once per cycle until it
    registers (the aggregator's node may be up to ``lag`` behind): a restart one slot after
    one of those attempts finds what it stored."""
    first = network.epoch_first_slot(epoch)
    return tuple(first + 1 + k * cycle for k in range(math.ceil(abs(lag) / cycle) + 1))


class Restart(Family):
    name = "restart"
    situation = "a signer restarted during the epoch after registering at its start"
    #: The signer that registered at the epoch's start (None: the one under test).
    first_profile: ClassVar[str | None] = None

    def breakpoints(self, network: Network, epoch: int, lag: int, cycle: int) -> tuple[int, ...]:
        return _after_the_first_registration(network, epoch, lag, cycle)

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        credentials = stage.usual_credentials()
        # Running since the epoch's first slot; the restart interrupts that process at ``slot``.
        stage.run_loop(credentials, stage.first_slot, profile=self.first_profile, until=slot - 1)
        return stage.judge(stage.run_loop(credentials, slot), credentials)


class Upgrade(Restart):
    """A restart in which the signer under test replaces the one that registered first."""

    name = "upgrade"
    situation = (
        "a signer 0.2.268 registered at the epoch's start, "
        "then upgraded (restarted) during the epoch"
    )
    first_profile = "0.2.268"


class KesRotation(Family):
    name = "kes-rotation"
    situation = (
        "an operator rotating the KES key and certificate during the epoch, "
        "then restarting the signer"
    )

    def breakpoints(self, network: Network, epoch: int, lag: int, cycle: int) -> tuple[int, ...]:
        return _after_the_first_registration(network, epoch, lag, cycle)

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        stage.run_loop(stage.usual_credentials(), stage.first_slot, until=slot - 1)
        rotated = stage.credentials(
            stage.network.kes_period_of(slot), key="rotated", issue_number=1
        )
        return stage.judge(stage.run_loop(rotated, slot), rotated)


class StartUp(Family):
    name = "start-up"
    situation = "a new signer (empty store) starting during the epoch: a fresh signature"

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        credentials = stage.usual_credentials()
        return stage.judge(stage.run_loop(credentials, slot), credentials)


class EpochBoundary(Family):
    name = "epoch-boundary"
    situation = (
        "a signer registered during the epoch crossing into the next one, where the aggregator "
        "opens the new round one and a half cycles (90 s) after its epoch change (550 until then)"
    )

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        credentials = stage.usual_credentials()
        during = stage.run_loop(credentials, slot)
        if not during.registered:
            return stage.judge(during, credentials)
        boundary = stage.last_slot + 1
        stage.clock.round_opens_at = boundary + math.ceil(ROUND_DELAY_CYCLES * stage.run_slots)
        return stage.judge(stage.run_loop(credentials, boundary), credentials)


class OpcertExpiry(Family):
    name = "opcert-expiry"
    situation = (
        "a signer starting during the epoch with a certificate that expires at the epoch's "
        "first KES-period boundary (after it: accepted or refused, a policy outcome)"
    )

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        network = stage.network
        start = stage.first_kes_period + 1 - network.max_kes_evolutions
        credentials = stage.credentials(start, key="expiring")
        return stage.judge(stage.run_loop(credentials, slot), credentials)


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Restart(),
        Upgrade(),
        KesRotation(),
        StartUp(),
        EpochBoundary(),
        OpcertExpiry(),
    )
}
FAMILY_NAMES = tuple(FAMILIES)
