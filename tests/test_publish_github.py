"""GitHubPublisher with the real PyGithub client against the GitHub-compatible fake."""

from __future__ import annotations

import pytest
from fakes.github_server import FakeGitHub
from fakes.publishing import (
    RELEASE_BODY,
    RELEASE_NAME,
    TAG,
    TOKEN,
    expected_snapshot,
    github_publisher,
    publish_to,
    recorder,
    write_artifacts,
)
from github import Auth, Github, GithubException, UnknownObjectException

from release.publish import plan_publish, promote
from release.publish._protocol import with_marker
from release.publish.errors import (
    AssetExistsError,
    PromotionRefusedError,
    ReleaseExistsError,
    ReleaseImmutableError,
)

pytest_plugins = ["fakes.fixtures"]


def plain_client(server: FakeGitHub):
    """PyGithub used directly, as another tool would."""
    github = Github(
        auth=Auth.Token(TOKEN),
        base_url=server.base_url,
        retry=None,
        seconds_between_requests=0,
        seconds_between_writes=0,
        timeout=5,
    )
    return github.get_repo(server.repo)


def test_a_draft_is_invisible_by_tag_but_found_by_listing(fake_github):
    publisher = github_publisher(fake_github.base_url)
    publisher.create_draft(
        tag=TAG, name="n", body=with_marker("b", TAG, "main"), target_commitish="main"
    )

    view = publisher.find(TAG)

    assert view is not None and view.state == "draft"
    assert not any("/releases/tags/" in r.path for r in fake_github.requests)
    with pytest.raises(UnknownObjectException):
        plain_client(fake_github).get_release(TAG)


def test_publish_and_promote_pass_every_flag_and_converge(fake_github, publish_artifacts):
    publisher = github_publisher(fake_github.base_url)
    journal, record = recorder()

    view = publish_to(publisher, publish_artifacts)

    assert fake_github.snapshot() == expected_snapshot(publish_artifacts)
    assert (view.state, view.latest) == ("prerelease", False)
    created = next(r for r in fake_github.requests if r.kind == "POST")
    assert created.json | {"tag_name": TAG} == {
        "tag_name": TAG,
        "name": RELEASE_NAME,
        "body": with_marker(RELEASE_BODY, TAG, "main"),
        "draft": True,
        "prerelease": True,
        "make_latest": "false",
        "target_commitish": "main",
        "generate_release_notes": False,
    }
    uploads = [r for r in fake_github.requests if r.kind == "UPLOAD"]
    assert [r.outcome for r in uploads] == ["201"] * len(publish_artifacts)
    assert all(r.path.startswith("/api/uploads/repos/acme/widgets/") for r in uploads)
    published = [r for r in fake_github.requests if r.kind == "PATCH"][-1].json
    assert {k: published[k] for k in ("draft", "prerelease", "make_latest")} == {
        "draft": False,
        "prerelease": True,
        "make_latest": "false",
    }

    promoted = promote(publisher, tag=TAG, record=record)

    assert (promoted.state, promoted.latest) == ("release", True)
    flip = [r for r in fake_github.requests if r.kind == "PATCH"][-1].json
    assert {k: flip[k] for k in ("draft", "prerelease", "make_latest")} == {
        "draft": False,
        "prerelease": False,
        "make_latest": "true",
    }
    assert plain_client(fake_github).get_latest_release().tag_name == TAG
    assert journal == [("promote", {"action": "promoted", "state": "release"})]


def test_rerun_after_success_makes_zero_write_requests(fake_github, publish_artifacts):
    publish_to(github_publisher(fake_github.base_url), publish_artifacts)
    promote(github_publisher(fake_github.base_url), tag=TAG)
    writes, final = fake_github.writes, fake_github.snapshot()

    restarted = github_publisher(fake_github.base_url)  # a new client: state is on the server
    publish_to(restarted, publish_artifacts)
    promote(restarted, tag=TAG)

    assert fake_github.writes == writes
    assert fake_github.snapshot() == final


def test_new_notes_keep_the_prerelease_flags(fake_github, publish_artifacts):
    publisher = github_publisher(fake_github.base_url)
    publish_to(publisher, publish_artifacts)
    writes = fake_github.writes

    publish_to(publisher, publish_artifacts, body="Corrected notes.")

    assert fake_github.writes == writes + 1
    patch = next(r for r in reversed(fake_github.requests) if r.kind == "PATCH")
    assert {k: patch.json[k] for k in ("draft", "prerelease", "make_latest", "body")} == {
        "draft": False,
        "prerelease": True,
        "make_latest": "false",
        "body": with_marker("Corrected notes.", TAG, "main"),
    }
    assert fake_github.snapshot() == expected_snapshot(publish_artifacts, body="Corrected notes.")


