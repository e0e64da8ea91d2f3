"""What the notes need from the regression report, in the words an operator understands.

The suite's ``report.json`` lists one cell per (network, signer, aggregator, scenario) with
the failing slot windows; the notes speak of hours into the epoch instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.chain import Network
from release.chain.config import network_from_table
from release.chain.errors import ChainError
from release.notes.errors import RegressionReportError

REPORT_FILE = "report.json"


@dataclass(frozen=True)
class AffectedWindow:
    """When, in an epoch of ``network``, a scenario fails (all run epochs folded together)."""

    #: Cardano network name (``mainnet``, ``preprod``, ``preview``, or a custom one).
    network: str
    #: Scenario family of the suite (``restart``, ``upgrade``, ``kes-rotation``, ...).
    scenario: str
    #: Earliest failing moment, in hours after the start of the epoch.
    hours_from: float
    #: End of the latest failing stretch, in hours after the start of the epoch.
    hours_to: float
    #: Length of an epoch on that network, in hours (so "until the epoch ends" can be said).
    epoch_hours: float

    @property
    def until_epoch_end(self) -> bool:
        # Tolerance: hours are sums of float slot lengths (0.1 s slots on a devnet).
        return self.hours_to >= self.epoch_hours - 1e-9


@dataclass(frozen=True)
class PairOutcome:
    """How one signer profile fared against one aggregator profile over the whole matrix."""

    signer: str
    aggregator: str
    cases: int
    failures: int
    #: Where it fails, one entry per (network, scenario) that has failures.
    windows: tuple[AffectedWindow, ...]

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def scenario_passed(self, scenario: str) -> bool:
        return all(window.scenario != scenario for window in self.windows)


@dataclass(frozen=True)
class RegressionSummary:
    """The regression facts a release body and the SPO notes state."""

    #: Networks the suite ran on, in report order.
    networks: tuple[str, ...]
    #: Consecutive epochs simulated per network (the most any network ran).
    epochs: int
    #: The signer and aggregator this release ships.
    candidate: PairOutcome
    #: The pair operators ran when the incident happened (shows the suite reproduces it).
    incident: PairOutcome | None = None


@dataclass(frozen=True)
class RegressionReport:
    """A parsed ``report.json``: its cells and the time model of each network."""

    epochs: int
    cells: tuple[Mapping[str, Any], ...]
    #: The time model of every network the suite ran on, by name.
    networks_by_name: Mapping[str, Network]
    source: str

    @property
    def networks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cell["network"] for cell in self.cells))

    def outcome(self, signer: str, aggregator: str) -> PairOutcome:
        """The pair's outcome; an error listing the pairs present when it was not run."""
        pair = (signer, aggregator)
        cells = [cell for cell in self.cells if (cell["signer"], cell["aggregator"]) == pair]
        if not cells:
            pairs = sorted({f"{cell['signer']} x {cell['aggregator']}" for cell in self.cells})
            raise RegressionReportError(
                f"{self.source}: no cell for signer {signer!r} x aggregator {aggregator!r}"
                f" (pairs present: {', '.join(pairs)})"
            )
        return PairOutcome(
            signer=signer,
            aggregator=aggregator,
            cases=sum(cell["cases"] for cell in cells),
            failures=sum(cell["failures"] for cell in cells),
            windows=tuple(self._windows(cells)),
        )

    def summary(
        self, candidate: tuple[str, str], incident: tuple[str, str] | None = None
    ) -> RegressionSummary:
        return RegressionSummary(
            networks=self.networks,
            epochs=self.epochs,
            candidate=self.outcome(*candidate),
            incident=None if incident is None else self.outcome(*incident),
        )

    def _windows(self, cells: Iterable[Mapping[str, Any]]) -> Iterable[AffectedWindow]:
        spans: dict[tuple[str, str], list[tuple[float, float]]] = {}
        for cell in cells:
            network = cell["network"]
            for first, last in cell["failure_windows"]:
                spans.setdefault((network, cell["scenario"]), []).extend(
                    self._hours_into_epoch(network, first, last)
                )
        for (network, scenario), hours in spans.items():
            yield AffectedWindow(
                network=network,
                scenario=scenario,
                hours_from=min(start for start, _ in hours),
                hours_to=max(end for _, end in hours),
                epoch_hours=self.networks_by_name[network].epoch_hours,
            )

    def _hours_into_epoch(self, network: str, first: int, last: int) -> list[tuple[float, float]]:
        """(start, end) hours after the epoch start of a failing slot window, one pair per
        epoch it touches; the end is the end of the last failing slot."""
        model = self.networks_by_name[network]
        slot_hours = model.slot_length / 3600
        pieces: list[tuple[float, float]] = []
        slot = first
        while slot <= last:
            piece_last = min(last, model.epoch_last_slot(model.epoch_of(slot)))
            start = model.hours_into_epoch(slot)
            pieces.append((start, start + (piece_last - slot + 1) * slot_hours))
            slot = piece_last + 1
        return pieces


