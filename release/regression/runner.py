"""Runs the matrix: every cell, epoch, chain lag and slot, by classes of equal outcome.

Exhaustive at slot granularity: a case's outcome is a function of the views its attempts
see (the signer's epoch and KES period, the aggregator's epoch, KES period and round) and of
the cycle times. So the epoch is cut, for each lag L, at the points where a view can change
for an attempt made at the restart slot: KES-period starts (the signer's view), the same
shifted by -L (the aggregator's view), the aggregator's epoch changes shifted by -L, the
cycle times after each of those points while a lag-long stretch lasts (where the number of
retries steps), and the family's own breakpoints (for a restart: one slot after each
attempt of the process running since the epoch's start, whose store it finds). Both ends
of every class run for real; when they agree the whole class is counted with that outcome
(lost seconds grow linearly with the slot, so the class's total is exact from its ends).
If they disagree, the class is bisected with more real runs
(``bisected``; a test compares the classes with a slot-by-slot run on a tiny devnet).

A case at lag L whose every attempt sees exactly what the same case at another lag saw
(same slots, same views, the same next attempts) is the same computation: it reuses that
outcome (``reused``) instead of running it again. Likewise an epoch of a network with the
same time model and the same KES phase as one already run (mainnet and preprod: the same
parameters, three phases each over three epochs) is the same computation moved by a whole
number of slots: its classes are those of the first, translated (``translated``); a test
checks a translated network against its own run.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from release.chain import Network
from release.regression.families import FAMILIES, Family
from release.regression.results import CellKey, CellResult, merge_windows
from release.regression.world import (
    CERTIFICATE_AGE,
    Backend,
    CaseOutcome,
    KeyRing,
    Outcome,
    Stage,
    cycle_slots,
    lag_slots,
)

Play = Callable[[int], CaseOutcome]
SlotClass = tuple[int, int, CaseOutcome, CaseOutcome]


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


def slot_classes(
    network: Network, epoch: int, family: Family, lag: int = 0, cycle: int = 1
) -> list[tuple[int, int]]:
    """The epoch's slots cut where a view can change for lag ``lag`` (slots) and run cycle
    ``cycle`` (slots), and at the family's breakpoints."""
    first, last = network.epoch_first_slot(epoch), network.epoch_last_slot(epoch)
    points = {first}
    points.update(
        network.kes_period_first_slot(period) for period in network.kes_periods_in_epoch(epoch)
    )
    if lag:
        low = network.kes_period_of(max(network.shelley_slot, first + lag))
        high = network.kes_period_of(max(network.shelley_slot, last + lag))
        points.update(network.kes_period_first_slot(p) - lag for p in range(low, high + 2))
        points.update({first - lag, last + 1 - lag})
        # Inside a lag-long stretch the number of retries steps once per cycle.
        inside = (abs(lag) - 1) // cycle
        points.update(p + k * cycle for p in list(points) for k in range(1, inside + 1))
    points.update(family.breakpoints(network, epoch, lag, cycle))
    starts = sorted(p for p in points if first <= p <= last)
    ends = [start - 1 for start in starts[1:]] + [last]
    return list(zip(starts, ends, strict=True))


