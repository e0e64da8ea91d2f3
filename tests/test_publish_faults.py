"""Faults GitHub really produces, injected by the fake server; each must be survived.

Every test runs twice: with the digests GitHub usually reports and with ``digest: null``
(allowed by its schema), where verifying means downloading. Each must end with exactly one
release with the artifacts' digests, and a further run must make no write request.
"""

from __future__ import annotations

import time
from email.utils import formatdate

import pytest
from fakes.github_server import SECONDARY_RATE_LIMIT, FakeGitHub, Fault
from fakes.publishing import TAG, TOKEN, expected_snapshot, github_publisher, publish_to

from release.publish.errors import RemoteRefusedError, RemoteUnavailableError

pytest_plugins = ["fakes.fixtures"]


@pytest.fixture(params=[False, True], ids=["digests", "null-digests"])
def fake_github(request):
    with FakeGitHub(token=TOKEN, null_digests=request.param) as server:
        yield server


def assert_converged(server, files):
    """One release with exactly the artifacts' digests; running again writes nothing."""
    assert server.snapshot() == expected_snapshot(files)
    writes = server.writes
    publish_to(github_publisher(server.base_url), files)
    assert server.writes == writes


def outcomes(server, kind):
    return [request.outcome for request in server.requests if request.kind == kind]


def test_a_502_that_leaves_a_starter_asset_is_cleaned_and_retried(fake_github, publish_artifacts):
    fake_github.inject(Fault("starter_then_502", kind="UPLOAD"))

    publish_to(github_publisher(fake_github.base_url), publish_artifacts)

    assert_converged(fake_github, publish_artifacts)
    # 502 (starter left) -> retry answers 422 already_exists -> delete the starter -> upload
    assert outcomes(fake_github, "UPLOAD")[:3] == ["502", "422", "201"]
    assert outcomes(fake_github, "DELETE") == ["204"]


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (403, SECONDARY_RATE_LIMIT, "UPLOAD"),
        (429, "Too many requests", "PATCH"),
        (403, SECONDARY_RATE_LIMIT, "GET"),
    ],
)
def test_rate_limits_wait_exactly_the_retry_after(
    fake_github, publish_artifacts, status, message, kind
):
    slept: list[float] = []
    fake_github.inject(
        Fault(
            "respond",
            kind=kind,
            status=status,
            body={"message": message},
            headers={"Retry-After": "7"},
        )
    )

    publish_to(github_publisher(fake_github.base_url, sleep=slept.append), publish_artifacts)

    assert slept == [7.0]
    assert_converged(fake_github, publish_artifacts)


def test_a_rate_limit_without_retry_after_waits_the_policy_minimum(fake_github, publish_artifacts):
    slept: list[float] = []
    fake_github.inject(
        Fault("respond", kind="POST", status=403, body={"message": SECONDARY_RATE_LIMIT})
    )
    publisher = github_publisher(fake_github.base_url, sleep=slept.append, rate_limit_wait=61.0)

    publish_to(publisher, publish_artifacts)

    assert slept == [61.0]


@pytest.mark.parametrize(
    ("action", "kind"),
    [
        ("drop_before", "GET"),
        ("drop_before", "POST"),
        ("drop_after", "POST"),  # the draft exists; the retry makes a second one
        ("drop_mid_body", "UPLOAD"),  # half an upload, a starter left behind
        ("drop_after", "UPLOAD"),  # the asset is complete; the retry gets 422, digest matches
        ("drop_after", "PATCH"),
    ],
)
def test_a_dropped_connection_is_survived_without_duplicates(
    fake_github, publish_artifacts, action, kind
):
    fault = fake_github.inject(Fault(action, kind=kind))

    publish_to(github_publisher(fake_github.base_url), publish_artifacts)

    assert fault.fired == 1
    assert_converged(fake_github, publish_artifacts)


def test_a_lost_create_answer_leaves_two_drafts_and_the_first_is_kept(
    fake_github, publish_artifacts
):
    # Under GitHub's rules a retried create succeeds again (drafts may share a tag): the run
    # must adopt its first draft, delete the second and never stop on "two releases".
    fake_github.inject(Fault("drop_after", kind="POST"))

    publish_to(github_publisher(fake_github.base_url), publish_artifacts)

    creates = [r for r in fake_github.requests if r.kind == "POST"]
    assert [r.outcome for r in creates] == ["drop_after", "201"]
    deleted = [r.path for r in fake_github.requests if r.kind == "DELETE"]
    assert len(deleted) == 1 and "/releases/assets/" not in deleted[0]
    [release_id] = fake_github.releases
    assert deleted[0].endswith(f"/releases/{release_id + 1}")  # the second draft went
    assert_converged(fake_github, publish_artifacts)


def test_a_remote_that_keeps_failing_is_reported_and_a_rerun_finishes(
    fake_github, publish_artifacts
):
    fake_github.inject(
        Fault("respond", kind="PATCH", status=502, times=4, body={"message": "Bad Gateway"})
    )
    publisher = github_publisher(fake_github.base_url, attempts=4)

    with pytest.raises(RemoteUnavailableError, match=r"after 4 attempts \(server error 502\)"):
        publish_to(publisher, publish_artifacts)
    assert fake_github.snapshot()[0]["draft"] is True  # never half-published

    publish_to(publisher, publish_artifacts)
    assert_converged(fake_github, publish_artifacts)


def test_an_exhausted_primary_rate_limit_is_not_slept_through(fake_github, publish_artifacts):
    slept: list[float] = []
    reset = str(int(time.time()) + 3600)
    fake_github.inject(
        Fault(
            "respond",
            kind="GET",
            status=403,
            body={"message": "API rate limit exceeded for installation ID 1."},
            headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": reset},
        )
    )

    with pytest.raises(RemoteUnavailableError, match=r"asks to wait 3[56]\d\d s"):
        publish_to(github_publisher(fake_github.base_url, sleep=slept.append), publish_artifacts)
    assert slept == []


def test_a_permission_refusal_is_not_retried(fake_github, publish_artifacts):
    fake_github.inject(
        Fault(
            "respond",
            kind="POST",
            status=403,
            body={"message": "Resource not accessible by integration"},
        )
    )

    with pytest.raises(RemoteRefusedError, match="403 Resource not accessible by integration"):
        publish_to(github_publisher(fake_github.base_url), publish_artifacts)
    assert outcomes(fake_github, "POST") == ["403"]
    assert TAG not in {r["tag"] for r in fake_github.snapshot()}


def test_a_retry_after_given_as_a_date_is_honoured(fake_github, publish_artifacts):
    slept: list[float] = []
    when = formatdate(time.time() + 30, usegmt=True)
    fake_github.inject(
        Fault(
            "respond",
            kind="POST",
            status=503,
            headers={"Retry-After": when},
            body={"message": "Service Unavailable"},
        )
    )

    publish_to(github_publisher(fake_github.base_url, sleep=slept.append), publish_artifacts)

    assert len(slept) == 1 and 27 <= slept[0] <= 31


def test_a_lost_delete_answer_is_taken_as_done(fake_github, publish_artifacts):
    # The starter's DELETE is processed but its answer lost: the retry answers 404, which
    # means the asset is gone, and the upload goes on.
    fake_github.inject(Fault("starter_then_502", kind="UPLOAD"))
    fake_github.inject(Fault("drop_after", kind="DELETE"))

    publish_to(github_publisher(fake_github.base_url), publish_artifacts)

    assert outcomes(fake_github, "DELETE") == ["drop_after", "404"]
    assert_converged(fake_github, publish_artifacts)
