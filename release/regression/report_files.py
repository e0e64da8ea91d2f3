"""The report directory: ``report.json`` (the record), ``report.md`` and ``timeline.svg``."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from release._fs import atomic_write
from release.chain import Network
from release.chain.config import network_from_table
from release.chain.errors import ChainError
from release.regression.errors import ReportError
from release.regression.results import CellKey, CellResult, SuiteResult
from release.regression.summary import failure_hours
from release.regression.timeline import timeline_svg

REPORT_FORMAT = 1
JSON_NAME, MARKDOWN_NAME, TIMELINE_NAME = "report.json", "report.md", "timeline.svg"


def report_document(result: SuiteResult) -> dict[str, Any]:
    return {
        "format": REPORT_FORMAT,
        "passed": result.passed,
        "parameters": result.parameters,
        "stats": result.stats.as_json(),
        "summary": {**result.digest, "text": result.summary},
        "expectations": [check.as_json() for check in result.expectations],
        "cells": [{**cell.as_json(), "impact": cell.impact()} for cell in result.cells],
    }


def write_report(result: SuiteResult, directory: Path, networks: Mapping[str, Network]) -> Path:
    try:
        directory.mkdir(parents=True, exist_ok=True)
        # Atomic: a reader (CI artifact upload) never sees half a report.
        atomic_write(directory / JSON_NAME, json.dumps(report_document(result), indent=2) + "\n")
        atomic_write(directory / MARKDOWN_NAME, markdown(result, networks))
        atomic_write(directory / TIMELINE_NAME, timeline(result, networks))
    except OSError as failure:
        raise ReportError(f"cannot write the report into {directory}: {failure.strerror}") from None
    return directory


def timeline(result: SuiteResult, networks: Mapping[str, Network]) -> str:
    """The chart of the run, with its verdict and the regression's rows first."""
    summary = result.digest
    candidate = summary["candidate"]
    pair = f"{candidate['signer']} x {candidate['aggregator']}"
    if result.passed:
        verdict = f"PASSED: candidate {pair} never loses signing ({candidate['cases']:,} cases)"
    else:
        verdict = f"FAILED: candidate {pair} loses signing in {candidate['failures']:,} cases"
        if not result.expectations_held:
            verdict = "FAILED: known outcomes do not hold; " + verdict.removeprefix("FAILED: ")
    affected = summary["affected"]
    if affected:
        scenarios = ", ".join(dict.fromkeys(item["scenario"] for item in affected))
        verdict += (
            f"; regression: {affected[0]['signer']} x {affected[0]['aggregator']} loses "
            f"signing in {scenarios}"
        )
    return timeline_svg(
        result.cells,
        networks,
        verdict=verdict,
        candidate=(candidate["signer"], candidate["aggregator"]),
        regression=[
            CellKey(item["network"], item["signer"], item["aggregator"], item["scenario"])
            for item in affected
        ],
    )


def read_report(directory: Path) -> dict[str, Any]:
    path = directory / JSON_NAME
    try:
        document = json.loads(path.read_text())
    except OSError as failure:
        raise ReportError(f"cannot read {path}: {failure.strerror}") from None
    except ValueError as failure:
        raise ReportError(f"{path} is not JSON: {failure}") from None
    if not isinstance(document, dict) or document.get("format") != REPORT_FORMAT:
        raise ReportError(f"{path} is not a regression report of format {REPORT_FORMAT}")
    return document


def load_cells(directory: Path) -> tuple[list[CellResult], dict[str, Network]]:
    """The cells of a report directory and the time model of each network, for
    :func:`release.regression.impact.who_was_affected` and the notes."""
    document = read_report(Path(directory))
    source = Path(directory) / JSON_NAME
    try:
        tables = document["parameters"]["networks"]
        networks = {
            name: network_from_table(name, table, where=f"{source}: parameters.networks")
            for name, table in tables.items()
        }
        cells = [CellResult.from_json(entry, source) for entry in document["cells"]]
    except (KeyError, TypeError) as failure:
        raise ReportError(f"{source} lacks parameters.networks or cells: {failure}") from None
    except ChainError as failure:
        raise ReportError(str(failure)) from None
    return cells, networks


