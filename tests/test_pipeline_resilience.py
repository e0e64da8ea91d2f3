"""The pipeline under failure: a failing gate, a killed run, refusals, concurrent runs."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT, inv
from executables_support import edited_release
from pipeline_support import DATE, TAG, git, release_state, sandbox_paths, tree_digest

import release.pipeline.hotfix as hotfix_module
from release.config import load_config
from release.distribution import build as build_module
from release.pipeline import (
    GateFailedError,
    HotfixOptions,
    SilentDisplay,
    StepFailedError,
    prepare,
    run_hotfix,
)
from release.pipeline._journal import Journal, JournalError
from release.pipeline._run import ConcurrentRunError, exclusive
from release.sandbox import ensure_sandbox


def test_a_failing_gate_tags_and_publishes_nothing(tmp_path, monkeypatch):
    """Build the signer from a copy of this package whose signer still has the 0.2.273 bug."""
    buggy = edited_release(
        tmp_path,
        "buggy",
        {"nodes/cli.py": ('profile: str = "fixed",', 'profile: str = "0.2.273",')},
    )
    real_build = build_module.build_distribution
    monkeypatch.setattr(
        hotfix_module,
        "build_distribution",
        lambda *args, **kwargs: real_build(*args, **kwargs, source_root=buggy),
    )
    config = load_config(ensure_sandbox(tmp_path))
    paths = sandbox_paths(tmp_path)
    origin_before = git(paths["origin"], "for-each-ref")
    run = prepare(config, HotfixOptions(date=None))
    with pytest.raises(StepFailedError) as failure:
        run_hotfix(run, display=SilentDisplay())
    assert isinstance(failure.value.cause, GateFailedError)
    assert "nothing was tagged or published" in str(failure.value)
    states = {report.name: report.state.value for report in failure.value.reports}
    assert states["gate"] == "failed"
    assert {states[name] for name in ("sign", "tag", "push", "publish", "notes")} == {"blocked"}
    assert TAG not in git(paths["repo"], "tag")
    assert git(paths["origin"], "for-each-ref") == origin_before
    assert not (paths["store"] / "releases").exists() or not any(
        (paths["store"] / "releases").iterdir()
    )
    journal = json.loads((paths["work"] / "journal.json").read_text())
    assert journal["steps"]["gate"]["outcome"] == "failed"


def _kill_when(cwd: Path, step: str) -> None:
    """Start `inv hotfix` and SIGKILL it as soon as the journal records ``step``."""
    journal = sandbox_paths(cwd)["work"] / "journal.json"
    process = subprocess.Popen(
        [sys.executable, "-m", "invoke", "-r", str(ROOT), "hotfix", "--date", DATE],
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if step in json.loads(journal.read_text())["steps"]:
                break
        except (OSError, ValueError):
            pass
        time.sleep(0.005)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    assert process.returncode == -signal.SIGKILL, (
        f"the run ended before it could be killed at {step}"
    )


def test_a_run_killed_at_several_points_ends_identical_to_a_clean_run(tmp_path):
    clean, interrupted = tmp_path / "clean", tmp_path / "interrupted"
    clean.mkdir()
    interrupted.mkdir()
    assert inv("sandbox", cwd=clean).returncode == 0
    assert inv("sandbox", cwd=interrupted).returncode == 0
    # Same signing key in both, so that signatures can be compared byte for byte.
    for name in ("minisign.key", "minisign.pub"):
        shutil.copy2(clean / ".hotfix/keys" / name, interrupted / ".hotfix/keys" / name)
    assert inv("hotfix", "--date", DATE, cwd=clean).returncode == 0
    for step in ("fixes", "build", "push"):
        _kill_when(interrupted, step)
    finished = inv("hotfix", "--date", DATE, cwd=interrupted)
    assert finished.returncode == 0, finished.stderr
    expected, got = release_state(clean), release_state(interrupted)
    assert got["refs"] == expected["refs"]
    assert got["store"] == expected["store"]
    assert got["notes"] == {
        name: text.replace(str(clean), str(interrupted)) for name, text in expected["notes"].items()
    }


def test_a_dirty_tree_is_refused_and_nothing_changes(tmp_path):
    paths = sandbox_paths(tmp_path)
    ensure_sandbox(tmp_path)
    manifest = paths["repo"] / "mithril-common" / "Cargo.toml"
    manifest.write_text(manifest.read_text() + "# local edit\n")
    before = tree_digest(paths["root"])
    result = inv("hotfix", cwd=tmp_path)
    assert result.returncode == 2
    assert "uncommitted changes (mithril-common/Cargo.toml)" in result.stderr
    assert "Traceback" not in result.stderr
    after = {k: v for k, v in tree_digest(paths["root"]).items() if "/work/" not in k}
    assert after == {k: v for k, v in before.items() if "/work/" not in k}


def test_a_tag_that_exists_at_another_commit_is_a_hard_stop(tmp_path):
    paths = sandbox_paths(tmp_path)
    ensure_sandbox(tmp_path)
    git(paths["repo"], "tag", "-a", "-m", "stray", TAG, "2543.0")
    result = inv("hotfix", "--date", DATE, "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert f"tag {TAG} already exists at" in result.stderr
    assert "never moved" in result.stderr
    document = json.loads(result.stdout)
    assert document["release"] is None
    assert {step["step"]: step["state"] for step in document["steps"]}["publish"] == "blocked"
    assert TAG not in git(paths["origin"], "tag")


def test_no_fix_and_no_change_is_refused(tmp_path):
    ensure_sandbox(tmp_path)
    config = tmp_path / ".hotfix" / "release.toml"
    config.write_text(config.read_text().replace('fixes = ["fix/kes-registration"]', ""))
    result = inv("hotfix", "--config", str(config), "--yes", cwd=tmp_path)
    assert result.returncode == 2
    assert "no commit since 2543.0 and no fix to bring in" in result.stderr


def test_an_unknown_fix_is_refused_before_anything_is_written(tmp_path):
    paths = sandbox_paths(tmp_path)
    ensure_sandbox(tmp_path)
    before = git(paths["repo"], "for-each-ref")
    result = inv("hotfix", "--fix", "no-such-branch", cwd=tmp_path)
    assert result.returncode == 2
    assert "'no-such-branch' does not name a commit" in result.stderr
    assert git(paths["repo"], "for-each-ref") == before


def test_one_run_at_a_time(tmp_path):
    with (
        exclusive(tmp_path, dry_run=False),
        pytest.raises(ConcurrentRunError, match="already running"),
        exclusive(tmp_path, dry_run=False),
    ):
        pass
    with exclusive(tmp_path, dry_run=False):
        pass  # released after the first run ended


def test_a_real_repository_asks_before_publishing(tmp_path):
    """Without the sandbox and without a terminal, --yes is required."""
    ensure_sandbox(tmp_path)
    config = tmp_path / ".hotfix" / "release.toml"
    result = inv("hotfix", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "pass --yes to run without a terminal" in result.stderr


def test_build_needs_no_signing_key_but_hotfix_stops_early_without_one(tmp_path):
    paths = sandbox_paths(tmp_path)
    config = str(ensure_sandbox(tmp_path))  # named explicitly: a damaged sandbox is not rebuilt
    (paths["root"] / "keys" / "minisign.key").unlink()
    before = git(paths["repo"], "for-each-ref")
    refused = inv("hotfix", "--config", config, "--yes", "--date", DATE, cwd=tmp_path)
    assert refused.returncode == 2
    assert "minisign.key" in refused.stderr and "Traceback" not in refused.stderr
    assert git(paths["repo"], "for-each-ref") == before
    built = inv("build", "--config", config, "--yes", "--date", DATE, "--json", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    document = json.loads(built.stdout)
    assert [step["step"] for step in document["steps"]][-1] == "build"
    assert (paths["work"] / "dist" / f"mithril-{TAG}-linux-x64.tar.gz").is_file()
    assert document["release"] is None


def test_an_unreadable_journal_is_named_with_what_to_do(tmp_path):
    journal = tmp_path / "journal.json"
    journal.write_text('{"steps": ', encoding="utf-8")
    with pytest.raises(JournalError, match=r"journal\.json is unreadable .*move it aside"):
        Journal.open(journal, writable=True)


def test_a_configuration_without_the_builtin_aggregator_cannot_pass_the_gate(tmp_path):
    config = ensure_sandbox(tmp_path)
    config.write_text(config.read_text().replace('builder = "aggregator"\n', ""))
    result = inv("sign", "--config", str(config), "--yes", "--date", DATE, cwd=tmp_path)
    assert result.returncode == 2
    assert "no component of" in result.stderr and "has builder = 'aggregator'" in result.stderr
    assert "Traceback" not in result.stderr
    repo = sandbox_paths(tmp_path)["repo"]
    assert TAG not in git(repo, "tag")
    assert git(repo, "branch", "--list", "hotfix/*") == ""  # refused in preflight, before any write
    built = inv("build", "--config", str(config), "--yes", "--date", DATE, cwd=tmp_path)
    assert built.returncode == 0, built.stderr  # a build alone needs no gate


def test_an_unexpected_git_failure_is_reported_not_a_traceback(tmp_path):
    """An untracked file that main tracks blocks the switch to main (for its blog post)."""
    paths = sandbox_paths(tmp_path)
    assert inv("hotfix", "--date", DATE, cwd=tmp_path).returncode == 0
    assert git(paths["repo"], "branch", "--show-current") == "hotfix/2543.1"
    main_before = git(paths["repo"], "rev-parse", "main")
    (paths["repo"] / "mithril-signer" / "src" / "logging.rs").write_text("// mine\n")
    result = inv("promote", TAG, "--date", DATE, "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert "would be overwritten" in result.stderr and "Traceback" not in result.stderr
    steps = {step["step"]: step["state"] for step in json.loads(result.stdout)["steps"]}
    assert steps["release"] == "done" and steps["blog"] == "failed"
    assert steps["forward-port"] == "blocked"
    assert git(paths["repo"], "rev-parse", "main") == main_before  # main untouched


def test_a_fix_that_changes_no_component_is_refused_before_any_write(tmp_path):
    paths = sandbox_paths(tmp_path)
    ensure_sandbox(tmp_path)
    repo = paths["repo"]
    git(repo, "switch", "-q", "-c", "docs-only", "2543.0")
    (repo / "NOTES.txt").write_text("a note outside every component\n")
    git(repo, "add", "NOTES.txt")
    git(repo, "commit", "-q", "-m", "Add a note")
    git(repo, "switch", "-q", "main")
    before = git(repo, "for-each-ref")
    result = inv("hotfix", "--fix", "docs-only", cwd=tmp_path)
    assert result.returncode == 2
    assert "no component to bump since 2543.0" in result.stderr
    assert git(repo, "for-each-ref") == before