@dataclass
class _Tally:
    """A cell's counts as classes come in."""

    cases: int = 0
    failures: int = 0
    delays: int = 0
    refused_delays: int = 0
    max_retries: int = 0
    lost_seconds: float = 0.0
    max_lost_seconds: float = 0.0
    delay_seconds: float = 0.0
    max_delay_seconds: float = 0.0
    policy: dict[str, int] = field(default_factory=dict)
    failing: list[tuple[int, int]] = field(default_factory=list)
    delayed: list[tuple[int, int]] = field(default_factory=list)
    failing_lags: set[float] = field(default_factory=set)
    delay_lags: set[float] = field(default_factory=set)
    example: str | None = None
    runs: int = 0
    reused: int = 0
    bisected: int = 0
    translated: int = 0

    def merge(self, other: _Tally, shift: int = 0, source: str | None = None) -> None:
        """Add another epoch's tally, its slots moved by ``shift`` (a translated epoch)."""
        for name in ("cases", "failures", "delays", "refused_delays", "lost_seconds"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.delay_seconds += other.delay_seconds
        for name in ("max_retries", "max_lost_seconds", "max_delay_seconds"):
            setattr(self, name, max(getattr(self, name), getattr(other, name)))
        for kind, count in other.policy.items():
            self.policy[kind] = self.policy.get(kind, 0) + count
        self.failing += [(a + shift, b + shift) for a, b in other.failing]
        self.delayed += [(a + shift, b + shift) for a, b in other.delayed]
        self.failing_lags |= other.failing_lags
        self.delay_lags |= other.delay_lags
        if self.example is None and other.example is not None:
            self.example = other.example if source is None else f"{other.example} ({source})"
        if source is None:
            self.runs += other.runs
            self.reused += other.reused
            self.bisected += other.bisected
            self.translated += other.translated
        else:
            self.translated += other.cases

    def add(self, network: Network, lag: float, slot_class: SlotClass) -> None:
        start, end, low, high = slot_class
        count = end - start + 1
        self.cases += count
        if low.kind is Outcome.LOST:
            self.failures += count
            self.lost_seconds += (low.seconds + high.seconds) / 2 * count
            self.max_lost_seconds = max(self.max_lost_seconds, low.seconds, high.seconds)
            self.failing.append((start, end))
            self.failing_lags.add(lag)
            self.example = self.example or _describe(network, start, lag, low)
        elif low.kind is Outcome.DELAYED:
            self.delays += count
            self.refused_delays += count if low.detail.startswith("HTTP 400") else 0
            self.delay_seconds += low.seconds * count
            self.max_delay_seconds = max(self.max_delay_seconds, low.seconds)
            self.max_retries = max(self.max_retries, low.retries)
            self.delayed.append((start, end))
            self.delay_lags.add(lag)
        elif low.kind in (Outcome.ACCEPTED_EXPIRED, Outcome.REFUSED_EXPIRED):
            self.policy[low.kind.value] = self.policy.get(low.kind.value, 0) + count


class _Cases:
    """The cases of one cell, epoch and variant: run for real, or reused when an outcome
    computed at the same slot saw exactly the views this lag would see."""

    def __init__(
        self,
        runner: CellRunner,
        key: CellKey,
        network: Network,
        epoch: int,
        family: Family,
        variant: str,
    ) -> None:
        self.runner, self.key, self.network, self.epoch = runner, key, network, epoch
        self.family, self.variant = family, variant
        self.known: dict[int, list[CaseOutcome]] = {}
        self.runs = self.reused = 0

    def player(self, lag: float, shift: int) -> Play:
        cycle = cycle_slots(self.network, self.runner.run_interval)

        def play(slot: int) -> CaseOutcome:
            for outcome in self.known.get(slot, ()):
                if all(seen.same_for(self.network, shift, cycle) for seen in outcome.views):
                    self.reused += 1
                    return outcome
            return self.real(slot, lag)

        return play

    def real(self, slot: int, lag: float) -> CaseOutcome:
        self.runs += 1
        runner = self.runner
        stage = Stage(
            runner.backend,
            runner.keys,
            self.network,
            self.epoch,
            self.key.signer,
            self.key.aggregator,
            lag_seconds=lag,
            run_interval=runner.run_interval,
        )
        outcome = self.family.play(stage, self.variant, slot)
        self.known.setdefault(slot, []).append(outcome)
        return outcome


class CellRunner:
    def __init__(
        self, backend: Backend, keys: KeyRing, lags: Sequence[float], run_interval: float
    ) -> None:
        self.backend = backend
        self.keys = keys
        self.lags = tuple(lags)
        self.run_interval = run_interval
        #: Epoch tallies by shape (see :meth:`_shape`), with where they were computed.
        self._epochs: dict[tuple[object, ...], tuple[str, int, int, _Tally]] = {}

    def run(self, key: CellKey, network: Network, epochs: Sequence[int]) -> CellResult:
        tally = _Tally()
        for epoch in epochs:
            first = network.epoch_first_slot(epoch)
            shape = (key.signer, key.aggregator, key.scenario, *self._shape(network, epoch))
            found = self._epochs.get(shape)
            if found is None:
                part = self._run_epoch(key, network, epoch)
                self._epochs[shape] = (network.name, epoch, first, part)
                tally.merge(part)
            else:
                name, source_epoch, origin, part = found
                tally.merge(part, first - origin, f"computed on {name} epoch {source_epoch}")
        runs, reused, bisected = tally.runs, tally.reused, tally.bisected
        return CellResult(
            network=key.network,
            signer=key.signer,
            aggregator=key.aggregator,
            scenario=key.scenario,
            epochs=list(epochs),
            cases=tally.cases,
            failures=tally.failures,
            failure_windows=merge_windows(tally.failing),
            failing_lags=sorted(tally.failing_lags),
            delays=tally.delays,
            delay_windows=merge_windows(tally.delayed),
            delay_lags=sorted(tally.delay_lags),
            refused_delays=tally.refused_delays,
            max_retries=tally.max_retries,
            lost_seconds=round(tally.lost_seconds, 3),
            max_lost_seconds=round(tally.max_lost_seconds, 3),
            delay_seconds=round(tally.delay_seconds, 3),
            max_delay_seconds=round(tally.max_delay_seconds, 3),
            policy=dict(sorted(tally.policy.items())),
            runs=runs,
            reused=reused,
            translated=tally.translated,
            bisected=bisected,
            example=tally.example,
        )

    def _shape(self, network: Network, epoch: int) -> tuple[object, ...]:
        """What a cell's epoch depends on, up to a translation of every slot: the time
        model and the epoch's KES phase. Near genesis (where slots, periods or certificate
        starts are clamped at 0) the network and epoch themselves."""
        first = network.epoch_first_slot(epoch)
        reach = max(abs(lag_slots(network, lag)) for lag in self.lags) + network.epoch_length
        far = (
            first - network.shelley_slot > reach
            and network.kes_period_of(first) > network.max_kes_evolutions + CERTIFICATE_AGE + 1
        )
        return (
            network.epoch_length,
            network.slot_length,
            network.slots_per_kes_period,
            network.max_kes_evolutions,
            first % network.slots_per_kes_period,
            None if far else (network.name, epoch),
        )

    def _run_epoch(self, key: CellKey, network: Network, epoch: int) -> _Tally:
        family = FAMILIES[key.scenario]
        tally = _Tally()
        cycle = cycle_slots(network, self.run_interval)
        for variant in family.variants:
            cases = _Cases(self, key, network, epoch, family, variant)
            for lag in self.lags:
                shift = lag_slots(network, lag)
                for first, last in slot_classes(network, epoch, family, shift, cycle):
                    classes = _settle(cases.player(lag, shift), first, last)
                    tally.bisected += len(classes) > 1
                    for slot_class in classes:
                        tally.add(network, lag, slot_class)
            tally.runs += cases.runs
            tally.reused += cases.reused
        return tally


def _settle(play: Play, first: int, last: int) -> list[SlotClass]:
    low = play(first)
    high = low if last == first else play(last)
    return _split(play, first, last, low, high)


def _split(
    play: Play, first: int, last: int, low: CaseOutcome, high: CaseOutcome
) -> list[SlotClass]:
    if low.verdict == high.verdict:
        return [(first, last, low, high)]
    if last == first + 1:
        return [(first, first, low, low), (last, last, high, high)]
    middle = (first + last) // 2
    return _split(play, first, middle, low, play(middle)) + _split(
        play, middle + 1, last, play(middle + 1), high
    )


def _describe(network: Network, slot: int, lag: float, outcome: CaseOutcome) -> str:
    hours = network.hours_into_epoch(slot)
    return (
        f"slot {slot} (lag {lag:+g} s), {hours:.1f} h into epoch {network.epoch_of(slot)}: "
        f"{outcome.detail}; signing lost for {outcome.seconds / 3600:.1f} h"
    )
