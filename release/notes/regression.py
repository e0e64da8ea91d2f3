"""What the notes need from the regression report, in the words an operator understands.

The suite's ``report.json`` lists one cell per (network, signer, aggregator, scenario) with
its outcome over every restart moment and chain lag. This module reads and checks it, and
asks :func:`release.regression.who_was_affected` (the one source every document quotes)
who lost signing; nothing here re-derives an outcome.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from release.chain import Network
from release.chain.config import network_from_table
from release.chain.errors import ChainError
from release.nodes.profiles import aggregator_profile_for_version, signer_profile_for_version
from release.notes.errors import RegressionReportError
from release.regression import CellResult, Impact, ReportError, WhoWasAffected, who_was_affected

REPORT_FILE = "report.json"


@dataclass(frozen=True)
class PairOutcome:
    """How one signer profile fared against one aggregator profile over the whole matrix."""

    signer: str
    aggregator: str
    cases: int
    #: Cases that lose signing.
    failures: int
    #: The cells that lose signing, one per (network, scenario).
    lost: tuple[Impact, ...]
    #: The longest a registration waited for a later cycle, in any cell (minutes).
    max_delay_minutes: float = 0.0

    @property
    def passed(self) -> bool:
        return self.failures == 0

    def scenario_passed(self, scenario: str) -> bool:
        return all(impact.scenario != scenario for impact in self.lost)

    @property
    def lost_scenarios(self) -> frozenset[str]:
        return frozenset(impact.scenario for impact in self.lost)


@dataclass(frozen=True)
class RegressionSummary:
    """The regression facts a release body and the SPO notes state."""

    #: Networks the suite ran on, in report order.
    networks: tuple[str, ...]
    #: Consecutive epochs simulated per network (the most any network ran).
    epochs: int
    #: The signer and aggregator this release ships.
    candidate: PairOutcome


@dataclass(frozen=True)
class RegressionReport:
    """A parsed ``report.json``: its cells and the time model of each network."""

    epochs: int
    cells: tuple[CellResult, ...]
    #: The time model of every network the suite ran on, by name.
    networks_by_name: Mapping[str, Network]
    source: str

    @property
    def networks(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(cell.network for cell in self.cells))

    def profiles(self, role: str) -> frozenset[str]:
        """The ``signer`` or ``aggregator`` profiles the report has cells for."""
        return frozenset(getattr(cell, role) for cell in self.cells)

    def profile_of(self, role: str, version: str) -> str:
        """The report's ``signer`` or ``aggregator`` profile for a released component
        version (the behaviour it has); an error when the report has none for it."""
        by_version = (
            signer_profile_for_version if role == "signer" else aggregator_profile_for_version
        )
        profile = by_version(version)
        known = self.profiles(role)
        if profile not in known:
            raise RegressionReportError(
                f"{self.source}: no {role} profile for version {version}"
                f" (profiles in the report: {', '.join(sorted(known))})"
            )
        return profile

    def outcome(self, signer: str, aggregator: str) -> PairOutcome:
        """The pair's outcome; an error listing the pairs present when it was not run."""
        cells = [
            cell for cell in self.cells if (cell.signer, cell.aggregator) == (signer, aggregator)
        ]
        if not cells:
            pairs = sorted({f"{cell.signer} x {cell.aggregator}" for cell in self.cells})
            raise RegressionReportError(
                f"{self.source}: no cell for signer {signer!r} x aggregator {aggregator!r}"
                f" (pairs present: {', '.join(pairs)})"
            )
        return PairOutcome(
            signer=signer,
            aggregator=aggregator,
            cases=sum(cell.cases for cell in cells),
            failures=sum(cell.failures for cell in cells),
            lost=tuple(
                Impact.of(cell, self.networks_by_name[cell.network])
                for cell in cells
                if cell.failures
            ),
            max_delay_minutes=max(cell.max_delay_seconds for cell in cells) / 60,
        )

    def summary(self, candidate: tuple[str, str]) -> RegressionSummary:
        return RegressionSummary(
            networks=self.networks, epochs=self.epochs, candidate=self.outcome(*candidate)
        )

    def who_was_affected(
        self,
        *,
        broken_signer: str,
        previous_signer: str,
        candidate: tuple[str, str],
        aggregators: Mapping[str, str],
        signer_names: Mapping[str, str],
        aggregator_names: Mapping[str, str],
    ) -> WhoWasAffected:
        """The report's answer to "who was affected" (see :mod:`release.regression.impact`);
        an error naming the profile when a cell it needs was not run."""
        for role, profile in (
            ("signer", broken_signer),
            ("signer", previous_signer),
            ("signer", candidate[0]),
            ("aggregator", candidate[1]),
            *(("aggregator", name) for name in aggregators.values()),
        ):
            if profile not in self.profiles(role):
                raise RegressionReportError(
                    f"{self.source}: no cell for {role} profile {profile!r}"
                    f" (present: {', '.join(sorted(self.profiles(role)))})"
                )
        return who_was_affected(
            self.cells,
            self.networks_by_name,
            broken_signer=broken_signer,
            previous_signer=previous_signer,
            fixed_signer=candidate[0],
            fixed_aggregator=candidate[1],
            aggregators=aggregators,
            signer_names=signer_names,
            aggregator_names=aggregator_names,
        )


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
    try:
        cells = tuple(
            CellResult.from_json(_cell(cell, networks, source, f"cells[{index}]."), Path(source))
            for index, cell in enumerate(_field(document, "cells", list, source))
        )
    except ReportError as error:
        raise RegressionReportError(str(error)) from None
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
