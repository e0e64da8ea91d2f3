"""The run in words and in a structure other tools (release notes, rollback advice) read.

The structure answers: did the candidate pass (never lose signing); which (signer,
aggregator) pairs lose signing, in which scenario, on which network, when in the epoch and
for how long (hours); each cell's impact (lost signing, delays, the expiry policy); which
signer profiles pass each scenario with each aggregator profile (what a rollback may
target). The headline gives, per network, what a restart at a random moment of an epoch
cost with the incident's pair.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict
from typing import Any

from release.chain import Network
from release.regression.families import FAMILIES
from release.regression.impact import Impact, headline, who_was_affected
from release.regression.results import CellResult, ExpectationCheck


def failure_hours(network: Network, windows: Sequence[Sequence[int]]) -> list[dict[str, Any]]:
    """Failing windows per epoch, in hours from the epoch's start (end exclusive)."""
    per_epoch: dict[int, list[list[float]]] = defaultdict(list)
    slot_hours = network.slot_length / 3600
    for first, last in windows:
        slot = first
        while slot <= last:
            epoch = network.epoch_of(slot)
            end = min(last, network.epoch_last_slot(epoch))
            start_hour = network.hours_into_epoch(slot)
            per_epoch[epoch].append(
                [round(start_hour, 3), round(network.hours_into_epoch(end) + slot_hours, 3)]
            )
            slot = end + 1
    return [{"epoch": epoch, "hours": hours} for epoch, hours in sorted(per_epoch.items())]


def digest(
    cells: Sequence[CellResult],
    networks: Mapping[str, Network],
    candidate: tuple[str, str],
    checks: Sequence[ExpectationCheck],
    *,
    complete: bool,
    incident: tuple[str, str] | None = None,
    previous_signer: str | None = None,
) -> dict[str, Any]:
    candidate_cells = [cell for cell in cells if (cell.signer, cell.aggregator) == candidate]
    failing: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for cell in cells:
        scenario = failing[(cell.signer, cell.aggregator)].setdefault(
            cell.scenario,
            {
                "scenario": cell.scenario,
                "situation": FAMILIES[cell.scenario].situation,
                "networks": {},
                "passes_on": [],
            },
        )
        if cell.failures:
            network = networks[cell.network]
            windows = failure_hours(network, cell.failure_windows)
            starts = [hours[0] for entry in windows for hours in entry["hours"]]
            scenario["networks"][cell.network] = {
                "failures": cell.failures,
                "cases": cell.cases,
                "share": round(cell.failures / cell.cases, 4),
                "impact": cell.impact(),
                "windows": windows,
                "earliest_hour": min(starts),
                "latest_start_hour": max(starts),
                "until_epoch_end": all(
                    abs(hours[1] - network.epoch_hours) < 1e-6
                    for entry in windows
                    for hours in entry["hours"]
                ),
                "failing_lags": cell.failing_lags,
                "example": cell.example,
            }
        else:
            scenario["passes_on"].append(cell.network)
    failing_pairs = [
        {
            "signer": signer,
            "aggregator": aggregator,
            "scenarios": [entry for entry in scenarios.values() if entry["networks"]],
        }
        for (signer, aggregator), scenarios in sorted(failing.items())
        if any(entry["networks"] for entry in scenarios.values())
    ]
    return {
        "candidate": {
            "signer": candidate[0],
            "aggregator": candidate[1],
            "passed": bool(candidate_cells) and all(cell.passed for cell in candidate_cells),
            "cells": len(candidate_cells),
            "cases": sum(cell.cases for cell in candidate_cells),
            "failures": sum(cell.failures for cell in candidate_cells),
            "delays": sum(cell.delays for cell in candidate_cells),
            "delays_by_scenario": {
                name: sum(cell.delays for cell in candidate_cells if cell.scenario == name)
                for name in dict.fromkeys(cell.scenario for cell in candidate_cells)
                if any(cell.delays for cell in candidate_cells if cell.scenario == name)
            },
            "max_delay_minutes": round(
                max((cell.max_delay_seconds for cell in candidate_cells), default=0) / 60, 2
            ),
        },
        "incident": None
        if incident is None
        else {"signer": incident[0], "aggregator": incident[1], "previous_signer": previous_signer},
        "headline": [] if incident is None else headline(cells, networks, incident),
        **_who(cells, networks, candidate, incident, previous_signer),
        "impact": [
            asdict(Impact.of(cell, networks[cell.network]))
            for cell in cells
            if cell.failures or cell.delays or cell.policy
        ],
        "expectations": {
            "held": all(check.held is not False for check in checks),
            "checked": sum(check.held is not None for check in checks),
            "not_evaluated": sum(check.held is None for check in checks),
            "failed": [check.statement for check in checks if check.held is False],
        },
        "complete": complete,
        "families": {name: family.situation for name, family in FAMILIES.items()},
        "failing_pairs": failing_pairs,
        "passing_signers": _passing_signers(cells),
    }


def _who(
    cells: Sequence[CellResult],
    networks: Mapping[str, Network],
    candidate: tuple[str, str],
    incident: tuple[str, str] | None,
    previous_signer: str | None,
) -> dict[str, Any]:
    """Who was affected, judged against the incident's aggregator on every network."""
    if incident is None or previous_signer is None:
        return {"affected": [], "also_improved": [], "none_failed": {}}
    who = who_was_affected(
        cells,
        networks,
        broken_signer=incident[0],
        previous_signer=previous_signer,
        fixed_signer=candidate[0],
        aggregators={name: incident[1] for name in dict.fromkeys(c.network for c in cells)},
        fixed_aggregator=candidate[1],
    )
    return {
        "affected": [
            {
                "network": item.network,
                "scenario": item.scenario,
                "signer": incident[0],
                "aggregator": item.aggregator,
                "text": item.text,
            }
            for item in who.affected
        ],
        "also_improved": [asdict(item) for item in who.also_improved],
        "none_failed": {name: list(held) for name, held in who.none_failed.items()},
    }


