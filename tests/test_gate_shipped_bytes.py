"""The gate judges exactly the bytes that ship: executables built by the real builder, run
isolated (``python -I``, each pex in its own venv) so no editable install's import hook can
lend them modules, from a plain wheel install of the tool; and nothing it starts outlives a
killed run."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, inv
from executables_support import built_from, edited_release
from pipeline_support import DATE

from release.regression import gate


def test_an_aggregator_regressed_to_the_strict_window_fails_the_gate(tmp_path):
    # A change of behaviour, not of syntax: it still imports and runs.
    source = edited_release(
        tmp_path,
        "strict",
        {"nodes/verifiers.py": ('Verifier("fixed", _whole_epoch,', 'Verifier("fixed", _strict,')},
    )
    executables = built_from(source, tmp_path / "out")
    result = gate(executables, report_dir=tmp_path / "report", networks=["preprod"], epochs=1)
    assert not result.passed
    failed = {check.name for check in result.checks if not check.passed}
    # The suite packed in the archive and the built aggregator over HTTP both catch it.
    assert any(name.startswith("suite inside") for name in failed), failed
    assert "aggregator one KES period behind" in failed


def _wheel_venv(tmp_path: Path) -> Path:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "-w",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    (wheel,) = wheels.glob("mithril_release-*.whl")
    subprocess.run(
        [
            str(venv / "bin" / "pip"),
            "install",
            "--quiet",
            "--disable-pip-version-check",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    return venv


_GATE_FROM_THE_INSTALL = """
import json, sys, sysconfig
from pathlib import Path
import release
from release.distribution.build import build_executable
from release.regression import gate
site = sysconfig.get_paths()["purelib"]
assert release.__file__.startswith(site), release.__file__
assert not any("__editable__" in str(path) for path in Path(site).iterdir())
out = Path(sys.argv[1])
exes = {
    target: {
        kind: build_executable(
            kind, component="mithril-" + kind, version="9.9.9", target=target,
            output_dir=out / target, epoch=1,
        ).path
        for kind in ("signer", "aggregator")
    }
    for target in ("linux-x64", "windows-x64")
}
result = gate(exes, report_dir=out / "report", networks=["preview"], epochs=1)
print(json.dumps({"passed": result.passed, "summary": result.summary}))
"""


@pytest.mark.slow
def test_the_gate_passes_from_a_plain_wheel_install(tmp_path):
    venv = _wheel_venv(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(
        [str(venv / "bin" / "python"), "-c", _GATE_FROM_THE_INSTALL, str(out)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert '"passed": true' in result.stdout, result.stdout


def _processes_mentioning(text: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if text in cmdline:
            found.append(f"{entry.name}: {cmdline[:120]}")
    return found


def test_kill_9_of_the_hotfix_leaves_no_gate_process_and_the_rerun_converges(tmp_path):
    assert inv("sandbox", cwd=tmp_path).returncode == 0
    work = str(tmp_path / ".hotfix" / "work")
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "-r", str(ROOT), "hotfix", "--date", DATE],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 120
        while not any(" -I " in line for line in _processes_mentioning(work)):
            assert process.poll() is None, "the run ended before its gate started"
            assert time.monotonic() < deadline, "the gate never started"
            time.sleep(0.02)
        os.kill(process.pid, signal.SIGKILL)  # the run only, not its process group
        process.wait()
        deadline = time.monotonic() + 10
        while _processes_mentioning(work) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _processes_mentioning(work) == []
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
    rerun = inv("hotfix", "--date", DATE, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stderr
