"""``inv regression.merge`` judges the whole matrix or nothing: every shard, each once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import inv

from release.regression import run_suite
from release.regression.results import CellKey, Shard

SMALL = {"networks": ["preview"], "epochs": 1, "scenarios": ["restart"]}


@pytest.fixture(scope="module")
def shards(tmp_path_factory) -> Path:
    """Shards 1/2 and 2/2 of one small run, and 1/3 of the same run split in three."""
    root = tmp_path_factory.mktemp("shards")
    for name, shard in (("sh1", "1/2"), ("sh2", "2/2"), ("third", "1/3")):
        run_suite(**SMALL, shard=shard, report_dir=root / name)
    return root


def _files(directory: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(directory.iterdir())}


@pytest.mark.parametrize(
    ("reports", "message"),
    [
        ("sh1", "shard 2/2 is missing (given: 1/2 in sh1): merge every shard of the run"),
        ("sh2", "shard 1/2 is missing (given: 2/2 in sh2)"),
        ("sh1,sh1", "shard 1/2 is given twice: sh1 and sh1"),
        ("sh1,sh2,third", "the reports come from different splits (1/2 in sh1, 2/2 in"),
    ],
)
def test_an_incomplete_or_repeated_set_of_shards_is_refused(shards, reports, message):
    # The report already in --out (a previous full merge) must survive the refused merge.
    out = shards / "merged-before"
    if not out.exists():
        ok = inv("regression.merge", "sh1,sh2", "--out", str(out), cwd=shards)
        assert ok.returncode == 0, ok.stderr
        assert "PASSED" in ok.stdout
    before = _files(out)
    result = inv("regression.merge", reports, "--out", str(out), cwd=shards)
    assert result.returncode == 2
    assert f"error: {message}" in " ".join(result.stderr.split())
    assert "PASSED" not in result.stdout + result.stderr
    assert _files(out) == before


def test_shards_partition_the_matrix_dealt_back_and_forth():
    """Every cell in exactly one slice, whatever N; slices dealt 1..N then N..1 so that
    neighbouring cells (which cost alike) are spread over the slices."""
    cells = [CellKey("preview", "s", "a", f"scenario-{n}") for n in range(23)]
    for count in range(1, 6):
        slices = [Shard(k, count).select(cells) for k in range(1, count + 1)]
        assert sorted(c.scenario for part in slices for c in part) == sorted(
            c.scenario for c in cells
        )
    first, second = (Shard(k, 2).select(cells[:8]) for k in (1, 2))
    assert [cells.index(c) for c in first] == [0, 3, 4, 7]
    assert [cells.index(c) for c in second] == [1, 2, 5, 6]
