"""The known outcomes a run must reproduce (``expectations.json``, shipped as package data)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from release.nodes import AGGREGATOR_PROFILES, SIGNER_PROFILES
from release.regression.errors import ExpectationsError
from release.regression.families import FAMILY_NAMES
from release.regression.results import CellKey, CellResult, ExpectationCheck

ANY = "*"
PACKAGE_FILE = "expectations.json"
#: What an expectation's ``fails_on`` / ``passes_on`` speak of: signing lost (the
#: default), a delay, or the expiry policy outcome.
OUTCOMES = (
    "lost",
    "delayed",
    "refused-then-registered",
    "accepted-expired",
    "refused-expired",
)


@dataclass(frozen=True)
class Expectation:
    signer: str
    aggregator: str
    scenario: str
    fails_on: tuple[str, ...]
    passes_on: tuple[str, ...]
    why: str
    outcome: str = "lost"

    @property
    def statement(self) -> str:
        shows, lacks = {
            "lost": ("loses signing", "never loses signing"),
            "delayed": ("registers late", "never registers late"),
            "refused-then-registered": (
                "is refused, then registers at a later cycle",
                "is never refused before registering",
            ),
            "accepted-expired": ("accepts an expired certificate", "never accepts one"),
            "refused-expired": ("refuses an expired certificate", "never refuses one"),
        }[self.outcome]
        parts = []
        if self.fails_on:
            parts.append(f"{shows} on {_networks(self.fails_on)}")
        if self.passes_on:
            parts.append(f"{lacks} on {_networks(self.passes_on)}")
        pair = f"signer {_any(self.signer)} x aggregator {_any(self.aggregator)}"
        return f"{pair}, {_any(self.scenario, 'scenario')}: {' and '.join(parts)}"

    def shows(self, cell: CellResult) -> bool:
        if self.outcome == "lost":
            return cell.failures > 0
        if self.outcome == "delayed":
            return cell.delays > 0
        if self.outcome == "refused-then-registered":
            return cell.refused_delays > 0
        return cell.policy.get(self.outcome, 0) > 0


@dataclass(frozen=True)
class Expectations:
    candidate: tuple[str, str]
    entries: tuple[Expectation, ...]
    source: str
    #: The pair operators ran in the incident (the report's headline speaks of it).
    incident: tuple[str, str] | None = None
    #: The signer release before the incident's (who was affected: lost with the incident's
    #: signer, not with this one).
    previous_signer: str | None = None


def load_expectations(path: str | Path | None = None) -> Expectations:
    """The given file, or the one shipped inside the package (works from a zipapp too)."""
    if path is None:
        text = resources.files("release.regression").joinpath(PACKAGE_FILE).read_text()
        source = f"release/regression/{PACKAGE_FILE}"
    else:
        try:
            text = Path(path).read_text()
        except OSError as failure:
            raise ExpectationsError(
                f"cannot read the expectations file {path}: {failure.strerror}"
            ) from None
        source = str(path)
    try:
        document = json.loads(text)
    except ValueError as failure:
        raise ExpectationsError(f"{source}: not JSON: {failure}") from None
    return _parse(document, source)


def _parse(document: Any, source: str) -> Expectations:
    if not isinstance(document, dict) or not isinstance(document.get("expectations"), list):
        raise ExpectationsError(f"{source}: expected an object with an 'expectations' list")
    candidate = document.get("candidate", {"signer": "fixed", "aggregator": "fixed"})
    incident = document.get("incident")
    if incident is not None:
        if not isinstance(incident, dict):
            raise ExpectationsError(f"{source}: incident must be {{signer, aggregator}}")
        _require(incident.get("signer"), SIGNER_PROFILES, f"{source}: incident.signer")
        _require(incident.get("aggregator"), AGGREGATOR_PROFILES, f"{source}: incident.aggregator")
        _require(
            incident.get("previous_signer"), SIGNER_PROFILES, f"{source}: incident.previous_signer"
        )
    entries = []
    for position, entry in enumerate(document["expectations"]):
        where = f"{source}: expectations[{position}]"
        if not isinstance(entry, dict):
            raise ExpectationsError(f"{where} must be an object")
        _require(entry.get("signer"), (*SIGNER_PROFILES, ANY), f"{where}.signer")
        _require(entry.get("aggregator"), (*AGGREGATOR_PROFILES, ANY), f"{where}.aggregator")
        _require(entry.get("scenario"), (*FAMILY_NAMES, ANY), f"{where}.scenario")
        fails_on, passes_on = entry.get("fails_on", []), entry.get("passes_on", [])
        for key, value in (("fails_on", fails_on), ("passes_on", passes_on)):
            if not isinstance(value, list) or not all(isinstance(name, str) for name in value):
                raise ExpectationsError(f"{where}.{key} must be a list of network names or '*'")
        if not fails_on and not passes_on:
            raise ExpectationsError(f"{where} needs fails_on or passes_on")
        outcome = entry.get("outcome", "lost")
        _require(outcome, OUTCOMES, f"{where}.outcome")
        entries.append(
            Expectation(
                entry["signer"],
                entry["aggregator"],
                entry["scenario"],
                tuple(fails_on),
                tuple(passes_on),
                str(entry.get("why", "")),
                outcome,
            )
        )
    return Expectations(
        (candidate["signer"], candidate["aggregator"]),
        tuple(entries),
        source,
        None if incident is None else (incident["signer"], incident["aggregator"]),
        None if incident is None else incident["previous_signer"],
    )


def _require(value: object, allowed: Sequence[str], where: str) -> None:
    if value not in allowed:
        raise ExpectationsError(f"{where} is {value!r}; expected one of {', '.join(allowed)}")


def check_expectations(
    expectations: Expectations, cells: Sequence[CellResult], networks: Sequence[str]
) -> list[ExpectationCheck]:
    """One check per expectation; cells missing from the run leave it unevaluated."""
    by_key: Mapping[CellKey, CellResult] = {cell.key: cell for cell in cells}
    signers = sorted({cell.signer for cell in cells})
    aggregators = sorted({cell.aggregator for cell in cells})
    scenarios = sorted({cell.scenario for cell in cells})
    checks = []
    for entry in expectations.entries:
        wrong, seen = [], 0
        for must_fail, named in ((True, entry.fails_on), (False, entry.passes_on)):
            for network in _expand(named, networks):
                for signer in _expand((entry.signer,), signers):
                    for aggregator in _expand((entry.aggregator,), aggregators):
                        scenario_cells = [
                            by_key.get(CellKey(network, signer, aggregator, scenario))
                            for scenario in _expand((entry.scenario,), scenarios)
                        ]
                        present = [cell for cell in scenario_cells if cell is not None]
                        if not present:
                            continue
                        seen += 1
                        failed = any(entry.shows(cell) for cell in present)
                        if failed != must_fail:
                            verb = "does not" if must_fail else "does"
                            wrong.append(
                                f"{signer} x {aggregator} {verb} show {entry.outcome!r} on "
                                f"{network}"
                            )
        held = None if seen == 0 else not wrong
        detail = "not in this run" if held is None else ("; ".join(wrong) if wrong else entry.why)
        checks.append(ExpectationCheck(entry.statement, held, detail))
    return checks


def _expand(names: Sequence[str], universe: Sequence[str]) -> list[str]:
    if ANY in names:
        return list(universe)
    return [name for name in names if name in universe]


def _any(name: str, noun: str = "") -> str:
    return f"any {noun}".strip() if name == ANY else name


def _networks(names: Sequence[str]) -> str:
    return "every network" if ANY in names else ", ".join(names)
