"""The tool as a user installs it, from the README's worked example, command for command.

The README's block (the one after ``<!-- worked example: installed -->``) is run with bash
as written, only with ``~/`` moved into the test's directory: a wheel built by
``python -m build`` from the tool's clone, ``pip install``-ed into a fresh venv (no
editable install anywhere), then ``mithril-release hotfix`` run inside the repository being
released, which holds its ``release.toml``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT

MARKER = "<!-- worked example: installed -->"
CLONE = "~/src/mithril-release"


def readme_example() -> str:
    """The shell commands of the README's worked example."""
    text = (ROOT / "README.md").read_text()
    after = text[text.index(MARKER) + len(MARKER) :]
    match = re.search(r"```bash\n(.*?)```", after, re.DOTALL)
    assert match is not None, "the worked example has no bash block"
    return match[1]


def tool_clone(where: Path) -> Path:
    """A copy of the tool's clone (what ``python -m build`` reads), with its set-up venv:
    building writes ``build/`` and ``*.egg-info`` into the tree, which stays untouched."""
    shutil.copytree(
        ROOT,
        where,
        ignore=shutil.ignore_patterns(
            ".venv", ".git", ".node", ".hotfix", "__pycache__", "*.egg-info", "build", "dist"
        ),
    )
    (where / ".venv").symlink_to(ROOT / ".venv")
    return where


@pytest.mark.slow
def test_the_readme_example_runs_from_a_wheel_install(tmp_path):
    script = readme_example()
    assert CLONE in script and "python -m build --wheel" in script
    assert "pip install -e" not in script and "mithril-release hotfix" in script
    home = tmp_path / "home"
    clone = tool_clone(home / "src" / "mithril-release")
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script.replace("~/", f"{home}/")],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert result.returncode == 0, result.stdout + result.stderr

    venv = home / "mithril-release-venv"
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import release; print(release.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "site-packages" in where and str(ROOT) not in where  # the wheel's copy, no hook
    site = next((venv / "lib").glob("python3.*/site-packages"))
    assert not list(site.glob("__editable__*"))
    for hook in site.glob("*.pth"):  # setuptools' own; none points at a source tree
        assert str(clone) not in hook.read_text() and str(ROOT) not in hook.read_text()
    repository = home / "demo" / ".hotfix" / "mithril"
    tag = "2543.1-hotfix"
    assert f"release {tag}: prerelease" in result.stdout + result.stderr
    origin = repository.parent / "origin.git"
    tags = subprocess.run(
        ["git", "-C", str(origin), "tag", "--list", tag], capture_output=True, text=True, check=True
    ).stdout
    assert tags.strip() == tag
    # The run's state lives under the repository's .git (the default workdir).
    assert (repository / ".git" / "mithril-release" / tag / "journal.json").is_file()
    # From the repository, with its untracked release.toml, a re-run finds everything done.
    again = subprocess.run(
        [str(venv / "bin" / "mithril-release"), "hotfix", "--yes", "--json"],
        cwd=repository,
        capture_output=True,
        text=True,
        check=False,
    )
    assert again.returncode == 0, again.stderr
    assert '"complete": true' in again.stdout
