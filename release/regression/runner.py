"""Runs the matrix: every cell, every epoch, every slot, by classes of equal outcome.

A class is a run of slots between two consecutive KES-period starts (or a family's own
breakpoints), clipped to the epoch. Both ends of every class are run for real, so the slots
on both sides of every boundary are always exercised; when the two ends agree the whole
class is counted with that outcome. If they ever disagree, the class is bisected with more
real runs until every part is settled, and the run reports it (``bisected``).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from release.chain import Network
from release.regression.families import FAMILIES, Family
from release.regression.results import CellKey, CellResult, merge_windows
from release.regression.world import Backend, CaseOutcome, KeyRing, Stage

SlotClass = tuple[int, int, CaseOutcome]


def matrix(
    networks: Sequence[Network],
    signers: Sequence[str],
    aggregators: Sequence[str],
    scenarios: Sequence[str],
) -> list[CellKey]:
    """Every cell, in a fixed order (what ``--shard`` slices)."""
    return [
        CellKey(network.name, signer, aggregator, scenario)
        for network in networks
        for signer in signers
        for aggregator in aggregators
        for scenario in scenarios
    ]


def slot_classes(network: Network, epoch: int, family: Family) -> list[tuple[int, int]]:
    """The epoch's slots cut at KES-period starts and at the family's breakpoints."""
    first, last = network.epoch_first_slot(epoch), network.epoch_last_slot(epoch)
    cuts = {first}
    cuts.update(
        network.kes_period_first_slot(period) for period in network.kes_periods_in_epoch(epoch)
    )
    cuts.update(family.breakpoints(network, epoch))
    starts = sorted(cut for cut in cuts if first <= cut <= last)
    ends = [start - 1 for start in starts[1:]] + [last]
    return list(zip(starts, ends, strict=True))


class CellRunner:
    def __init__(self, backend: Backend, keys: KeyRing) -> None:
        self.backend = backend
        self.keys = keys

    def run(self, key: CellKey, network: Network, epochs: Sequence[int]) -> CellResult:
        family = FAMILIES[key.scenario]
        failing: list[tuple[int, int]] = []
        failing_variants: set[str] = set()
        cases = failures = runs = bisected = 0
        example: str | None = None
        for epoch in epochs:
            for variant in family.variants:

                def play(slot: int, epoch: int = epoch, variant: str = variant) -> CaseOutcome:
                    nonlocal runs
                    runs += 1
                    stage = Stage(
                        self.backend, self.keys, network, epoch, key.signer, key.aggregator
                    )
                    try:
                        return family.play(stage, variant, slot)
                    finally:
                        stage.close()

                for first, last in slot_classes(network, epoch, family):
                    classes = _settle(play, first, last)
                    bisected += len(classes) > 1
                    for start, end, outcome in classes:
                        cases += end - start + 1
                        if outcome.failed:
                            failures += end - start + 1
                            failing.append((start, end))
                            failing_variants.add(variant)
                            example = example or _describe_failure(network, start, variant, outcome)
        return CellResult(
            network=key.network,
            signer=key.signer,
            aggregator=key.aggregator,
            scenario=key.scenario,
            epochs=list(epochs),
            cases=cases,
            failures=failures,
            failure_windows=merge_windows(failing),
            failing_variants=sorted(failing_variants - {""}),
            runs=runs,
            bisected=bisected,
            example=example,
        )


def _settle(play: Callable[[int], CaseOutcome], first: int, last: int) -> list[SlotClass]:
    low = play(first)
    high = low if last == first else play(last)
    return _split(play, first, last, low, high)


def _split(
    play: Callable[[int], CaseOutcome], first: int, last: int, low: CaseOutcome, high: CaseOutcome
) -> list[SlotClass]:
    if low.verdict == high.verdict:
        return [(first, last, low)]
    if last == first + 1:
        return [(first, first, low), (last, last, high)]
    middle = (first + last) // 2
    return _split(play, first, middle, low, play(middle)) + _split(
        play, middle + 1, last, play(middle + 1), high
    )


def _describe_failure(network: Network, slot: int, variant: str, outcome: CaseOutcome) -> str:
    hours = network.hours_into_epoch(slot)
    what = (
        "accepted although the certificate was not valid" if outcome.registered else outcome.detail
    )
    label = f" ({variant})" if variant else ""
    return f"slot {slot}{label}, {hours:.1f} h into epoch {network.epoch_of(slot)}: {what}"
