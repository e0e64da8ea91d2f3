"""Bad input typed at the pipeline tasks: one line naming the culprit, exit 2, nothing written."""

from __future__ import annotations

import subprocess
import textwrap
from pathlib import Path

import pytest
from conftest import inv

BAD_NETWORK = textwrap.dedent(
    """\
    [repository]
    path = "mithril"

    [distribution]
    name = "Mithril"

    [[components]]
    name = "mithril-signer"
    manifest = "mithril-signer/Cargo.toml"

    [signing]
    minisign_key = "minisign.key"

    [regression]
    networks = ["preprod", "prevue"]
    """
)


def _tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes() if path.is_file() else b""
        for path in sorted(root.rglob("*"))
    }


@pytest.mark.parametrize(
    "argv",
    [
        ["hotfix", "--dry-run"],
        ["hotfix", "--yes"],
        ["status"],
        ["promote", "2543.1-hotfix", "--dry-run"],
        ["notes.rollback", "--report", "r"],
    ],
)
def test_an_unknown_regression_network_is_refused_when_the_config_loads(tmp_path, argv):
    # Before, the typo passed --dry-run and preflight and failed at the gate, after the branch,
    # the cherry-pick and the release commit.
    (tmp_path / "mithril").mkdir()
    (tmp_path / "release.toml").write_text(BAD_NETWORK)
    before = _tree(tmp_path)
    result = inv(*argv, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: ")
    assert result.stderr.count("\n") == 1
    assert result.stderr.rstrip().endswith(
        'release.toml: regression.networks[1]: unknown network "prevue"; known: mainnet,'
        " preprod, preview (define others in a file named by networks_file)"
    )
    assert _tree(tmp_path) == before


@pytest.mark.parametrize("tag", ["2543.0", "2543.0-pre", "2543.0-hotfix"])
def test_promoting_a_tag_that_is_no_hotfix_says_so(tmp_path, tag):
    sandbox = inv("sandbox", cwd=tmp_path)
    assert sandbox.returncode == 0, sandbox.stderr
    git = ["git", "-C", str(tmp_path / ".hotfix" / "mithril")]
    tags = subprocess.run([*git, "tag"], capture_output=True, text=True, check=True).stdout
    if tag not in tags.split():  # make it a real tag: the refusal is about its form
        subprocess.run([*git, "tag", tag, "2543.0"], check=True)
    before = _tree(tmp_path)
    result = inv("promote", tag, "--dry-run", cwd=tmp_path)
    assert result.returncode == 2
    assert f"error: {tag} is not a hotfix tag: hotfix tags are YYWW.N-hotfix with N >= 1" in (
        result.stderr
    )
    assert "(e.g. 2543.1-hotfix)" in result.stderr
    assert "2543.-1" not in result.stderr
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ["nodes.signer", "kes.skey", "node.cert", "http://127.0.0.1:9", "preprod",
             "--dry-run", "--slot", "-1"],
            "--slot -1 is negative: give an absolute slot, 0 or more",
        ),
        (
            ["nodes.aggregator", "preprod", "stake.json", "--dry-run", "--slot", "-5"],
            "--slot -5 is negative: give an absolute slot, 0 or more",
        ),
        (
            ["regression", "--networks", "preview", "--first-epoch", "-1", "--report", "r"],
            "--first-epoch -1 is negative: give an epoch number, 0 or more",
        ),
    ],
)  # fmt: skip
def test_a_negative_number_is_an_error_not_the_default(tmp_path, argv, message):
    # Before, -1 stood for "not given": --slot -1 silently meant the wall clock.
    result = inv(*argv, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.strip() == f"error: {message}"
    assert list(tmp_path.iterdir()) == []


def test_a_value_of_the_wrong_kind_is_a_parse_error_not_a_traceback(tmp_path):
    result = inv("regression", "--epochs", "three", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "--epochs 'three' is not an integer"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["missing/deeper", "a-file"])
def test_a_sandbox_path_that_is_no_directory_is_named(tmp_path, where):
    (tmp_path / "a-file").write_text("mine")
    result = inv("sandbox", "--path", where, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: --path {where} is not a directory: create it, or pass another"
    )
    assert _tree(tmp_path) == {"a-file": b"mine"}
