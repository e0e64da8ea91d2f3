"""Bringing a released hotfix into main, on the sandbox's Mithril-shaped history: main has its
own UNRELEASED CHANGELOG section and signer 0.2.275 while the hotfix shipped 0.2.276 (the
situation of Mithril's PR #2773, which ended with main at 0.2.277)."""

from __future__ import annotations

import datetime
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import git as gitpython
import pytest
from conftest import inv
from pipeline_support import BRANCH, DATE, TAG, git, sandbox_paths

from release.config import load_config
from release.distribution.versions import parse_distribution_version
from release.outcome import Change
from release.pipeline._forward_port import (
    ForwardPortConflictError,
    ForwardPortTarget,
    forward_port,
)
from release.pipeline._run import dated_commits

TARGET = ForwardPortTarget(TAG, parse_distribution_version(TAG), "2543.0")
PORT_BRANCH = f"forward-port/{TAG}"


def hotfixed(cwd: Path) -> Path:
    """A sandbox whose hotfix is committed and tagged (``inv build``, then the tag)."""
    built = inv("build", "--date", DATE, cwd=cwd)
    assert built.returncode == 0, built.stderr
    repo = sandbox_paths(cwd)["repo"]
    git(repo, "tag", "-a", TAG, "-m", f"Mithril distribution {TAG}", BRANCH)
    git(repo, "switch", "-q", "main")
    return repo


def port(cwd: Path, *, dry_run: bool = False):
    repo = gitpython.Repo(sandbox_paths(cwd)["repo"])
    config = load_config(sandbox_paths(cwd)["root"] / "release.toml")
    after = repo.commit(TAG).committed_date
    with dated_commits(repo, datetime.date(2025, 11, 8), after=after):
        return forward_port(repo, config, TARGET, dry_run=dry_run, finish_on_main=True)


def headings(repo: Path, ref: str) -> list[str]:
    return [
        line for line in git(repo, "show", f"{ref}:CHANGELOG.md").splitlines() if line[:3] == "## "
    ]


def version_of(repo: Path, ref: str, crate: str) -> str:
    text = git(repo, "show", f"{ref}:{crate}/Cargo.toml")
    return next(line for line in text.splitlines() if line.startswith("version = ")).split('"')[1]


@pytest.fixture
def sandbox(tmp_path: Path) -> Path:
    hotfixed(tmp_path)
    return tmp_path


def test_main_gets_the_fixes_its_own_changelog_and_versions_above_the_hotfix(sandbox):
    repo = sandbox_paths(sandbox)["repo"]
    untouched = {
        crate: version_of(repo, "main", crate) for crate in ("mithril-stm", "mithril-common")
    }
    assert port(sandbox, dry_run=True).change is Change.PLANNED
    assert git(repo, "branch", "--list", PORT_BRANCH) == ""  # a dry run writes nothing
    outcome = port(sandbox)
    assert outcome.change is Change.APPLIED
    assert "mithril-signer 0.2.277" in outcome.detail
    # Main's signer and aggregator code differ from the hotfix's: a version above the hotfix's.
    assert version_of(repo, "main", "mithril-signer") == "0.2.277"
    assert version_of(repo, "main", "mithril-aggregator") == "0.7.94"
    assert {crate: version_of(repo, "main", crate) for crate in untouched} == untouched
    lock = git(repo, "show", "main:Cargo.lock")
    assert 'name = "mithril-signer"\nversion = "0.2.277"' in lock
    assert 'name = "mithril-aggregator"\nversion = "0.7.94"' in lock
    assert headings(repo, "main") == [
        "## Mithril Distribution [XXXX] - UNRELEASED",
        f"## Mithril Distribution [2543.1] - {DATE}",
        "## Mithril Distribution [2537] - 2025-09-17",
    ]
    # Main's own section is untouched; the distribution's section is the hotfix's, byte for byte.
    main_text, tag_text = (
        git(repo, "show", "main:CHANGELOG.md"),
        git(repo, "show", f"{TAG}:CHANGELOG.md"),
    )
    released = tag_text.split("## Mithril Distribution [2543.1]")[1].split("\n## ")[0]
    assert main_text.split("## Mithril Distribution [2543.1]")[1].split("\n## ")[0] == released
    assert "Registration attempts are counted in the signer metrics." in main_text
    assert "afresh" in git(repo, "show", "main:mithril-signer/src/registration.rs")
    assert git(repo, "branch", "--list", PORT_BRANCH) == ""
    assert git(repo, "status", "--porcelain") == ""
    before = git(repo, "rev-parse", "main")
    assert port(sandbox).change is Change.UNCHANGED
    assert git(repo, "rev-parse", "main") == before


