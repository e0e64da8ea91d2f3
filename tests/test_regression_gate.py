"""The release gate against built zipapps: it must judge the code inside the artifacts."""

from __future__ import annotations

import json
import shutil
import zipapp
from pathlib import Path

import pytest

from release.regression import GateError, gate

REPO = Path(__file__).resolve().parents[1]


def build(tmp_path: Path, name: str, role: str, behaviour: str) -> Path:
    """A zipapp like the distribution's builder makes: the release package + a __main__."""
    source = tmp_path / f"src-{name}"
    shutil.copytree(
        REPO / "release", source / "release", ignore=shutil.ignore_patterns("__pycache__")
    )
    entry, keyword = (
        ("signer_main", "profile") if role == "signer" else ("aggregator_main", "verifier")
    )
    (source / "__main__.py").write_text(
        f"import sys\nfrom release.nodes.cli import {entry}\n"
        f"sys.exit({entry}(version='9.9.9-test', {keyword}={behaviour!r}))\n"
    )
    target = tmp_path / f"{name}.pyz"
    zipapp.create_archive(source, target)
    return target


def run_gate(tmp_path, signer, aggregator):
    return gate(signer, aggregator, report_dir=tmp_path / "report", networks=["preview"], epochs=1)


def test_the_fixed_executables_pass(tmp_path):
    result = run_gate(
        tmp_path,
        build(tmp_path, "signer", "signer", "fixed"),
        build(tmp_path, "agg", "aggregator", "fixed"),
    )
    assert result.passed, result.summary
    names = {check.name for check in result.checks}
    assert {
        "restart late in the epoch",
        "KES rotation",
        "restart late in the epoch, aggregator 0.7.90",
    } <= names
    assert (result.report_dir / "report.json").is_file()
    assert json.loads((result.report_dir / "gate.json").read_text())["passed"] is True


def test_a_signer_carrying_the_bug_fails_the_gate(tmp_path):
    result = run_gate(
        tmp_path,
        build(tmp_path, "signer", "signer", "0.2.273"),
        build(tmp_path, "agg", "aggregator", "fixed"),
    )
    assert not result.passed
    failed = {check.name: check.detail for check in result.checks if not check.passed}
    assert "CurrentKesPeriod=0, StartKesPeriod=823" in failed["KES rotation"]
    assert "restart late in the epoch, aggregator 0.7.90" in failed
    assert "gate FAILED" in result.summary


def test_a_lenient_aggregator_fails_the_gate(tmp_path):
    result = run_gate(
        tmp_path,
        build(tmp_path, "signer", "signer", "fixed"),
        build(tmp_path, "agg", "aggregator", "0.7.90"),
    )
    failed = {check.name for check in result.checks if not check.passed}
    assert {"expired certificate refused", "aggregator one KES period behind"} <= failed


def test_the_suite_runs_from_inside_the_archive(tmp_path):
    """A packaged library whose fixed verifier regressed fails even with good entry points."""
    build(tmp_path, "signer", "signer", "fixed")
    broken = tmp_path / "broken"
    shutil.copytree(tmp_path / "src-signer", broken)
    verifiers = broken / "release" / "nodes" / "verifiers.py"
    verifiers.write_text(verifiers.read_text().replace('"fixed", _whole_epoch', '"fixed", _strict'))
    zipapp.create_archive(broken, tmp_path / "broken.pyz")
    aggregator = build(tmp_path, "agg", "aggregator", "fixed")
    result = run_gate(tmp_path, tmp_path / "broken.pyz", aggregator)
    suites = [check for check in result.checks if check.name.startswith("suite inside")]
    assert len(suites) == 2  # the archives differ: each one's suite runs
    assert not next(check for check in suites if "broken" in check.name).passed
    assert not result.passed


def test_not_a_zipapp(tmp_path):
    plain = tmp_path / "mithril-signer"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(GateError, match="not a zipapp"):
        gate(plain, plain, report_dir=tmp_path / "r")
    with pytest.raises(GateError, match="does not exist"):
        gate(tmp_path / "missing", plain, report_dir=tmp_path / "r")


def test_an_aggregator_that_does_not_serve_fails_the_gate(tmp_path):
    signer = build(tmp_path, "signer", "signer", "fixed")
    result = run_gate(tmp_path, signer, signer)  # the signer's entry point cannot serve
    replay = next(check for check in result.checks if check.name == "incident replayed over HTTP")
    assert not replay.passed and "did not start" in replay.detail
    assert not result.passed
