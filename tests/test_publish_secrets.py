"""The GitHub token never reaches output, logs, journals, exceptions or files."""

from __future__ import annotations

import json
import logging

import pytest
from fakes.github_server import FakeGitHub, Fault
from fakes.publishing import (
    TAG,
    TOKEN,
    github_driver_args,
    github_publisher,
    publish_to,
    recorder,
    run_driver,
)

from release.config import PublishSettings
from release.publish import LocalStore, open_publisher, promote
from release.publish.errors import MissingTokenError, RemoteAuthError, RemoteRefusedError
from release.publish.github import GitHubPublisher

pytest_plugins = ["fakes.fixtures"]

ECHO = f"request refused; it carried 'Authorization: token {TOKEN}'"


def files_under(root):
    return [path for path in root.rglob("*") if path.is_file()]


def test_a_faulty_run_with_debug_logging_leaks_nothing(tmp_path, publish_artifacts):
    with FakeGitHub(token=TOKEN) as server:
        server.inject(Fault("starter_then_502", kind="UPLOAD"))
        server.inject(
            Fault(
                "respond",
                kind="PATCH",
                status=429,
                headers={"Retry-After": "0"},
                body={"message": f"slow down ({TOKEN})"},
            )
        )
        server.inject(Fault("drop_after", kind="POST"))
        code, stdout, stderr = run_driver(*github_driver_args(server, tmp_path), "--debug-log")

    assert code == 0, stderr
    assert "oauth token removed" in stderr  # the debug log did print request headers
    assert "slow down (***)" in stderr  # ... and the echoed response body, scrubbed
    assert "retrying" in stderr
    for text in (
        stdout,
        stderr,
        *(path.read_bytes().decode("latin-1") for path in files_under(tmp_path)),
    ):
        assert TOKEN not in text


def test_an_error_echoing_the_token_is_redacted(fake_github, publish_artifacts, caplog):
    fake_github.inject(Fault("respond", kind="POST", status=422, body={"message": ECHO}))
    journal, record = recorder()
    caplog.set_level(logging.DEBUG)

    with pytest.raises(RemoteRefusedError) as error:
        publish_to(github_publisher(fake_github.base_url), publish_artifacts, record=record)

    assert "token ***" in str(error.value)
    assert TOKEN not in str(error.value)
    assert TOKEN not in caplog.text
    assert error.value.__cause__ is None and error.value.__context__ is not None
    assert TOKEN not in json.dumps(journal)


def test_journal_and_repr_hold_no_token(fake_github, publish_artifacts):
    publisher = github_publisher(fake_github.base_url)
    journal, record = recorder()

    publish_to(publisher, publish_artifacts, record=record)
    promote(publisher, tag=TAG, record=record)

    assert len(journal) >= 8
    assert TOKEN not in json.dumps(journal)
    assert TOKEN not in repr(publisher)
    assert TOKEN not in repr(vars(publisher).get("_repository"))


def test_a_wrong_token_is_an_auth_error_that_does_not_print_it(fake_github, publish_artifacts):
    wrong = "ghp_WRONGtoken9876543210zyxwvuZYXWVU98765"
    with pytest.raises(RemoteAuthError, match="401 Bad credentials") as error:
        publish_to(github_publisher(fake_github.base_url, token=wrong), publish_artifacts)
    assert wrong not in str(error.value)


def test_the_token_comes_from_the_named_variable_only(tmp_path):
    settings = PublishSettings(backend="github", repo="acme/widgets", token_env="RELEASE_TOKEN")
    with pytest.raises(MissingTokenError, match="RELEASE_TOKEN"):
        open_publisher(settings, root=tmp_path, environ={})
    publisher = open_publisher(settings, root=tmp_path, environ={"RELEASE_TOKEN": TOKEN})
    assert isinstance(publisher, GitHubPublisher)
    assert TOKEN not in repr(publisher)
    local = open_publisher(PublishSettings(), root=tmp_path, environ={})
    assert isinstance(local, LocalStore) and local.root == tmp_path / ".hotfix/store"
