"""``inv regression.merge`` judges the whole matrix or nothing: every shard, each once."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import inv

from release.regression import run_suite

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
