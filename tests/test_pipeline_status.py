"""`inv status` and `inv promote` as a newcomer meets them: nothing claimed done before it ran,
a run in progress shown as such, and no sandbox made as a side effect of promote."""

from __future__ import annotations

import json

from conftest import inv
from pipeline_support import TAG, sandbox_paths

from release.pipeline._run import exclusive
from release.sandbox import ensure_sandbox


def test_status_before_any_run_shows_nothing_done(tmp_path):
    ensure_sandbox(tmp_path)
    result = inv("status", "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    assert status["running"] is None
    assert {step["state"] for step in status["hotfix"]} == {"to do"}
    assert status["hotfix"][0]["detail"].startswith("not run yet: ")
    assert status["plan"]["fixes"][0]["subject"] == (
        "Add a test helper that builds signer registrations"
    )


def test_status_while_another_run_holds_the_lock_says_so(tmp_path):
    ensure_sandbox(tmp_path)
    work = sandbox_paths(tmp_path)["root"] / "work"
    with exclusive(work, dry_run=False):
        result = inv("status", "--json", cwd=tmp_path)
        table = inv("status", cwd=tmp_path)
    status = json.loads(result.stdout)
    assert status["running"].startswith("pid ")
    assert {step["state"] for step in status["hotfix"]} == {"running"}
    assert "a run is in progress (pid " in table.stdout


def test_promote_in_a_fresh_directory_creates_nothing(tmp_path):
    result = inv("promote", TAG, cwd=tmp_path)
    assert result.returncode == 2
    assert "no release.toml and no sandbox" in result.stderr
    assert "run `inv hotfix` first" in result.stderr
    assert list(tmp_path.iterdir()) == []
