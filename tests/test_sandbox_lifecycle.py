"""The sandbox's life: reproducible, reused when intact, rebuilt on --reset or when its
creation was interrupted (never half-used); a damaged one is refused, never silently rebuilt."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from release.sandbox import (
    SANDBOX_DIR,
    SandboxAction,
    SandboxError,
    SandboxState,
    _layout,
    ensure_sandbox,
    prepare_sandbox,
    sandbox_status,
)


def refs(base: Path) -> list[str]:
    """Every branch and tag with the id it points at (tag objects for annotated tags)."""
    return subprocess.run(
        ["git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"],
        cwd=base / SANDBOX_DIR / "mithril",
        capture_output=True,
        text=True,
        check=True,
    ).stdout.splitlines()


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> list[str]:
    base = tmp_path_factory.mktemp("reference")
    ensure_sandbox(base)
    return refs(base)


def test_the_sandbox_is_reproducible(tmp_path, reference):
    config = ensure_sandbox(tmp_path)
    assert config == tmp_path / SANDBOX_DIR / "release.toml"
    assert refs(tmp_path) == reference
    assert len(reference) == 6  # main, the fix branch, 2537.0, 2543.0 and their -pre twins


def test_an_intact_sandbox_is_reused_as_it_is(tmp_path, reference):
    assert prepare_sandbox(tmp_path).action is SandboxAction.CREATE
    progress = tmp_path / SANDBOX_DIR / "work" / "journal.json"
    progress.write_text("{}", encoding="utf-8")
    result = prepare_sandbox(tmp_path)
    assert result.action is SandboxAction.REUSE
    assert progress.exists()
    assert refs(tmp_path) == reference


def test_reset_rebuilds_from_scratch(tmp_path, reference):
    ensure_sandbox(tmp_path)
    leftover = tmp_path / SANDBOX_DIR / "store" / "leftover"
    leftover.write_text("x", encoding="utf-8")
    result = prepare_sandbox(tmp_path, reset=True)
    assert (result.action, result.reason) == (SandboxAction.REBUILD, "--reset")
    assert not leftover.exists()
    assert refs(tmp_path) == reference


def test_a_failed_creation_is_never_reused(tmp_path, monkeypatch, reference):
    def fail(secret: Path, public: Path) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(_layout, "_generate_signing_key", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        ensure_sandbox(tmp_path)
    monkeypatch.undo()
    assert sandbox_status(tmp_path).state is SandboxState.INCOMPLETE
    result = prepare_sandbox(tmp_path)
    assert (result.action, result.reason) == (SandboxAction.REBUILD, "its creation did not finish")
    assert sandbox_status(tmp_path).state is SandboxState.INTACT
    assert refs(tmp_path) == reference


def test_a_creation_killed_half_way_is_rebuilt(tmp_path, reference):
    ready = tmp_path / "repository-built"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from release.sandbox import _layout

        def stall(secret, public):
            Path({str(ready)!r}).touch()
            time.sleep(60)

        _layout._generate_signing_key = stall
        _layout.ensure_sandbox(Path({str(tmp_path)!r}))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script])
    try:
        deadline = time.monotonic() + 30
        while not ready.exists():
            assert process.poll() is None, "the creating process died on its own"
            assert time.monotonic() < deadline, "the creating process never got that far"
            time.sleep(0.02)
    finally:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    assert (tmp_path / SANDBOX_DIR / "mithril" / ".git").is_dir()  # half of it is there
    assert sandbox_status(tmp_path).state is SandboxState.INCOMPLETE
    assert prepare_sandbox(tmp_path).action is SandboxAction.REBUILD
    assert sandbox_status(tmp_path).state is SandboxState.INTACT
    assert refs(tmp_path) == reference


@pytest.mark.parametrize(
    ("damage", "detail"),
    [
        (lambda root: (root / "keys" / "minisign.pub").unlink(), "missing: keys/minisign.pub"),
        (lambda root: (root / "store").rmdir(), "missing: store"),
        (
            lambda root: subprocess.run(
                ["git", "tag", "-d", "2543.0"],
                cwd=root / "mithril",
                check=True,
                capture_output=True,
            ),
            "tag 2543.0 is missing",
        ),
        (
            lambda root: (root / _layout.MARKER).write_text("0\n", encoding="utf-8"),
            "it was made by another version of the tool (older layout)",
        ),
    ],
)
def test_a_damaged_sandbox_is_refused_and_rebuilt_only_on_reset(
    tmp_path, reference, damage, detail
):
    ensure_sandbox(tmp_path)
    damage(tmp_path / SANDBOX_DIR)
    mine = tmp_path / SANDBOX_DIR / "work" / "mine.txt"
    mine.write_text("a user's file\n")
    status = sandbox_status(tmp_path)
    assert (status.state, status.detail) == (SandboxState.DAMAGED, detail)
    with pytest.raises(SandboxError, match=re.escape(detail) + r".*`inv sandbox --reset`"):
        prepare_sandbox(tmp_path)
    assert mine.read_text() == "a user's file\n"
    result = prepare_sandbox(tmp_path, reset=True)
    assert (result.action, result.reason) == (SandboxAction.REBUILD, detail)
    assert refs(tmp_path) == reference


def test_hotfix_in_a_sandbox_without_its_key_is_refused_and_loses_nothing(tmp_path, run_inv):
    ensure_sandbox(tmp_path)
    root = tmp_path / SANDBOX_DIR
    (root / "keys" / "minisign.key").unlink()
    before = {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
    result = run_inv("hotfix", cwd=tmp_path)
    assert result.returncode == 2
    assert "missing: keys/minisign.key" in result.stderr
    assert "`inv sandbox --reset`" in result.stderr
    assert {p: p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()} == before


def test_a_file_in_the_way_is_refused(tmp_path):
    (tmp_path / SANDBOX_DIR).write_text("mine", encoding="utf-8")
    with pytest.raises(SandboxError, match=r"\.hotfix exists and is not a directory"):
        ensure_sandbox(tmp_path)
    assert (tmp_path / SANDBOX_DIR).read_text(encoding="utf-8") == "mine"


def test_the_sandbox_task(tmp_path, run_inv):
    created = run_inv("sandbox", "--json", cwd=tmp_path)  # default: .hotfix/ right here
    assert created.returncode == 0, created.stderr
    report = json.loads(created.stdout)
    assert report["action"] == "create"
    assert report["config"] == str(tmp_path / SANDBOX_DIR / "release.toml")
    marker = tmp_path / SANDBOX_DIR / _layout.MARKER
    stamp = marker.stat().st_mtime_ns

    planned = run_inv("sandbox", "--path", str(tmp_path), "--reset", "--dry-run", "--json")
    assert json.loads(planned.stdout) | {"root": None} == {
        "root": None,
        "config": report["config"],
        "action": "rebuild",
        "reason": "",
        "dry_run": True,
    }
    assert marker.stat().st_mtime_ns == stamp

    reused = run_inv("sandbox", "--path", str(tmp_path))
    assert reused.returncode == 0, reused.stderr
    assert f"sandbox reused: {tmp_path / SANDBOX_DIR}" in reused.stderr
    assert marker.stat().st_mtime_ns == stamp