def load_report(directory: Path) -> RegressionReport:
    """Read ``report.json`` from the suite's report directory."""
    path = directory / REPORT_FILE
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise RegressionReportError(f"{path}: cannot read ({error.strerror})") from None
    except json.JSONDecodeError as error:
        raise RegressionReportError(f"{path}: not JSON ({error})") from None
    return parse_report(document, source=str(path))


def parse_report(document: Any, *, source: str = REPORT_FILE) -> RegressionReport:
    """Read the suite's report document: ``parameters.networks`` (name -> the network's
    parameters), ``parameters.epochs`` (name -> epochs run) and ``cells``."""
    if not isinstance(document, dict):
        raise RegressionReportError(f"{source}: expected a JSON object")
    parameters = _field(document, "parameters", dict, source)
    tables = _field(parameters, "networks", dict, source, "parameters.")
    try:
        networks = {
            name: network_from_table(name, table, where=f"{source}: parameters.networks")
            for name, table in tables.items()
        }
    except ChainError as error:
        raise RegressionReportError(str(error)) from None
    epochs = _field(parameters, "epochs", dict, source, "parameters.")
    if not epochs or not all(isinstance(run, list) and run for run in epochs.values()):
        raise RegressionReportError(
            f"{source}: parameters.epochs: expected network -> [epoch, ...] for every network"
        )
    cells = tuple(
        _cell(cell, networks, source, f"cells[{index}].")
        for index, cell in enumerate(_field(document, "cells", list, source))
    )
    return RegressionReport(
        epochs=max(len(run) for run in epochs.values()),
        cells=cells,
        networks_by_name=networks,
        source=source,
    )


def _cell(
    cell: Any, networks: Mapping[str, Network], source: str, prefix: str
) -> Mapping[str, Any]:
    if not isinstance(cell, dict):
        raise RegressionReportError(f"{source}: {prefix.rstrip('.')}: expected an object")
    for key in ("network", "signer", "aggregator", "scenario"):
        _field(cell, key, str, source, prefix)
    for key in ("cases", "failures"):
        _field(cell, key, int, source, prefix)
    if cell["network"] not in networks:
        raise RegressionReportError(
            f"{source}: {prefix}network: {cell['network']!r} is not in parameters.networks"
        )
    windows = _field(cell, "failure_windows", list, source, prefix)
    first_slot = networks[cell["network"]].shelley_slot
    if not all(
        isinstance(window, list)
        and len(window) == 2
        and all(isinstance(slot, int) and not isinstance(slot, bool) for slot in window)
        and first_slot <= window[0] <= window[1]
        for window in windows
    ):
        raise RegressionReportError(
            f"{source}: {prefix}failure_windows: expected [[first_slot, last_slot], ...]"
            f" with {first_slot} <= first <= last (Shelley-era slots of {cell['network']})"
        )
    return cell


def _field(
    mapping: Mapping[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    source: str,
    prefix: str = "",
) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kind) or isinstance(value, bool):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        expected = " or ".join(k.__name__ for k in kinds)
        raise RegressionReportError(
            f"{source}: {prefix}{key}: expected {expected}, found {value!r}"
        )
    return value
