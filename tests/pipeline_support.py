"""Helpers of the pipeline tests: running the real tasks on a sandbox and reading its state."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

from conftest import inv

DATE = "2025-11-07"
TAG = "2543.1-hotfix"
BRANCH = "hotfix/2543.1"


def sandbox_paths(cwd: Path) -> dict[str, Path]:
    root = cwd / ".hotfix"
    return {
        "root": root,
        "repo": root / "mithril",
        "origin": root / "origin.git",
        "store": root / "store",
        "work": root / "work" / TAG,
    }


def run_json(*args: str, cwd: Path, env: dict[str, str] | None = None) -> dict:
    result = inv(*args, "--json", cwd=cwd, env=env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def tree_digest(*roots: Path) -> dict[str, str]:
    """Every file under ``roots`` (git internals included) with its sha256 and mode."""
    digests = {}
    for root in roots:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not path.is_symlink():
                data = hashlib.sha256(path.read_bytes()).hexdigest()
                digests[str(path)] = f"{data} {path.stat().st_mode:o}"
    return digests


def release_state(cwd: Path) -> dict[str, object]:
    """What a user can observe of a finished run: refs, tag object, store, notes."""
    paths = sandbox_paths(cwd)
    store = {
        str(path.relative_to(paths["store"])): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(paths["store"].rglob("*"))
        if path.is_file() and not path.name.startswith(".") and path.name != "index.json"
    }
    index = json.loads((paths["store"] / "index.json").read_text())
    for release in index["releases"].values():
        release.pop("created_ns")  # when it was created: the one thing a re-run may not repeat
        release["assets"] = dict(sorted(release["assets"].items()))
    store["index.json"] = index
    return {
        "refs": git(paths["origin"], "for-each-ref", "--format=%(objectname) %(refname)"),
        "local": git(paths["repo"], "for-each-ref", "--format=%(objectname) %(refname)"),
        "store": store,
        "notes": {p.name: p.read_text() for p in sorted((paths["work"] / "dist").glob("*.md"))},
    }