def _passing_signers(cells: Sequence[CellResult]) -> dict[str, dict[str, list[str]]]:
    """aggregator -> scenario -> signers with no failure on any network (plus ``all``)."""
    outcome: dict[str, dict[str, dict[str, bool]]] = defaultdict(lambda: defaultdict(dict))
    for cell in cells:
        previous = outcome[cell.aggregator][cell.scenario].get(cell.signer, True)
        outcome[cell.aggregator][cell.scenario][cell.signer] = previous and cell.passed
    table: dict[str, dict[str, list[str]]] = {}
    for aggregator, scenarios in sorted(outcome.items()):
        signers = sorted({signer for by_signer in scenarios.values() for signer in by_signer})
        table[aggregator] = {
            scenario: sorted(signer for signer, passed in by_signer.items() if passed)
            for scenario, by_signer in scenarios.items()
        }
        table[aggregator]["all"] = [
            signer
            for signer in signers
            if all(by_signer.get(signer, True) for by_signer in scenarios.values())
        ]
    return table


def plain_words(
    summary: Mapping[str, Any], networks: Sequence[str], epochs: Mapping[str, Sequence[int]]
) -> str:
    candidate = summary["candidate"]
    span = ", ".join(f"{name} (epochs {_epoch_span(epochs[name])})" for name in networks)
    lines = []
    if candidate["cells"] == 0:
        lines.append(
            f"The candidate pair (signer {candidate['signer']}, aggregator "
            f"{candidate['aggregator']}) "
            "was not part of this run."
        )
    elif candidate["passed"]:
        by_design = candidate["delays_by_scenario"].get("epoch-boundary", 0)
        delays = (
            f"; {candidate['delays']:,} of them register at a later cycle, at most "
            f"{candidate['max_delay_minutes']:g} min late"
            + (
                f" ({by_design:,} in the epoch-boundary scenario, where the aggregator opens "
                "its round late by design)"
                if by_design
                else ""
            )
            if candidate["delays"]
            else ""
        )
        lines.append(
            f"The candidate pair (signer {candidate['signer']}, aggregator "
            f"{candidate['aggregator']}) never loses signing in {candidate['cases']:,} cases, "
            f"at every slot and chain lag of {span}{delays}."
        )
    else:
        lines.append(
            f"The candidate pair (signer {candidate['signer']}, aggregator "
            f"{candidate['aggregator']}) FAILS: it loses signing in "
            f"{candidate['failures']:,} of {candidate['cases']:,} cases on {span}."
        )
    lines.extend(f"{line}." for line in summary["headline"])
    expectations = summary["expectations"]
    if expectations["failed"]:
        lines.append("Known outcomes that did not hold: " + "; ".join(expectations["failed"]) + ".")
    else:
        lines.append(f"All {expectations['checked']} checked known outcomes hold.")
    if not summary["complete"]:
        lines.append(
            "Only part of the matrix was run (a shard): merge the shards for the full picture."
        )
    lines.extend(_failure_lines(summary))
    for aggregator, scenarios in summary["passing_signers"].items():
        passing = ", ".join(scenarios["all"]) or "none"
        lines.append(f"Signers that never lose signing with aggregator {aggregator}: {passing}.")
    return "\n".join(lines)


def _failure_lines(summary: Mapping[str, Any]) -> list[str]:
    """One sentence per scenario and failure pattern, naming the pairs that show it."""
    groups: dict[tuple[str, str, str], dict[str, list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for pair in summary["failing_pairs"]:
        for scenario in pair["scenarios"]:
            places = ", ".join(
                f"{name} {_when(details)}" for name, details in scenario["networks"].items()
            )
            never = (
                f"; never on {', '.join(scenario['passes_on'])}" if scenario["passes_on"] else ""
            )
            label = scenario["scenario"]
            groups[(scenario["scenario"], label, places + never)][pair["aggregator"]].append(
                pair["signer"]
            )
    lines = []
    order = list(summary["families"])
    for (scenario, label, where), by_aggregator in sorted(
        groups.items(), key=lambda g: order.index(g[0][0])
    ):
        by_signers: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for aggregator, signers in by_aggregator.items():
            by_signers[tuple(signers)].append(aggregator)
        who = "; ".join(
            f"signer{'s' if len(signers) > 1 else ''} {_join(signers)} with "
            f"aggregator{'s' if len(aggregators) > 1 else ''} "
            f"{_join(aggregators)}"
            for signers, aggregators in by_signers.items()
        )
        lines.append(f"{label} - {summary['families'][scenario]}: {who} lose signing on {where}.")
    return lines


def _join(names: Sequence[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _when(details: Mapping[str, Any]) -> str:
    earliest, latest = details["earliest_hour"], details["latest_start_hour"]
    start = f"{earliest:g} h" if earliest == latest else f"{earliest:g}-{latest:g} h"
    impact = details["impact"]
    cost = (
        f"{impact['lost_share']:.0%} of restart moments, "
        f"{impact['lost_mean_hours_when_lost']:g} h lost on average, at most "
        f"{impact['lost_max_hours']:g} h"
    )
    if details["until_epoch_end"] and earliest == 0 and latest == 0:
        return f"at every slot ({cost})"
    return f"from {start} into the epoch ({cost})"


def _epoch_span(epochs: Sequence[int]) -> str:
    return f"{epochs[0]}" if len(epochs) == 1 else f"{epochs[0]}-{epochs[-1]}"
