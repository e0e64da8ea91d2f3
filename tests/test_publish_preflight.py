"""The release store is checked, reading only, before a run writes anything.

GitHub: ``GET /repos/{owner}/{repo}`` answers with the token's ``permissions`` for a user
token (schema ``full-repository``, ``permissions.push``); the Actions ``GITHUB_TOKEN`` gets
none, so then the check stops at "the token sees the repository".
"""

from __future__ import annotations

import socket

import pytest
from fakes.github_server import FakeGitHub
from fakes.publishing import TOKEN, github_publisher

from release.publish import LocalStore
from release.publish.errors import RemoteAuthError, RemoteUnavailableError, StoreCorruptError

pytest_plugins = ["fakes.fixtures"]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_a_token_that_may_push_passes_and_nothing_is_written(fake_github):
    checked = github_publisher(fake_github.base_url).preflight()

    assert "push allowed" in checked and fake_github.base_url in checked
    assert fake_github.writes == 0
    assert [r.path for r in fake_github.requests] == [f"/api/v3/repos/{fake_github.repo}"]


def test_a_bad_token_is_refused_naming_the_url(fake_github):
    publisher = github_publisher(fake_github.base_url, token="ghp_" + "x" * 36)

    with pytest.raises(RemoteAuthError, match="rejects the token") as refused:
        publisher.preflight()

    assert fake_github.base_url in str(refused.value)
    assert "ghp_xxxx" not in str(refused.value)
    assert [r.outcome for r in fake_github.requests] == ["401"]


def test_an_unreachable_api_is_refused_naming_the_url():
    url = f"http://127.0.0.1:{closed_port()}/api/v3"

    with pytest.raises(RemoteUnavailableError, match="api_url") as refused:
        github_publisher(url).preflight()

    assert url in str(refused.value) and "connection failed" in str(refused.value)


def test_a_repository_the_token_cannot_see_is_named(fake_github):
    with pytest.raises(RemoteAuthError, match="acme/other is not visible") as refused:
        github_publisher(fake_github.base_url, repo="acme/other").preflight()
    assert fake_github.base_url in str(refused.value)


def test_a_token_without_push_is_refused():
    pull_only = {"admin": False, "maintain": False, "push": False, "triage": False, "pull": True}
    with FakeGitHub(token=TOKEN, permissions=pull_only) as server:
        with pytest.raises(RemoteAuthError, match=r"no push permission \(permissions.push"):
            github_publisher(server.base_url).preflight()
        assert server.writes == 0


def test_the_actions_token_reports_no_permissions_and_goes_on():
    with FakeGitHub(token=TOKEN, permissions=None) as server:
        checked = github_publisher(server.base_url).preflight()
    assert "no permissions reported" in checked


def test_the_local_store_preflight_reads_its_index(tmp_path):
    assert str(tmp_path) in LocalStore(tmp_path / "store").preflight()
    assert not (tmp_path / "store").exists()
    (tmp_path / "store").mkdir()
    (tmp_path / "store" / "index.json").write_text("{not json")
    with pytest.raises(StoreCorruptError, match=r"index\.json"):
        LocalStore(tmp_path / "store").preflight()
