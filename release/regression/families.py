"""Scenario families: what happens to a signer around one epoch, and the correct outcome.

Each family has one free variable, the slot of its decisive event, which ranges over every
slot of the epoch. The outcome can only change where the KES period changes (or at a
family's extra breakpoints), which is what lets the runner cover every slot exactly while
running real signing and verification only at both ends of each class.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import ClassVar

from release.chain import Network
from release.regression.world import CaseOutcome, Stage


class Family(ABC):
    name: ClassVar[str]
    #: What the case slot means, in plain words (used in reports and notes).
    situation: ClassVar[str]
    variants: ClassVar[tuple[str, ...]] = ("",)

    def breakpoints(self, network: Network, epoch: int) -> tuple[int, ...]:
        """Slots other than KES-period starts where the outcome may change."""
        return ()

    @abstractmethod
    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        """Run the case whose decisive event happens at ``slot``."""


class Restart(Family):
    name = "restart"
    situation = "a signer restarted during the epoch after registering at its start"
    #: The signer that registered at the epoch's start (None: the one under test).
    first_profile: ClassVar[str | None] = None

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        credentials = stage.usual_credentials()
        stage.attempt(credentials, stage.first_slot, profile=self.first_profile)
        return stage.judged_attempt(credentials, slot)


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

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        stage.attempt(stage.usual_credentials(), stage.first_slot)
        rotated = stage.credentials(
            stage.network.kes_period_of(slot), key="rotated", issue_number=1
        )
        return stage.judged_attempt(rotated, slot)


class ClockSkew(Family):
    name = "clock-skew"
    situation = (
        "an aggregator whose node sees the KES period before (behind) or after (ahead) the signer's"
    )
    variants = ("behind", "ahead")

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        credentials = stage.usual_credentials()
        skew = -1 if variant == "behind" else 1
        return stage.judged_attempt(credentials, slot, kes_skew=skew)


class EpochBoundary(Family):
    name = "epoch-boundary"
    situation = (
        "a signer registered during the epoch crossing into the next one, where the aggregator "
        "opens the new round one retry cycle late"
    )

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        credentials = stage.usual_credentials()
        during = stage.attempt(credentials, slot)
        boundary = stage.last_slot + 1
        stage.attempt(credentials, boundary, aggregator_slot=boundary - 1)  # round not open yet
        retry_slot = boundary + stage.retry_slots
        retried = stage.attempt(credentials, retry_slot)
        registered = stage.holds(during) and stage.holds(retried)
        correct = stage.valid(credentials, slot) and stage.valid(credentials, retry_slot)
        detail = retried.message if stage.holds(during) else during.message
        return CaseOutcome(registered, correct, detail)


class OpcertExpiry(Family):
    name = "opcert-expiry"
    situation = (
        "a signer registering during the epoch with a certificate that expires at the epoch's "
        "first KES-period boundary (being accepted after the expiry counts as a failure)"
    )

    def play(self, stage: Stage, variant: str, slot: int) -> CaseOutcome:
        network = stage.network
        start = stage.first_kes_period + 1 - network.max_kes_evolutions
        return stage.judged_attempt(stage.credentials(start, key="expiring"), slot)


FAMILIES: dict[str, Family] = {
    family.name: family
    for family in (
        Restart(),
        Upgrade(),
        KesRotation(),
        ClockSkew(),
        EpochBoundary(),
        OpcertExpiry(),
    )
}
FAMILY_NAMES = tuple(FAMILIES)