def markdown(result: SuiteResult, networks: Mapping[str, Network]) -> str:
    parameters = result.parameters
    lines = [
        "# Epoch-window regression report",
        "",
        f"**{'PASSED' if result.passed else 'FAILED'}** - mode {parameters['mode']}"
        + (f", shard {parameters['shard']}" if parameters.get("shard") else ""),
        "",
        "## Summary",
        "",
        *[f"- {line}" for line in result.summary.splitlines()],
        "",
        f"Every case is a restart moment (every slot of the epochs) at every chain lag of "
        f"{', '.join(f'{lag:+g} s' for lag in parameters['lags_seconds'])} (the aggregator's "
        f"node minus the signer's), with a signer retrying every "
        f"{parameters['run_interval_seconds']:g} s. Lost signing runs from the failing "
        "restart to the end of the epoch; a delay is the time to the cycle that registers.",
        "",
    ]
    scenarios = parameters["scenarios"]
    for name in parameters["network_names"]:
        network = networks[name]
        epochs = parameters["epochs"][name]
        lines += [
            f"## {name}",
            "",
            f"Epochs {', '.join(map(str, epochs))}; {network.epoch_hours:g} h per epoch, "
            f"{network.slots_per_kes_period * network.slot_length / 3600:g} h per KES period. "
            "A cell shows ✘ and the share of restart moments that lose signing (the mean hours "
            "lost when they do), or ✔; `+N min` is the longest delay; `policy` marks an "
            "expired certificate accepted.",
            "",
            "| signer \\ aggregator | " + " | ".join(scenarios) + " |",
            "| --- | " + " | ".join("---" for _ in scenarios) + " |",
        ]
        by_pair: dict[tuple[str, str], dict[str, CellResult]] = {}
        for cell in result.cells:
            if cell.network == name:
                by_pair.setdefault((cell.signer, cell.aggregator), {})[cell.scenario] = cell
        for (signer, aggregator), cells in sorted(by_pair.items()):
            row = [_mark(cells.get(scenario)) for scenario in scenarios]
            lines.append(f"| {signer} x {aggregator} | " + " | ".join(row) + " |")
        lines += [
            "",
            *_failing_windows(network, [c for c in result.cells if c.network == name]),
            "",
        ]
    lines += ["## Known outcomes", ""]
    for check in result.expectations:
        mark = {True: "✔", False: "✘", None: "-"}[check.held]
        lines.append(f"- {mark} {check.statement} ({check.detail})")
    stats = result.stats
    lines += [
        "",
        "## Run",
        "",
        f"{stats.slot_cases:,} slot cases in {stats.elapsed_s:.1f} s "
        f"({stats.slots_per_second:,.0f} per second); "
        f"{stats.runs:,} cases run with real KES: {stats.kes_signatures:,} signatures, "
        f"{stats.kes_verifications:,} verifications; {stats.reused:,} cases at a non-zero lag "
        f"reused an identical run; {stats.translated:,} cases translated from an epoch of the "
        f"same time model and KES phase; {stats.bisected} classes bisected. "
        "See timeline.svg for where in the epoch each combination fails.",
        "",
    ]
    return "\n".join(lines)


def _mark(cell: CellResult | None) -> str:
    if cell is None:
        return " "
    impact = cell.impact()
    mark = (
        "✔"
        if cell.passed
        else f"✘ {impact['lost_share']:.0%} ({impact['lost_mean_hours_when_lost']:.1f} h)"
    )
    if cell.delays:
        mark += f" +{impact['delay_max_minutes']:g} min"
    if cell.policy.get("accepted-expired"):
        mark += " policy"
    return mark


def _failing_windows(network: Network, cells: Sequence[CellResult]) -> list[str]:
    failing = [cell for cell in cells if cell.failures]
    if not failing:
        return ["No combination loses signing on this network."]
    lines = [
        "Signing lost: share of restart moments, hours lost (at most; on average when lost; "
        "on average over all restart moments), and when in the epoch (hours):",
        "",
    ]
    for cell in sorted(failing, key=lambda c: (c.signer, c.aggregator, c.scenario)):
        windows = "; ".join(
            f"epoch {entry['epoch']}: "
            + ", ".join(f"{start:g}-{end:g} h" for start, end in entry["hours"])
            for entry in failure_hours(network, cell.failure_windows)
        )
        impact = cell.impact()
        lines.append(
            f"- {cell.signer} x {cell.aggregator}, {cell.scenario}: "
            f"{impact['lost_share']:.1%}; {impact['lost_max_hours']:.1f} h / "
            f"{impact['lost_mean_hours_when_lost']:.1f} h / {impact['lost_mean_hours_all']:.1f} h; "
            f"{windows}"
        )
    return lines
