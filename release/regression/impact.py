"""What a run means for operators: signing lost per cell, and the one list of "who was
affected" every document (rollback and upgrade notes, release body, blog update) states.

Who was affected by a broken signer release: the cells where the broken signer, with the
aggregator a network runs, loses signing and the previous signer release does not (the
regression it introduced). Other differences (delays, the expiry policy) are "also
improved" items, worded as what they are. "None failed" names the aggregator versions it
holds for, per network.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from release.chain import Network
from release.regression.families import FAMILIES
from release.regression.results import CellResult


def window_hours(network: Network, windows: Sequence[Sequence[int]]) -> tuple[float, float]:
    """The earliest start and latest end of slot windows, in hours into their epochs."""
    starts, ends = [], []
    slot_hours = network.slot_length / 3600
    for first, last in windows:
        slot = first
        while slot <= last:
            end = min(last, network.epoch_last_slot(network.epoch_of(slot)))
            starts.append(network.hours_into_epoch(slot))
            ends.append(network.hours_into_epoch(end) + slot_hours)
            slot = end + 1
    return (round(min(starts), 3), round(max(ends), 3)) if starts else (0.0, 0.0)


@dataclass(frozen=True)
class Impact:
    """One cell's cost to an operator, in the terms the notes use."""

    network: str
    signer: str
    aggregator: str
    scenario: str
    #: Share of restart moments (uniform in the epoch, over the swept lags) losing signing.
    lost_share: float
    lost_max_hours: float
    lost_mean_hours_when_lost: float
    lost_mean_hours_all: float
    #: When in the epoch losing moments fall: earliest start, latest end (hours).
    lost_from_hour: float
    lost_to_hour: float
    epoch_hours: float
    delay_share: float
    delay_max_minutes: float
    delay_mean_minutes: float
    accepts_expired: bool
    refuses_expired: bool

    @classmethod
    def of(cls, cell: CellResult, network: Network) -> Impact:
        figures = cell.impact()
        start, end = window_hours(network, cell.failure_windows)
        return cls(
            network=cell.network,
            signer=cell.signer,
            aggregator=cell.aggregator,
            scenario=cell.scenario,
            lost_share=figures["lost_share"],
            lost_max_hours=figures["lost_max_hours"],
            lost_mean_hours_when_lost=figures["lost_mean_hours_when_lost"],
            lost_mean_hours_all=figures["lost_mean_hours_all"],
            lost_from_hour=start,
            lost_to_hour=end,
            epoch_hours=network.epoch_hours,
            delay_share=figures["delay_share"],
            delay_max_minutes=figures["delay_max_minutes"],
            delay_mean_minutes=figures["delay_mean_minutes"],
            accepts_expired=cell.policy.get("accepted-expired", 0) > 0,
            refuses_expired=cell.policy.get("refused-expired", 0) > 0,
        )

    @property
    def loses(self) -> bool:
        return self.lost_share > 0

    @property
    def situation(self) -> str:
        return FAMILIES[self.scenario].situation

    def lost_words(self) -> str:
        """E.g. "48 h or more into the epoch (50 % of the moments in an epoch), it lost
        signing until the epoch's end: 30.8 h on average, at most 72 h"."""
        when = (
            "at any moment of the epoch"
            if self.lost_from_hour <= 0.05
            else f"{_hours(self.lost_from_hour)} or more into the epoch"
        )
        return (
            f"{when} ({_percent(self.lost_share)} of the moments in an epoch), it lost "
            f"signing until the epoch's end: {_hours(self.lost_mean_hours_when_lost)} on "
            f"average, at most {_hours(self.lost_max_hours)}"
        )

    def delay_words(self) -> str:
        """E.g. "a restart in 1.8 min of each epoch registered at a later cycle, up to 2 min
        late" (minutes of the epoch averaged over the swept lags)."""
        exposed = self.delay_share * self.epoch_hours * 60
        return (
            f"a restart in {_minutes(exposed)} of each epoch, averaged over the chain lags, "
            f"registered at a later cycle, up to {_minutes(self.delay_max_minutes)} late"
        )


@dataclass(frozen=True)
class AffectedItem:
    """A regression: the broken signer loses signing here, the previous one does not."""

    network: str
    scenario: str
    aggregator: str
    broken: Impact
    #: The sentence every document prints for it.
    text: str


