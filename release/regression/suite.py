"""``run_suite`` and ``merge_reports``: the suite from parameters to a judged, reported result."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from release import __version__
from release.chain import Network, get_network
from release.chain.config import network_from_table
from release.nodes import AGGREGATOR_PROFILES, SIGNER_PROFILES
from release.nodes.profiles import require_profile
from release.regression.errors import RegressionError, ReportError
from release.regression.expectations import check_expectations, load_expectations
from release.regression.families import FAMILY_NAMES
from release.regression.parameters import (
    DEFAULT_EPOCHS,
    DEFAULT_LAGS,
    DEFAULT_NETWORKS,
    RUN_INTERVAL_SECONDS,
)
from release.regression.progress import progress_bar
from release.regression.report_files import read_report, write_report
from release.regression.results import CellResult, RunStats, Shard, SuiteResult
from release.regression.runner import CellRunner, matrix
from release.regression.summary import digest, plain_words
from release.regression.world import (
    CERTIFICATE_AGE,
    ROUND_DELAY_CYCLES,
    HttpBackend,
    InProcessBackend,
    KeyRing,
)

#: The aggregator log line of issue #2771; runs start at the epoch it falls in by default.
INCIDENT_TIME = datetime(2025, 11, 6, 17, 7, 14, tzinfo=UTC)


def default_first_epoch(network: Network) -> int:
    """The epoch of the incident, or the first Shelley epoch of a network born after it."""
    if network.shelley_start > INCIDENT_TIME:
        return network.shelley_epoch
    return network.epoch_of(network.slot_at(INCIDENT_TIME))


def run_suite(
    networks: Sequence[Network | str] = DEFAULT_NETWORKS,
    epochs: int = DEFAULT_EPOCHS,
    *,
    over_http: bool = False,
    shard: Shard | str | None = None,
    report_dir: str | Path | None = None,
    progress: bool = False,
    first_epochs: Mapping[str, int] | None = None,
    custom_networks: Mapping[str, Network] | None = None,
    signers: Sequence[str] = SIGNER_PROFILES,
    aggregators: Sequence[str] = AGGREGATOR_PROFILES,
    scenarios: Sequence[str] = FAMILY_NAMES,
    expectations: str | Path | None = None,
    lags: Sequence[float] = DEFAULT_LAGS,
    run_interval: float = RUN_INTERVAL_SECONDS,
) -> SuiteResult:
    """Run the matrix over ``epochs`` consecutive epochs of each network, at every slot and
    every chain lag of ``lags`` (seconds, the aggregator's node minus the signer's), with
    the signer retrying every ``run_interval`` seconds while registration fails."""
    resolved = [
        n if isinstance(n, Network) else get_network(n, custom_networks)
        for n in dict.fromkeys(networks)
    ]
    if epochs < 1:
        raise RegressionError(f"--epochs must be at least 1, got {epochs}")
    for name in signers:
        require_profile(name, SIGNER_PROFILES, "signer")
    for name in aggregators:
        require_profile(name, AGGREGATOR_PROFILES, "aggregator")
    for name in scenarios:
        if name not in FAMILY_NAMES:
            raise RegressionError(
                f"unknown scenario {name!r}; choose from {', '.join(FAMILY_NAMES)}"
            )
    if not lags or len(set(lags)) != len(lags):
        raise RegressionError(f"--lags must be distinct values in seconds, got {list(lags)}")
    if run_interval <= 0:
        raise RegressionError(f"--run-interval must be positive seconds, got {run_interval}")
    shard = Shard.parse(shard) if isinstance(shard, str) else shard
    epoch_lists = {}
    for network in resolved:
        first = (first_epochs or {}).get(network.name, default_first_epoch(network))
        epoch_lists[network.name] = list(range(first, first + epochs))
    by_name = {network.name: network for network in resolved}
    everything = matrix(resolved, signers, aggregators, scenarios)
    cells = shard.select(everything) if shard else everything
    keys = KeyRing()
    stake = {keys.pool_id: 1}
    backend = HttpBackend(stake) if over_http else InProcessBackend(stake)
    started = time.perf_counter()
    results = []
    try:
        runner = CellRunner(backend, keys, lags, run_interval)
        with progress_bar(len(cells), enabled=progress, title="regression") as advance:
            for key in cells:
                results.append(runner.run(key, by_name[key.network], epoch_lists[key.network]))
                advance(f"{key.network} {key.signer} x {key.aggregator} {key.scenario}")
        verifications = backend.verifications
    finally:
        backend.close()
    stats = RunStats(
        slot_cases=sum(cell.cases for cell in results),
        runs=sum(cell.runs for cell in results),
        kes_signatures=keys.signatures,
        kes_verifications=verifications,
        bisected=sum(cell.bisected for cell in results),
        elapsed_s=round(time.perf_counter() - started, 3),
        reused=sum(cell.reused for cell in results),
        translated=sum(cell.translated for cell in results),
    )
    parameters = {
        "tool_version": __version__,
        "mode": backend.name,
        "shard": None if shard is None else str(shard),
        "network_names": [network.name for network in resolved],
        "networks": {network.name: network.as_json() for network in resolved},
        "epochs": epoch_lists,
        "signers": list(signers),
        "aggregators": list(aggregators),
        "scenarios": list(scenarios),
        "certificate_age_kes_periods": CERTIFICATE_AGE,
        "lags_seconds": list(lags),
        "run_interval_seconds": run_interval,
        "round_delay_seconds": ROUND_DELAY_CYCLES * run_interval,
        "expectations": str(expectations) if expectations else None,
        "matrix_cells": len(everything),
    }
    result = assemble(results, parameters, stats, by_name, complete=len(cells) == len(everything))
    if report_dir is not None:
        result.report_dir = write_report(result, Path(report_dir), by_name)
    return result


def assemble(
    cells: list[CellResult],
    parameters: dict[str, Any],
    stats: RunStats,
    networks: Mapping[str, Network],
    *,
    complete: bool,
) -> SuiteResult:
    """Judge cells against the expectations and the candidate, and put it in words."""
    expectations = load_expectations(parameters.get("expectations"))
    candidate = expectations.candidate
    checks = check_expectations(expectations, cells, parameters["network_names"])
    structured = digest(
        cells,
        networks,
        candidate,
        checks,
        complete=complete,
        incident=expectations.incident,
        previous_signer=expectations.previous_signer,
    )
    words = plain_words(structured, parameters["network_names"], parameters["epochs"])
    return SuiteResult(cells, parameters, stats, checks, structured, words)


def merge_reports(directories: Sequence[str | Path], out_dir: str | Path) -> SuiteResult:
    """Join shard reports of one run (same parameters but the shard) into one report."""
    if not directories:
        raise ReportError("give at least one report directory to merge")
    documents = [(Path(directory), read_report(Path(directory))) for directory in directories]
    _require_every_shard_once(documents)
    reference = _comparable(documents[0][1]["parameters"])
    cells: dict[tuple[str, str, str, str], CellResult] = {}
    for directory, document in documents:
        if _comparable(document["parameters"]) != reference:
            raise ReportError(
                f"{directory} was run with other parameters than {documents[0][0]} (networks, "
                "epochs, "
                "profiles, scenarios or mode differ): only shards of one run can be merged"
            )
        for entry in document["cells"]:
            cell = CellResult.from_json(entry, directory)
            key = (cell.network, cell.signer, cell.aggregator, cell.scenario)
            if key in cells and cells[key] != cell:
                raise ReportError(
                    f"{directory} disagrees with another shard on cell {' x '.join(key)}"
                )
            cells[key] = cell
    parameters = {
        **documents[0][1]["parameters"],
        "shard": None,
        "merged_from": [str(d) for d, _ in documents],
    }
    networks = {
        name: network_from_table(name, table, where=f"{documents[0][0]}/report.json")
        for name, table in parameters["networks"].items()
    }
    ordered = [
        cells[(key.network, key.signer, key.aggregator, key.scenario)]
        for key in matrix(
            [networks[name] for name in parameters["network_names"]],
            parameters["signers"],
            parameters["aggregators"],
            parameters["scenarios"],
        )
        if (key.network, key.signer, key.aggregator, key.scenario) in cells
    ]
    stats = [document["stats"] for _, document in documents]
    merged_stats = RunStats(
        slot_cases=sum(cell.cases for cell in ordered),
        runs=sum(cell.runs for cell in ordered),
        kes_signatures=sum(s["kes_signatures"] for s in stats),
        kes_verifications=sum(s["kes_verifications"] for s in stats),
        bisected=sum(cell.bisected for cell in ordered),
        elapsed_s=round(sum(s["elapsed_s"] for s in stats), 3),
        reused=sum(cell.reused for cell in ordered),
        translated=sum(cell.translated for cell in ordered),
    )
    result = assemble(
        ordered,
        parameters,
        merged_stats,
        networks,
        complete=len(ordered) == parameters["matrix_cells"],
    )
    result.report_dir = write_report(result, Path(out_dir), networks)
    return result


def _require_every_shard_once(documents: Sequence[tuple[Path, Mapping[str, Any]]]) -> None:
    """Refuse a merge missing a shard or holding one twice: it would judge part of the matrix."""
    seen: dict[Shard, Path] = {}
    for directory, document in documents:
        text = document["parameters"].get("shard")
        shard = Shard.parse(text) if text else Shard(1, 1)  # a whole run is its only shard
        if shard in seen:
            raise ReportError(f"shard {shard} is given twice: {seen[shard]} and {directory}")
        seen[shard] = directory
    given = ", ".join(f"{shard} in {directory}" for shard, directory in seen.items())
    counts = {shard.count for shard in seen}
    if len(counts) > 1:
        raise ReportError(f"the reports come from different splits ({given}): merge one run's")
    count = counts.pop()
    missing = [str(Shard(k, count)) for k in range(1, count + 1) if Shard(k, count) not in seen]
    if missing:
        raise ReportError(
            f"shard {', '.join(missing)} is missing (given: {given}): merge every shard of the run"
        )


def _comparable(parameters: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in parameters.items() if key not in {"shard", "merged_from"}}
