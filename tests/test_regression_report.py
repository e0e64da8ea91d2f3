"""The report directory: report.json's shape, report.md's matrix, timeline.svg's marks."""

from __future__ import annotations

import io
import json
import struct
import sys
import xml.etree.ElementTree as ElementTree
import zlib

import pytest

from release.chain import NETWORKS
from release.regression import load_cells, progress, run_suite, who_was_affected

CELL_KEYS = {"network", "signer", "aggregator", "scenario", "cases", "failures", "failure_windows",
             "delays", "delay_windows", "policy", "impact"}  # fmt: skip
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
        lags = len(cell.failing_lags)
        assert covered <= cell.failures <= covered * lags
        assert cell.lost_seconds <= cell.failures * cell.max_lost_seconds


def test_report_md_has_the_matrix_windows_and_summary(report):
    result, directory = report
    assert result.report_dir == directory
    text = (directory / "report.md").read_text()
    assert text.startswith("# Epoch-window regression report")
    assert "| 0.2.273 x 0.7.90 | ✘ 50% (31.2 h) +2 min | " in text
    assert (
        "| fixed x fixed | ✔ +2 min | ✔ +2 min | ✔ +2 min | ✔ +2 min | ✔ +4 min | ✔ +2 min |"
        in text
    )
    assert (
        "- 0.2.273 x 0.7.90, restart: 50.0%; 72.0 h / 31.2 h / 15.6 h; "
        "epoch 250: 47.967-120 h; epoch 251: 71.967-120 h" in text
    )
    assert result.summary.splitlines()[0] in text


def test_timeline_svg_marks_the_failing_windows(report):
    _, directory = report
    root = ElementTree.parse(directory / "timeline.svg").getroot()
    assert root.tag == f"{SVG}svg"
    texts = [element.text for element in root.iter(f"{SVG}text")]
    assert texts[0].startswith("PASSED: candidate fixed x fixed never loses signing")
    assert "preprod: signing lost by restart moment (hours into the epoch)" in texts
    sizes = [float(element.get("font-size")) for element in root.iter(f"{SVG}text")]
    assert min(sizes) >= 11
    labels = [e.text for e in root.iter(f"{SVG}text") if e.get("class") == "row-label"]
    # The regression's rows first (and only them marked so), the candidate's row last.
    regression = [label for label in labels if label.startswith("regression: ")]
    assert regression[:3] == [
        "regression: 0.2.273 x 0.7.90 kes-rotation",
        "regression: 0.2.273 x 0.7.90 restart",
        "regression: 0.2.273 x 0.7.90 upgrade",
    ]
    assert labels[: len(regression) - 1] == regression[:-1]
    assert labels[3] == "0.2.273 x 2603.1 kes-rotation"
    assert any(label.startswith("candidate fixed x fixed") for label in labels)
    marks = [title.text for title in root.iter(f"{SVG}title")]
    assert "epoch 250: signing lost 47.967-120 h" in marks
    # The legend sits above the first network's chart.
    legend_y = min(float(e.get("y")) for e in root.iter(f"{SVG}text") if e.get("class") == "legend")
    chart_y = min(
        float(e.get("y")) for e in root.iter(f"{SVG}text") if e.get("class") == "row-label"
    )
    assert legend_y < chart_y


def test_timeline_renders_to_a_png_read_at_a_glance(report, tmp_path):
    """Rendered with cairosvg (the real rasteriser): the verdict is in the header, the
    regression's highlighted rows come first, and the picture is wide enough to read."""
    import cairosvg  # noqa: PLC0415 - the test extra; a missing one must fail, not skip

    _, directory = report
    png = tmp_path / "timeline.png"
    cairosvg.svg2png(url=str(directory / "timeline.svg"), write_to=str(png))
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width >= 1000 and 400 <= height <= 4000
    # The first highlighted band (regression row) lies above every other row band.
    root = ElementTree.parse(directory / "timeline.svg").getroot()
    bands = [
        float(e.get("y")) for e in root.iter(f"{SVG}rect") if e.get("class") == "regression-row"
    ]
    labels = {
        e.text: float(e.get("y")) for e in root.iter(f"{SVG}text") if e.get("class") == "row-label"
    }
    assert bands and min(bands) < labels["0.2.273 x 2603.1 kes-rotation"]
    verdict = next(e for e in root.iter(f"{SVG}text") if e.get("id") == "verdict")
    assert float(verdict.get("y")) < min(bands)
    # Pixels: the header row is not blank, and red (lost signing) is drawn.
    pixels = _decode_png(data)
    assert any(pixel != (255, 255, 255) for pixel in pixels[5 * width : 30 * width])
    assert (214, 39, 40) in set(pixels)


def _decode_png(data: bytes) -> list[tuple[int, ...]]:
    """RGB(A) pixels of a non-interlaced 8-bit PNG (what cairosvg writes)."""
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert depth == 8 and colour in (2, 6)
    channels = 3 if colour == 2 else 4
    chunks, offset = b"", 8
    while offset < len(data):
        (length,) = struct.unpack(">I", data[offset : offset + 4])
        kind = data[offset + 4 : offset + 8]
        if kind == b"IDAT":
            chunks += data[offset + 8 : offset + 8 + length]
        offset += 12 + length
    raw = zlib.decompress(chunks)
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1 : start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up = previous[i]
            corner = previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 255
            elif kind == 2:
                line[i] = (line[i] + up) & 255
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                pred = left if pa <= pb and pa <= pc else up if pb <= pc else corner
                line[i] = (line[i] + pred) & 255
        rows.append(bytes(line))
        previous = line
    return [tuple(row[x * channels : x * channels + 3]) for row in rows for x in range(width)]


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


def test_who_was_affected_is_one_list_read_back_from_the_report(report):
    """What every document states comes from one function over the report's cells: the
    regression (lost with the broken signer, not with the previous one, against the
    aggregator each network runs), the other differences apart, "none failed" per network."""
    _, directory = report
    cells, networks = load_cells(directory)
    who = who_was_affected(
        cells,
        networks,
        broken_signer="0.2.273",
        previous_signer="0.2.268",
        fixed_signer="fixed",
        aggregators={"preprod": "0.7.90", "preview": "2603.1"},
    )
    assert [(item.network, item.scenario, item.aggregator) for item in who.affected] == [
        ("preprod", "restart", "0.7.90"),
        ("preprod", "upgrade", "0.7.90"),
        ("preprod", "kes-rotation", "0.7.90"),
        ("preview", "kes-rotation", "2603.1"),
    ]
    restart = who.affected[0]
    assert restart.text == (
        "preprod (aggregator 0.7.90): a signer restarted during the epoch after registering "
        "at its start: 48 h or more into the epoch (50 % of the moments in an epoch), it lost "
        "signing until the epoch's end: 31.2 h on average, at most 72 h"
    )
    kinds = {(item.network, item.kind) for item in who.also_improved}
    # The strict window's delays and its acceptance of expired certificates: preprod only
    # (preview runs 2603.1 here, whose window has no such delay).
    assert ("preprod", "delay") in kinds and ("preprod", "expiry") in kinds
    assert ("preview", "delay") not in kinds
    assert all("lost" not in item.text for item in who.also_improved)
    assert who.none_failed == {"preprod": ("0.7.90", "2603.1", "fixed"),
                               "preview": ("0.7.90", "2603.1", "fixed")}  # fmt: skip
    assert who.none_failed_words("preview") == (
        "on preview, signer fixed never lost signing with aggregator 0.7.90, 2603.1 and fixed"
    )