@dataclass(frozen=True)
class ImprovedItem:
    """A difference that is not lost signing: a delay removed, or the expiry policy."""

    network: str
    scenario: str
    kind: str
    text: str


@dataclass(frozen=True)
class WhoWasAffected:
    broken_signer: str
    previous_signer: str
    fixed_signer: str
    #: Network -> the aggregator profile it runs (what every statement holds for).
    aggregators: Mapping[str, str]
    affected: tuple[AffectedItem, ...]
    also_improved: tuple[ImprovedItem, ...]
    #: Network -> aggregator profiles with which the fixed signer loses signing nowhere.
    none_failed: Mapping[str, tuple[str, ...]]
    #: Display names of the profiles ("fixed" -> "0.7.93"); a profile missing is its name.
    signer_names: Mapping[str, str] = field(default_factory=dict)
    aggregator_names: Mapping[str, str] = field(default_factory=dict)
    #: Network -> what the fixed signer does with the aggregator that network runs.
    with_deployed: Mapping[str, str] = field(default_factory=dict)

    def none_failed_words(self, network: str) -> str:
        holds = self.none_failed.get(network, ())
        signer = self.signer_names.get(self.fixed_signer, self.fixed_signer)
        if not holds:
            return f"on {network}, signer {signer} loses signing with every aggregator"
        names = [self.aggregator_names.get(name, name) for name in holds]
        return f"on {network}, signer {signer} never lost signing with aggregator {_join(names)}"


def who_was_affected(
    cells: Sequence[CellResult],
    networks: Mapping[str, Network],
    *,
    broken_signer: str,
    previous_signer: str,
    fixed_signer: str,
    aggregators: Mapping[str, str],
    fixed_aggregator: str = "fixed",
    signer_names: Mapping[str, str] | None = None,
    aggregator_names: Mapping[str, str] | None = None,
) -> WhoWasAffected:
    """The single source of the affected list, the "also improved" items and "none failed".

    ``aggregators`` maps each network to the aggregator profile it runs; networks missing
    from it are not judged. ``signer_names`` and ``aggregator_names`` give the words a
    profile is shown with (a version), so the documents name what operators run.
    """
    signer_names = dict(signer_names or {})
    aggregator_names = dict(aggregator_names or {})

    def signer(name: str) -> str:
        return signer_names.get(name, name)

    def aggregator_(name: str) -> str:
        return aggregator_names.get(name, name)

    by_key = {(c.network, c.signer, c.aggregator, c.scenario): c for c in cells}
    affected, improved = [], []
    with_deployed: dict[str, str] = {}
    for network_name in dict.fromkeys(c.network for c in cells):
        aggregator = aggregators.get(network_name)
        if aggregator is None:
            continue
        network = networks[network_name]
        with_deployed[network_name] = _with_deployed(
            [
                Impact.of(cell, network)
                for scenario in FAMILIES
                if (cell := by_key.get((network_name, fixed_signer, aggregator, scenario)))
            ],
            f"on {network_name}, with aggregator {aggregator_(aggregator)}, signer "
            f"{signer(fixed_signer)}",
        )
        for scenario in FAMILIES:
            broken = by_key.get((network_name, broken_signer, aggregator, scenario))
            previous = by_key.get((network_name, previous_signer, aggregator, scenario))
            if broken is None or previous is None:
                continue
            impact = Impact.of(broken, network)
            if broken.failures and not previous.failures:
                affected.append(
                    AffectedItem(
                        network_name,
                        scenario,
                        aggregator,
                        impact,
                        f"{network_name} (aggregator {aggregator_(aggregator)}): "
                        f"{impact.situation}: {impact.lost_words()}",
                    )
                )
            fixed = by_key.get((network_name, fixed_signer, fixed_aggregator, scenario))
            if fixed is None:
                continue
            after = Impact.of(fixed, network)
            if broken.delays and after.delay_share < impact.delay_share:
                improved.append(
                    ImprovedItem(
                        network_name,
                        scenario,
                        "delay",
                        f"{network_name}: {impact.situation}: with aggregator "
                        f"{aggregator_(aggregator)}, {impact.delay_words()} (a fresh signature "
                        f"refused within the chain lag after a KES-period boundary, accepted "
                        f"at the next cycle); with signer {signer(fixed_signer)} and aggregator "
                        f"{aggregator_(fixed_aggregator)}: "
                        + (after.delay_words() if fixed.delays else "no delay"),
                    )
                )
            if impact.accepts_expired and not after.accepts_expired:
                improved.append(
                    ImprovedItem(
                        network_name,
                        scenario,
                        "expiry",
                        f"{network_name}: aggregator {aggregator_(aggregator)} accepts a "
                        f"registration made with an expired operational certificate (no "
                        f"Mithril aggregator checks it); aggregator "
                        f"{aggregator_(fixed_aggregator)} refuses it, a policy of ours, not a "
                        "registration failure",
                    )
                )
    none_failed = {
        name: tuple(
            sorted(
                {c.aggregator for c in cells if c.network == name and c.signer == fixed_signer}
                - {
                    c.aggregator
                    for c in cells
                    if c.network == name and c.signer == fixed_signer and c.failures
                }
            )
        )
        for name in dict.fromkeys(c.network for c in cells)
    }
    return WhoWasAffected(
        broken_signer,
        previous_signer,
        fixed_signer,
        dict(aggregators),
        tuple(affected),
        tuple(improved),
        none_failed,
        signer_names,
        aggregator_names,
        with_deployed,
    )


