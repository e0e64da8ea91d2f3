"""The report directory: report.json's shape, report.md's matrix, timeline.svg's marks."""

from __future__ import annotations

import io
import json
import sys
import xml.etree.ElementTree as ElementTree

import pytest

from release.chain import NETWORKS
from release.regression import progress, run_suite

CELL_KEYS = {"network", "signer", "aggregator", "scenario", "cases", "failures", "failure_windows"}
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    directory = tmp_path_factory.mktemp("report")
    result = run_suite(["preprod", "preview"], 2, report_dir=directory)
    return result, directory


def test_report_json_has_one_entry_per_cell_and_the_parameters(report):
    result, directory = report
    document = json.loads((directory / "report.json").read_text())
    assert document["passed"] is True
    assert len(document["cells"]) == 2 * 4 * 3 * 6
    for entry in document["cells"]:
        assert set(entry) >= CELL_KEYS
        for first, last in entry["failure_windows"]:
            assert first <= last
    parameters = document["parameters"]
    assert parameters["epochs"] == {"preprod": [250, 251], "preview": [1108, 1109]}
    assert parameters["networks"]["preprod"]["slots_per_kes_period"] == 129600
    assert parameters["mode"] == "in-process"
    assert document["stats"]["slot_cases"] == sum(entry["cases"] for entry in document["cells"])
    assert document["stats"]["kes_operations"] > 0
    assert document["summary"]["text"] == result.summary
    assert document["summary"]["candidate"]["passed"] is True


def test_failure_windows_lie_inside_the_run_and_match_the_counts(report):
    result, _ = report
    for cell in result.cells:
        network = NETWORKS[cell.network]
        low = network.epoch_first_slot(cell.epochs[0])
        high = network.epoch_last_slot(cell.epochs[-1])
        covered = sum(last - first + 1 for first, last in cell.failure_windows)
        assert all(low <= first <= last <= high for first, last in cell.failure_windows)
        assert covered <= cell.failures <= covered * 2  # clock-skew has two variants


def test_report_md_has_the_matrix_windows_and_summary(report):
    result, directory = report
    assert result.report_dir == directory
    text = (directory / "report.md").read_text()
    assert text.startswith("# Epoch-window regression report")
    assert "| 0.2.273 x 0.7.90 | ✘ " in text
    assert "| fixed x fixed | ✔ | ✔ | ✔ | ✔ | ✔ | ✔ |" in text
    assert "- 0.2.273 x 0.7.90, restart: epoch 250: 48-120 h; epoch 251: 72-120 h" in text
    assert result.summary.splitlines()[0] in text


def test_timeline_svg_marks_the_failing_windows(report):
    _, directory = report
    root = ElementTree.parse(directory / "timeline.svg").getroot()
    assert root.tag == f"{SVG}svg"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert "preprod: failing cases by hour into the epoch" in texts
    assert "0.2.273 x 0.7.90 restart" in texts
    assert not any(text.startswith("fixed x fixed") for text in texts)
    marks = [title.text for title in root.iter(f"{SVG}title")]
    assert "epoch 250: 48-120 h" in marks


def test_the_progress_bar_is_for_a_person_at_a_terminal_never_ci(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", Terminal())
    assert progress.wanted()
    monkeypatch.setenv("CI", "true")  # what GitHub Actions sets
    assert not progress.wanted()
    monkeypatch.delenv("CI")
    monkeypatch.setattr(sys, "stderr", io.StringIO())  # piped or captured
    assert not progress.wanted()
