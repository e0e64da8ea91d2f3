"""From the suite's report.json to the facts the notes state in hours into the epoch."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from release.chain import get_network
from release.notes import RegressionReportError, load_report, parse_report
from release.regression import run_suite

DATA = Path(__file__).parent / "data" / "notes"


@pytest.fixture(scope="module")
def report():
    return load_report(DATA)


def test_the_incident_pair_loses_signing_on_every_network(report):
    """The report written by the suite: 0.2.273 with 0.7.90 loses signing after restarts and
    upgrades late in the epoch on mainnet and preprod, and after a KES rotation everywhere."""
    outcome = report.outcome("0.2.273", "0.7.90")
    assert not outcome.passed
    assert {(impact.network, impact.scenario) for impact in outcome.lost} == {
        ("mainnet", "restart"),
        ("mainnet", "upgrade"),
        ("mainnet", "kes-rotation"),
        ("preprod", "restart"),
        ("preprod", "upgrade"),
        ("preprod", "kes-rotation"),
        ("preview", "kes-rotation"),
    }
    restart = next(i for i in outcome.lost if (i.network, i.scenario) == ("mainnet", "restart"))
    # 48 h: the second KES-period boundary after the first registration, 2 min earlier at
    # the most negative chain lag swept (-120 s).
    assert restart.lost_from_hour == pytest.approx(48, abs=2 / 60) and restart.lost_to_hour == 120
    assert not outcome.scenario_passed("restart")
    assert outcome.lost_scenarios == {"restart", "upgrade", "kes-rotation"}


def test_the_rollback_and_the_fix_pass(report):
    assert report.outcome("0.2.268", "0.7.90").passed
    assert report.outcome("0.2.268", "0.7.90").scenario_passed("restart")
    summary = report.summary(("fixed", "fixed"))
    assert summary.candidate.passed
    assert summary.networks == ("mainnet", "preprod", "preview")
    assert summary.epochs == 3
    # Its only waits: a registration at the next cycle, never lost signing.
    assert 0 < summary.candidate.max_delay_minutes <= 5


def _report(cells, networks=None):
    networks = {"preview": get_network("preview").as_json()} if networks is None else networks
    epochs = {name: [0] for name in networks}
    return {"parameters": {"epochs": epochs, "networks": networks}, "cells": cells}


def _cell(windows, network="preview"):
    return {
        "network": network,
        "signer": "s",
        "aggregator": "a",
        "scenario": "restart",
        "cases": 10,
        "failures": 1,
        "failure_windows": windows,
        "epochs": [0],
    }


def test_a_missing_pair_names_the_pairs_present(report):
    with pytest.raises(
        RegressionReportError, match=r"no cell for signer '0.2.999'.*0.2.268 x 0.7.90"
    ):
        report.outcome("0.2.999", "0.7.90")


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ([], "expected a JSON object"),
        ({"cells": []}, "parameters: expected dict"),
        (_report([_cell([[5, 1]])]), r"cells\[0\]\.failure_windows"),
        (_report([_cell([[5, 6]], network="devnet")]), r"devnet' is not in parameters.networks"),
        (_report([{**_cell([]), "cases": "ten"}]), r"cells\[0\]\.cases: expected int"),
        (
            _report([], networks={"x": {"name": "x"}}),
            r"parameters.networks: network 'x' is missing",
        ),
        (
            {"parameters": {"networks": {}, "epochs": {}}, "cells": []},
            r"parameters.epochs: expected",
        ),
    ],
)
def test_malformed_reports_are_refused_with_the_place(document, message):
    with pytest.raises(RegressionReportError, match=message):
        parse_report(document, source="report.json")


def test_an_unreadable_report_names_the_file(tmp_path):
    with pytest.raises(RegressionReportError, match=r"report.json: cannot read"):
        load_report(tmp_path)
    (tmp_path / "report.json").write_text("{", encoding="utf-8")
    with pytest.raises(RegressionReportError, match=r"report.json: not JSON"):
        load_report(tmp_path)


def test_custom_networks_are_read_from_their_parameters():
    devnet = {
        "name": "devnet",
        "epoch_length": 600,
        "slot_length": 0.1,
        "slots_per_kes_period": 129600,
        "max_kes_evolutions": 62,
        "shelley_epoch": 0,
        "shelley_slot": 0,
        "shelley_start": "2025-01-01T00:00:00Z",
    }
    document = _report([_cell([[300, 599]], network="devnet")], networks={"devnet": devnet})
    (impact,) = parse_report(json.loads(json.dumps(document))).outcome("s", "a").lost
    assert impact.epoch_hours == pytest.approx(60 / 3600)
    assert impact.lost_from_hour == pytest.approx(30 / 3600, abs=1e-3)


def test_a_report_written_by_the_suite_reads_back(tmp_path):
    run_suite(
        ["preprod"],
        epochs=1,
        report_dir=tmp_path,
        signers=["0.2.273", "fixed"],
        aggregators=["0.7.90", "fixed"],
        scenarios=["restart"],
    )
    report = load_report(tmp_path)
    assert report.networks == ("preprod",)
    (impact,) = report.outcome("0.2.273", "0.7.90").lost
    assert (impact.network, impact.scenario) == ("preprod", "restart")
    assert 0 < impact.lost_from_hour < impact.epoch_hours == 120
    assert report.outcome("fixed", "fixed").passed


def test_a_version_with_no_profile_in_the_report_is_named(report):
    assert report.profile_of("signer", "0.2.273") == "0.2.273"
    assert report.profile_of("aggregator", "0.7.90") == "0.7.90"
    with pytest.raises(
        RegressionReportError, match=r"no signer profile for version 0\.2\.280 \(profiles in"
    ):
        report.profile_of("signer", "0.2.280")