def test_drafts_may_share_a_tag_and_only_a_published_release_conflicts(
    fake_github, publish_artifacts
):
    # GitHub: several drafts may carry one tag; only a published release makes a create (or
    # publishing another draft) answer 422 already_exists on tag_name.
    repo = plain_client(fake_github)
    first = repo.create_git_release(TAG, name="n", message="b", draft=True)
    second = repo.create_git_release(TAG, name="n", message="b", draft=True)
    assert first.id != second.id
    first.update_release(name="n", message="b", draft=False, prerelease=True)
    with pytest.raises(GithubException) as publishing:
        second.update_release(name="n", message="b", draft=False, prerelease=True)
    with pytest.raises(GithubException) as creating:
        repo.create_git_release(TAG, name="n", message="b", draft=True)
    for refusal in (publishing.value, creating.value):
        assert refusal.status == 422
        assert refusal.data["errors"][0] == {
            "resource": "Release",
            "code": "already_exists",
            "field": "tag_name",
        }
        assert refusal.data["documentation_url"].startswith("https://docs.github.com/")

    publisher = github_publisher(fake_github.base_url)
    with pytest.raises(ReleaseExistsError):
        publisher.create_draft(tag=TAG, name="n", body="b", target_commitish="main")
    [draft] = [view for view in publisher.releases(TAG) if not view.published]
    publisher.upload(draft.id, publish_artifacts[0])
    with pytest.raises(AssetExistsError, match=publish_artifacts[0].name):
        publisher.upload(draft.id, publish_artifacts[0])


def test_a_published_release_is_frozen(fake_github, publish_artifacts, tmp_path):
    publisher = github_publisher(fake_github.base_url)
    publish_to(publisher, publish_artifacts)
    writes = fake_github.writes
    publish_artifacts[0].write_bytes(b"rebuilt differently")

    with pytest.raises(ReleaseImmutableError, match=publish_artifacts[0].name):
        publish_to(publisher, publish_artifacts)
    assert fake_github.writes == writes

    extra = tmp_path / "extra.txt"
    extra.write_text("added after publishing")
    release = publisher.find(TAG)
    with pytest.raises(ReleaseImmutableError, match="422"):
        publisher.upload(release.id, extra)
    with pytest.raises(ReleaseImmutableError, match="422"):
        publisher.delete_asset(release.id, "CHECKSUM")


def test_listing_follows_pagination_to_find_an_old_draft(fake_github, publish_artifacts):
    fake_github.add_release(TAG, draft=True, body=with_marker("an earlier run", TAG, "main"))
    for n in range(5):
        fake_github.add_release(f"2{n}00.0")
    publisher = github_publisher(fake_github.base_url, per_page=2)

    publish_to(publisher, publish_artifacts)

    assert [r["tag"] for r in fake_github.snapshot()].count(TAG) == 1
    assert any("page=3" in r.query for r in fake_github.requests)


def test_stray_and_unfinished_assets_on_a_draft_are_cleaned(fake_github, publish_artifacts):
    release_id = fake_github.add_release(
        TAG, draft=True, prerelease=True, body=with_marker("an earlier run", TAG, "main")
    )
    fake_github.add_asset(release_id, "CHECKSUM", b"", state="open")
    fake_github.add_asset(release_id, publish_artifacts[0].name, b"old bytes")
    fake_github.add_asset(release_id, "notes.txt", b"not an artifact")

    publish_to(github_publisher(fake_github.base_url), publish_artifacts)

    assert fake_github.snapshot() == expected_snapshot(publish_artifacts)


def test_leftover_drafts_of_earlier_runs_are_deleted_and_others_left_alone(
    fake_github, publish_artifacts
):
    ours = with_marker("an earlier run", TAG, "main")
    kept = fake_github.add_release(TAG, draft=True, body=ours)
    fake_github.add_release(TAG, draft=True, body=ours)  # a retried create's second draft
    fake_github.add_release(TAG, draft=True, body=with_marker("an older commit", TAG, "0" * 40))
    foreign = fake_github.add_release(TAG, draft=True, body="drafted by hand on the web page")

    publish_to(github_publisher(fake_github.base_url), publish_artifacts)

    assert sorted(fake_github.releases) == [kept, foreign]
    assert fake_github.releases[foreign]["body"] == "drafted by hand on the web page"
    [published] = [r for r in fake_github.snapshot() if not r["draft"]]
    assert published == expected_snapshot(publish_artifacts)[0]


def test_a_refused_promotion_is_reported_and_changes_nothing(publish_artifacts):
    with FakeGitHub(token=TOKEN, allow_prerelease_flip=False) as server:
        publisher = github_publisher(server.base_url)
        publish_to(publisher, publish_artifacts)

        with pytest.raises(PromotionRefusedError, match=f"422.*{TAG} is unchanged"):
            promote(publisher, tag=TAG)

        assert server.snapshot() == expected_snapshot(publish_artifacts)


def test_planning_reads_only(fake_github, tmp_path):
    files = write_artifacts(tmp_path / "dist")
    publisher = github_publisher(fake_github.base_url)

    before = plan_publish(
        publisher,
        tag=TAG,
        name=RELEASE_NAME,
        body=RELEASE_BODY,
        files=files,
        target_commitish="main",
    )
    assert fake_github.writes == 0
    assert [s.state for s in before.steps].count("to do") == len(before.steps)

    publish_to(publisher, files)
    after = plan_publish(
        publisher,
        tag=TAG,
        name=RELEASE_NAME,
        body=RELEASE_BODY,
        files=files,
        target_commitish="main",
    )
    assert after.complete