def _with_deployed(impacts: Sequence[Impact], subject: str) -> str:
    """What the fixed signer does with a network's aggregator, over every scenario: where it
    loses signing, else that it never does, with its longest delay."""
    losing = [impact for impact in impacts if impact.loses]
    if losing:
        return "; ".join(
            f"{subject}: {impact.situation}: {impact.lost_words()}" for impact in losing
        )
    delayed = max(impacts, key=lambda impact: impact.delay_max_minutes, default=None)
    if delayed is None or not delayed.delay_share:
        return f"{subject} never lost signing and was never delayed"
    return (
        f"{subject} never lost signing; at worst a registration waited for a later cycle, "
        f"up to {_minutes(delayed.delay_max_minutes)}"
    )


def headline(
    cells: Sequence[CellResult], networks: Mapping[str, Network], pair: tuple[str, str]
) -> list[str]:
    """Per network, what a restart at a random moment cost with ``pair`` (signer,
    aggregator), e.g. "mainnet: a signer 0.2.273 with aggregator 0.7.90 restarted at a
    random moment of an epoch had a 60 % chance of losing signing, 43.2 h on average when
    it did (at most 72 h)"."""
    signer, aggregator = pair
    lines = []
    for name in dict.fromkeys(c.network for c in cells):
        cell = next(
            (
                c
                for c in cells
                if (c.network, c.signer, c.aggregator, c.scenario)
                == (name, signer, aggregator, "restart")
            ),
            None,
        )
        if cell is None:
            continue
        impact = Impact.of(cell, networks[name])
        if impact.loses:
            lines.append(
                f"{name}: a signer {signer} with aggregator {aggregator} restarted at a random "
                f"moment of an epoch had a {_percent(impact.lost_share)} chance of losing "
                f"signing, {_hours(impact.lost_mean_hours_when_lost)} on average when it did "
                f"(at most {_hours(impact.lost_max_hours)}; "
                f"{_hours(impact.lost_mean_hours_all)} per restart overall)"
            )
        else:
            lines.append(
                f"{name}: a signer {signer} with aggregator {aggregator} restarted at any "
                "moment of an epoch kept signing"
                + (f"; {impact.delay_words()}" if impact.delay_share else "")
            )
    return lines


def _percent(share: float) -> str:
    value = share * 100
    if 0 < value < 0.1:
        return "< 0.1 %"
    return f"{value:.1f} %".replace(".0 %", " %")


def _hours(hours: float) -> str:
    return f"{hours:.1f} h".replace(".0 h", " h")


def _minutes(minutes: float) -> str:
    return (
        f"{minutes:.1f} min".replace(".0 min", " min") if minutes >= 1 else f"{minutes * 60:.0f} s"
    )


def _join(names: Sequence[str]) -> str:
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"
