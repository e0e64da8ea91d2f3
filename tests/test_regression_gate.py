"""The release gate against built executables: it must judge the code inside the artifacts.

The executables are the real builds (pex files holding their wheels) of this tree or of an
edited copy of it; the gate runs the linux-x64 ones isolated and checks the rest by structure.
"""

from __future__ import annotations

import json
import shutil
import zipfile

import pytest
from executables_support import built_from, edited_release, shipped

from release.distribution.executables import describe, structure_problems
from release.regression import GateError, gate

__all__ = ["shipped"]  # the session fixture, imported for pytest

SIGNER_DEFAULT = ('profile: str = "fixed",', 'profile: str = "0.2.273",')
AGGREGATOR_DEFAULT = ('verifier: str = "fixed",', 'verifier: str = "0.7.90",')


def run_gate(tmp_path, executables):
    return gate(executables, report_dir=tmp_path / "report", networks=["preview"], epochs=1)


def test_the_fixed_executables_pass_and_the_verdict_says_what_ran(tmp_path, shipped):
    result = run_gate(tmp_path, shipped)
    assert result.passed, result.summary
    names = {check.name for check in result.checks}
    assert {
        "restart late in the epoch",
        "KES rotation",
        "restart late in the epoch, aggregator 0.7.90",
        "macos-arm64 mithril-signer by structure",
        "windows-x64 mithril-aggregator.pyz by structure",
    } <= names
    assert "ran the linux-x64 mithril-signer and mithril-aggregator with" in result.summary
    assert " -I (nothing from the tool's environment)" in result.summary
    assert "linux-arm64, macos-arm64, windows-x64 checked by structure" in result.summary
    assert (result.report_dir / "report.json").is_file()
    verdict = json.loads((result.report_dir / "gate.json").read_text())
    assert verdict["passed"] is True
    assert verdict["ran"]["target"] == "linux-x64" and verdict["ran"]["flags"] == ["-I"]


def test_a_signer_carrying_the_bug_fails_the_gate(tmp_path, shipped):
    source = edited_release(tmp_path, "buggy", {"nodes/cli.py": SIGNER_DEFAULT})
    buggy = built_from(source, tmp_path / "buggy")["linux-x64"]["signer"]
    result = run_gate(
        tmp_path, {"linux-x64": {"signer": buggy, "aggregator": shipped["linux-x64"]["aggregator"]}}
    )
    assert not result.passed
    failed = {check.name: check.detail for check in result.checks if not check.passed}
    assert "CurrentKesPeriod=0, StartKesPeriod=823" in failed["KES rotation"]
    assert "restart late in the epoch, aggregator 0.7.90" in failed
    assert "gate FAILED" in result.summary


def test_a_lenient_aggregator_fails_the_gate(tmp_path, shipped):
    source = edited_release(tmp_path, "lenient", {"nodes/cli.py": AGGREGATOR_DEFAULT})
    lenient = built_from(source, tmp_path / "lenient")["linux-x64"]["aggregator"]
    result = run_gate(
        tmp_path, {"linux-x64": {"signer": shipped["linux-x64"]["signer"], "aggregator": lenient}}
    )
    failed = {check.name for check in result.checks if not check.passed}
    assert {"expired certificate refused", "aggregator one KES period behind"} <= failed


def test_the_suite_runs_from_inside_the_executable(tmp_path, shipped):
    """A packaged library whose fixed verifier regressed fails even with good entry points."""
    source = edited_release(
        tmp_path, "broken", {"nodes/verifiers.py": ('"fixed", _whole_epoch', '"fixed", _strict')}
    )
    broken = built_from(source, tmp_path / "broken")["linux-x64"]["signer"]
    result = run_gate(
        tmp_path,
        {"linux-x64": {"signer": broken, "aggregator": shipped["linux-x64"]["aggregator"]}},
    )
    suites = [check for check in result.checks if check.name.startswith("suite inside")]
    assert len(suites) == 2  # the executables differ: each one's suite runs
    assert not next(check for check in suites if check.name.endswith("signer")).passed
    assert not result.passed


def test_an_executable_importing_from_outside_fails_the_gate(tmp_path, shipped):
    """Code that reaches for a module it does not carry (here: the tool's own ``rich``,
    installed for the tool only) cannot pass, whatever the caller's environment holds."""
    source = edited_release(
        tmp_path,
        "reaching",
        {
            "regression/suite.py": (
                "from __future__ import annotations\n",
                "from __future__ import annotations\nimport rich\n",
            )
        },
    )
    result = run_gate(tmp_path, built_from(source, tmp_path / "reaching"))
    suite = next(check for check in result.checks if check.name.startswith("suite inside"))
    assert not suite.passed and "No module named 'rich'" in suite.detail


def test_other_targets_are_checked_by_structure(tmp_path, shipped):
    arm = describe(shipped["linux-arm64"]["signer"])
    assert structure_problems("linux-arm64", arm, describe(shipped["linux-x64"]["signer"])) == []
    # The arm64 build shipped as the macOS one: every compiled wheel is for another platform.
    problems = structure_problems("macos-arm64", arm, describe(shipped["linux-x64"]["signer"]))
    assert any("not for macos-arm64" in problem for problem in problems), problems
    assert any("no wheel of" in problem and "CPython 3.13" in problem for problem in problems)
    result = run_gate(
        tmp_path,
        {"linux-x64": shipped["linux-x64"], "macos-arm64": shipped["linux-arm64"]},
    )
    failed = {check.name for check in result.checks if not check.passed}
    assert failed == {
        "macos-arm64 mithril-signer by structure",
        "macos-arm64 mithril-aggregator by structure",
    }


def test_not_an_executable(tmp_path, shipped):
    plain = tmp_path / "mithril-signer"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(GateError, match="not a pex or zipapp"):
        gate({"linux-x64": {"signer": plain, "aggregator": plain}}, report_dir=tmp_path / "r")
    with pytest.raises(GateError, match="does not exist"):
        gate(
            {"linux-x64": {"signer": tmp_path / "missing", "aggregator": plain}},
            report_dir=tmp_path / "r",
        )
    with pytest.raises(GateError, match="this machine's target"):
        gate({"macos-arm64": shipped["macos-arm64"]}, report_dir=tmp_path / "r")
    stripped = tmp_path / "stripped"
    with zipfile.ZipFile(stripped, "w") as archive:
        archive.writestr("__main__.py", "")
    with pytest.raises(GateError, match="not an executable of the release package"):
        gate({"linux-x64": {"signer": stripped, "aggregator": stripped}}, report_dir=tmp_path)


def test_an_aggregator_that_does_not_serve_fails_the_gate(tmp_path, shipped):
    signer = shipped["linux-x64"]["signer"]
    copy = tmp_path / "mithril-signer-as-aggregator"
    shutil.copy(signer, copy)
    result = run_gate(tmp_path, {"linux-x64": {"signer": signer, "aggregator": copy}})
    replay = next(check for check in result.checks if check.name == "incident replayed over HTTP")
    assert not replay.passed and "did not start" in replay.detail
    assert not result.passed
