"""Every task as a newcomer types it: ``--help`` works, short options mean one thing each."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, inv
from invoke import Task

from release.tasks import namespace
from release.tasks._cli import SHORT_OPTIONS, ReleaseTask
from release.tasks._parser import HELP_FLAGS


def _listed_tasks() -> dict[str, str]:
    """Every task name ``inv --list`` shows, with its one-line help (the real namespace)."""
    listing = subprocess.run(
        [sys.executable, "-m", "invoke", "-r", str(ROOT), "--list", "--list-format=json"],
        capture_output=True,
        text=True,
        check=True,
    )
    found: dict[str, str] = {}

    def walk(collection: dict, prefix: str) -> None:
        for entry in collection["tasks"]:
            found[prefix + entry["name"]] = entry["help"]
        for sub in collection["collections"]:
            walk(sub, f"{prefix}{sub['name']}.")

    walk(json.loads(listing.stdout), "")
    return found


LISTED = _listed_tasks()
#: The tasks the issue found broken: each takes a positional argument.
POSITIONAL = [
    "promote",
    "kes.check",
    "kes.inspect",
    "kes.verify",
    "kes.issue-opcert",
    "nodes.signer",
    "nodes.aggregator",
    "regression.merge",
    "publish.release",
]


def _option_names(name: str) -> list[str]:
    context = next(c for c in namespace.to_contexts() if c.name == name)
    return [argument.names[0] for argument in context.args.values()]


def test_the_listing_has_every_task_with_a_positional_argument():
    assert set(POSITIONAL) <= set(LISTED)
    assert len(LISTED) >= 20


@pytest.mark.parametrize("name", sorted(LISTED))
def test_help_after_the_task_name_shows_its_usage_and_runs_nothing(name, tmp_path):
    # Run in an empty directory: a task that ran instead (promote creating a sandbox, a key
    # generator writing keys) would leave files behind.
    result = inv(name, "--help", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Usage: inv[oke] [--core-opts] {name} "), result.stdout
    assert LISTED[name] in " ".join(result.stdout.split())
    for option in _option_names(name):
        assert f"--{option}" in result.stdout, (name, option)
    assert result.stderr == ""
    # Which options are the positional arguments, in order (Invoke's help does not say).
    assert ("Arguments, in order: " in result.stdout) == (name in POSITIONAL)
    assert list(tmp_path.iterdir()) == []


def test_the_positional_arguments_are_shown_in_their_order(tmp_path):
    result = inv("kes.verify", "--help", cwd=tmp_path)
    assert "Arguments, in order: VK MESSAGE SIGNATURE (or --vk, --message, --signature)." in (
        result.stdout
    )


@pytest.mark.parametrize("flag", HELP_FLAGS)
@pytest.mark.parametrize("name", ["kes.check", "nodes.aggregator"])
def test_short_help_and_help_after_some_arguments(name, flag, tmp_path):
    for argv in ([name, flag], [name, "first-positional", flag]):
        result = inv(*argv, cwd=tmp_path)
        assert result.returncode == 0, (argv, result.stderr)
        assert result.stdout.startswith(f"Usage: inv[oke] [--core-opts] {name} ")
    assert list(tmp_path.iterdir()) == []


def test_the_installed_program_shows_help_too(tmp_path):
    program = Path(sys.executable).parent / "mithril-release"
    result = subprocess.run(
        [str(program), "promote", "--help"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Usage: mithril-release [--core-opts] promote ")
    assert list(tmp_path.iterdir()) == []


def test_missing_positional_arguments_are_named_with_the_way_to_the_usage(tmp_path):
    result = inv("kes.check", cwd=tmp_path)
    assert result.returncode == 1
    assert "'kes.check' needs its arguments kes-key, opcert (usage: kes.check --help)" in (
        result.stderr
    )
    result = inv("kes.check", "kes.skey", cwd=tmp_path)
    assert "needs its arguments opcert " in result.stderr


def test_a_positional_value_that_names_a_task_is_still_a_value(tmp_path):
    # Invoke's rule kept: an unfilled positional takes the next token even if it names a task.
    result = inv("kes.inspect", "status", cwd=tmp_path)
    assert result.returncode == 2
    assert "cannot read the file status" in result.stderr


def _tasks(collection=namespace, prefix=""):
    for name, task in collection.tasks.items():
        yield prefix + name, task
    for sub_name, sub in collection.collections.items():
        yield from _tasks(sub, f"{prefix}{sub_name}.")


def test_every_task_takes_its_short_options_from_the_one_table():
    letters = list(SHORT_OPTIONS.values())
    assert len(letters) == len(set(letters)), "two options share a short option"
    assert "h" not in letters
    meanings: dict[str, set[str]] = {}
    for name, task in _tasks():
        assert isinstance(task, ReleaseTask), name
        assert isinstance(task, Task)
        for argument in task.get_arguments():
            for short in (n for n in argument.names if len(n) == 1):
                meanings.setdefault(short, set()).add(argument.name)
                assert SHORT_OPTIONS.get(argument.name) == short, (name, argument.name, short)
    assert all(len(options) == 1 for options in meanings.values()), meanings
    # The options the issue found disagreeing: -o is --out wherever it exists.
    assert meanings["o"] == {"out"}


def test_short_options_work_through_the_real_program(tmp_path):
    # -n is --dry-run and -j --json in every task: a dry run writes no key.
    result = inv("kes.keygen", "-n", "-j", "-o", "k.skey", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert payload["dry_run"] is True
    assert payload["files"][0] == "k.skey"
    assert list(tmp_path.iterdir()) == []


def test_the_readme_lists_the_short_options_of_the_table():
    readme = (ROOT / "README.md").read_text()
    paragraph = readme[readme.index("The few short options") :].split("\n\n")[0]
    listed = dict(
        (letter, name.replace("-", "_"))
        for letter, name in re.findall(r"`-([a-z])` ([a-z-]+)", paragraph)
    )
    assert listed.pop("h") == "is"  # "`-h` is help"
    assert listed == {letter: name for name, letter in SHORT_OPTIONS.items()}


@pytest.mark.parametrize("flag", ["--dry", "-R"])
def test_invokes_own_dry_flag_is_refused_rather_than_ignored(tmp_path, flag):
    # Invoke's --dry only echoes shell commands; the tasks run none, so before this a user who
    # typed --dry got a real run.
    result = inv(flag, "kes.keygen", "--out", "k.skey", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "error: --dry (-R) is Invoke's flag for shell commands; this task's is --dry-run"
    )
    assert list(tmp_path.iterdir()) == []
    after = inv("kes.keygen", "--out", "k.skey", flag, cwd=tmp_path)
    assert after.returncode == 2
    assert list(tmp_path.iterdir()) == []