def test_a_component_whose_code_is_the_same_on_main_keeps_the_hotfix_version(sandbox):
    repo = sandbox_paths(sandbox)["repo"]
    # Main's own signer changes undone: with the fixes, main's signer code is the hotfix's.
    git(repo, "rm", "-q", "mithril-signer/src/metrics.rs", "mithril-signer/src/logging.rs")
    git(repo, "commit", "-q", "-m", "Drop the signer metrics and logging")
    port(sandbox)
    assert version_of(repo, "main", "mithril-signer") == "0.2.276"
    assert version_of(repo, "main", "mithril-aggregator") == "0.7.94"


def test_a_conflict_in_another_file_leaves_main_alone_and_converges_once_resolved(sandbox):
    repo = sandbox_paths(sandbox)["repo"]
    registration = repo / "mithril-signer/src/registration.rs"
    # The very lines the fix rewrites: the cherry-pick cannot settle this by itself.
    main_text = registration.read_text().replace("KES-signed once", "KES-signed once (main)")
    registration.write_text(main_text)
    git(repo, "commit", "-q", "-am", "Main changes the registration too")
    main_before = git(repo, "rev-parse", "main")
    with pytest.raises(ForwardPortConflictError) as refused:
        port(sandbox)
    message = str(refused.value)
    assert "conflicts in mithril-signer/src/registration.rs" in message
    assert f"main is unchanged; on {PORT_BRANCH}, run `git cherry-pick -x" in message
    assert git(repo, "rev-parse", "main") == main_before
    assert git(repo, "branch", "--show-current") == "main"
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--list", PORT_BRANCH) != ""
    # A person resolves it on the branch, as the message says, then runs the tool again.
    fix = message.split("git cherry-pick -x ")[1].split("`", maxsplit=1)[0]
    git(repo, "switch", "-q", PORT_BRANCH)
    subprocess.run(
        ["git", "-C", str(repo), "cherry-pick", "-x", fix], capture_output=True, check=False
    )
    resolved = git(repo, "show", f"{TAG}:mithril-signer/src/registration.rs") + "\n// merged\n"
    registration.write_text(resolved)
    git(repo, "add", "mithril-signer/src/registration.rs")
    subprocess.run(
        ["git", "-C", str(repo), "-c", "core.editor=true", "cherry-pick", "--continue"],
        check=True,
        capture_output=True,
    )
    outcome = port(sandbox)
    assert outcome.change is Change.APPLIED
    assert git(repo, "show", "main:mithril-signer/src/registration.rs") == resolved.rstrip("\n")
    assert version_of(repo, "main", "mithril-signer") == "0.2.277"
    assert port(sandbox).change is Change.UNCHANGED


KILLER_HOOK = """#!/bin/sh
# Kill the whole run (its process group) right after the first commit on the forward-port
# branch: the moment a forward-port is half done.
if [ "$(git branch --show-current)" = "{branch}" ] && [ -f "{flag}" ]; then
    rm -f "{flag}"
    kill -KILL 0
fi
"""


def _port_in_a_process(cwd: Path) -> int:
    script = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(Path(__file__).parent)!r})
        from pathlib import Path
        from test_pipeline_forward_port import port
        port(Path({str(cwd)!r}))
        """
    )
    process = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    return process.wait()


def test_a_forward_port_killed_half_way_ends_as_an_uninterrupted_one(tmp_path):
    clean, killed = tmp_path / "clean", tmp_path / "killed"
    for cwd in (clean, killed):
        cwd.mkdir()
        hotfixed(cwd)
    assert _port_in_a_process(clean) == 0
    repo = sandbox_paths(killed)["repo"]
    flag = tmp_path / "kill-once"
    flag.write_text("")
    hook = repo / ".git" / "hooks" / "post-commit"
    hook.write_text(KILLER_HOOK.format(branch=PORT_BRANCH, flag=flag))
    hook.chmod(0o755)
    assert _port_in_a_process(killed) == -signal.SIGKILL
    assert not flag.exists()
    assert git(repo, "branch", "--list", PORT_BRANCH) != ""  # killed half-way through
    assert _port_in_a_process(killed) == 0
    clean_repo = sandbox_paths(clean)["repo"]
    for ref in ("main", f"{TAG}^{{commit}}"):
        assert git(repo, "rev-parse", ref) == git(clean_repo, "rev-parse", ref), ref
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "branch", "--list", PORT_BRANCH) == ""
