"""What a run produces: one result per matrix cell, and the run as a whole."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from release.regression.errors import ReportError, ShardError


@dataclass(frozen=True, order=True)
class CellKey:
    network: str
    signer: str
    aggregator: str
    scenario: str


@dataclass(frozen=True)
class Shard:
    """Slice ``index`` of ``count`` (1-based) of the ordered matrix, dealt back and forth
    (1, 2, ..., N, N, ..., 2, 1, 1, 2, ...): neighbouring cells cost alike, so each slice gets
    the same mix of heavy and light ones (every N-th cell put the heavy scenarios in one
    slice: 4.7 s against 2.5 s for halves of the default run)."""

    index: int
    count: int

    @classmethod
    def parse(cls, text: str) -> Shard:
        try:
            index, count = (int(part) for part in text.split("/"))
        except ValueError:
            raise ShardError(f"--shard {text!r} must be K/N, e.g. 2/4") from None
        if not 1 <= index <= count:
            raise ShardError(f"--shard {text!r}: K must be between 1 and N")
        return cls(index, count)

    def select(self, cells: Iterable[CellKey]) -> list[CellKey]:
        return [
            cell for position, cell in enumerate(cells) if self._slice_of(position) == self.index
        ]

    def _slice_of(self, position: int) -> int:
        round_, place = divmod(position, self.count)
        return place + 1 if round_ % 2 == 0 else self.count - place

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"


def merge_windows(ranges: Iterable[tuple[int, int]]) -> list[list[int]]:
    """Sorted, disjoint ``[first, last]`` slot ranges covering the given ones."""
    merged: list[list[int]] = []
    for first, last in sorted(ranges):
        if merged and first <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], last)
        else:
            merged.append([first, last])
    return merged


@dataclass(frozen=True)
class CellResult:
    """One (network, signer, aggregator, scenario) cell over every slot of the run's epochs
    and every chain lag of the sweep."""

    network: str
    signer: str
    aggregator: str
    scenario: str
    epochs: list[int]
    #: Cases covered: restart slots x lags x the family's variants.
    cases: int
    #: Cases that lose signing (not registered before the epoch ended).
    failures: int
    #: Absolute slots where some lag loses signing, as merged ``[first, last]`` ranges.
    failure_windows: list[list[int]]
    #: Lags (s) at which some case loses signing.
    failing_lags: list[float] = field(default_factory=list)
    #: Cases registered only after retries (a delay, no signing lost but the delay's).
    delays: int = 0
    delay_windows: list[list[int]] = field(default_factory=list)
    delay_lags: list[float] = field(default_factory=list)
    #: Delayed cases whose first attempt the aggregator refused (400: its KES window), as
    #: opposed to waiting for its epoch change or its round (550).
    refused_delays: int = 0
    max_retries: int = 0
    #: Signing time lost, summed over the losing cases, and the largest one (seconds).
    lost_seconds: float = 0.0
    max_lost_seconds: float = 0.0
    #: Delays, summed over the delayed cases, and the largest one (seconds).
    delay_seconds: float = 0.0
    max_delay_seconds: float = 0.0
    #: Expired-certificate outcomes (a policy, never a failure): ``accepted-expired`` and
    #: ``refused-expired`` case counts.
    policy: dict[str, int] = field(default_factory=dict)
    #: Cases actually run with real signing and verification.
    runs: int = 0
    #: Cases at a non-zero lag that saw exactly what the lag-0 case saw (its outcome reused).
    reused: int = 0
    #: Cases taken, translated, from an epoch of another network with the same time model
    #: and KES phase (the same computation moved by a whole number of slots).
    translated: int = 0
    #: Classes whose two ends disagreed and had to be bisected.
    bisected: int = 0
    #: One losing case in words (slot, lag, the refusal), for the report.
    example: str | None = None

    @property
    def key(self) -> CellKey:
        return CellKey(self.network, self.signer, self.aggregator, self.scenario)

    @property
    def passed(self) -> bool:
        """No case loses signing (delays and the expiry policy are reported apart)."""
        return self.failures == 0

    def impact(self) -> dict[str, float]:
        """Lost signing in hours (max; mean over the losing restarts; mean over all restart
        moments, uniform in the epoch and over the lags), the share of restart moments that
        lose signing, and delays in minutes."""
        return {
            "lost_share": round(self.failures / self.cases, 6) if self.cases else 0.0,
            "lost_max_hours": round(self.max_lost_seconds / 3600, 3),
            "lost_mean_hours_when_lost": (
                round(self.lost_seconds / self.failures / 3600, 3) if self.failures else 0.0
            ),
            "lost_mean_hours_all": (
                round(self.lost_seconds / self.cases / 3600, 3) if self.cases else 0.0
            ),
            "delay_share": round(self.delays / self.cases, 6) if self.cases else 0.0,
            "delay_max_minutes": round(self.max_delay_seconds / 60, 2),
            "delay_mean_minutes": (
                round(self.delay_seconds / self.delays / 60, 2) if self.delays else 0.0
            ),
        }

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, document: Mapping[str, Any], source: Path) -> CellResult:
        fields = {key: value for key, value in document.items() if key != "impact"}
        try:
            return cls(**fields)
        except TypeError as failure:
            raise ReportError(
                f"{source}: a cell entry does not have the expected fields: {failure}"
            ) from None


@dataclass(frozen=True)
class RunStats:
    slot_cases: int
    runs: int
    kes_signatures: int
    kes_verifications: int
    bisected: int
    elapsed_s: float
    #: Cases at a non-zero lag whose outcome was the lag-0 case's (same views throughout).
    reused: int = 0
    #: Cases translated from an epoch of another network with the same shape.
    translated: int = 0

    @property
    def slots_per_second(self) -> float:
        return self.slot_cases / self.elapsed_s if self.elapsed_s else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "kes_operations": self.kes_operations,
            "slots_per_second": self.slots_per_second,
        }

    @property
    def kes_operations(self) -> int:
        return self.kes_signatures + self.kes_verifications


@dataclass(frozen=True)
class ExpectationCheck:
    """One known outcome checked against the cells of the run (None: cells not in the run)."""

    statement: str
    held: bool | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class SuiteResult:
    cells: list[CellResult]
    parameters: dict[str, Any]
    stats: RunStats
    expectations: list[ExpectationCheck]
    #: The structured summary written to report.json (see release.regression.summary).
    digest: dict[str, Any]
    #: The plain-words summary.
    summary: str
    report_dir: Path | None = None

    @property
    def candidate_passed(self) -> bool:
        return bool(self.digest["candidate"]["passed"])

    @property
    def expectations_held(self) -> bool:
        return all(check.held is not False for check in self.expectations)

    @property
    def passed(self) -> bool:
        """Exit status 0: the candidate never fails and every known outcome holds."""
        return self.candidate_passed and self.expectations_held
