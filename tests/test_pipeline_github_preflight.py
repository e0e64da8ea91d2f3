"""``inv hotfix`` on GitHub: a store that cannot take the release stops the run in preflight.

A real repository's tag push starts CI, so a bad token or a wrong ``api_url`` must be found
before anything is tagged or pushed, with the URL in the message. Every failure under
``--json`` still ends stdout with one JSON object carrying ``error``.
"""

import json
import os
import socket

import pytest
from fakes.publishing import TOKEN, github_config
from pipeline_support import DATE, git, sandbox_paths

pytest_plugins = ["fakes.fixtures"]


def last_json(stdout: str) -> dict:
    """The last JSON object on stdout (what a CI step parses)."""
    decoder, text = json.JSONDecoder(), stdout.rstrip()
    for start in (i for i, char in enumerate(text) if char == "{"):
        try:
            document, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if end == len(text):
            return document
    raise AssertionError(f"stdout does not end with a JSON object: {stdout!r}")


def nothing_tagged_or_pushed(tmp_path) -> None:
    paths = sandbox_paths(tmp_path)
    for repo in (paths["repo"], paths["origin"]):
        assert git(repo, "tag", "--list", "*-hotfix") == ""
        assert git(repo, "branch", "--list", "hotfix/*") == ""


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("problem", ["bad token", "unreachable api"])
def test_a_store_that_cannot_take_the_release_stops_before_the_tag(
    tmp_path, fake_github, run_inv, problem
):
    env = {**os.environ, "TEST_GITHUB_TOKEN": TOKEN}
    if problem == "bad token":
        env["TEST_GITHUB_TOKEN"] = "ghp_" + "0" * 36
        url = fake_github.base_url
        config = github_config(tmp_path, fake_github)
    else:
        url = f"http://127.0.0.1:{closed_port()}/api/v3"
        config = github_config(tmp_path, fake_github, api_url=url)

    result = run_inv(
        "hotfix", "--config", str(config), "--yes", "--json", "--date", DATE, cwd=tmp_path, env=env
    )

    assert result.returncode == 2
    document = last_json(result.stdout)
    assert url in document["error"] and url in result.stderr
    expected = "rejects the token" if problem == "bad token" else "check [publish] api_url"
    assert expected in document["error"]
    [preflight] = [s for s in document["steps"] if s["step"] == "preflight"]
    assert preflight["state"] == "failed"
    assert fake_github.writes == 0
    nothing_tagged_or_pushed(tmp_path)


def test_a_good_github_store_passes_preflight_in_a_dry_run(tmp_path, fake_github, run_inv):
    config = github_config(tmp_path, fake_github)
    env = {**os.environ, "TEST_GITHUB_TOKEN": TOKEN}

    result = run_inv(
        "hotfix", "--config", str(config), "--dry-run", "--json", cwd=tmp_path, env=env
    )

    assert result.returncode == 0, result.stderr
    assert "error" not in last_json(result.stdout)
    assert f"/api/v3/repos/{fake_github.repo}" in [r.path for r in fake_github.requests]
    assert fake_github.writes == 0


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--fix", "nope"), "nope"),
        (("--config", "missing.toml"), "missing.toml"),
        (("--date", "yesterday"), "--date"),
        (("--target", "plan9-x64"), "plan9-x64"),
    ],
)
def test_every_failure_under_json_ends_with_one_error_object(tmp_path, run_inv, args, named):
    result = run_inv("hotfix", *args, "--yes", "--json", cwd=tmp_path)

    assert result.returncode == 2
    document = last_json(result.stdout)
    assert named in document["error"]
    assert document["error"] in result.stderr
    assert result.stdout.count('"error"') == 1


def test_promote_and_status_report_errors_as_json_too(tmp_path, run_inv):
    for args in (("promote", "2543.9-hotfix"), ("status", "--config", "missing.toml")):
        result = run_inv(*args, "--json", cwd=tmp_path)
        assert result.returncode == 2, result.stdout
        assert "error" in last_json(result.stdout)
