"""GitHub's documented release behaviours, on the test server and in the publisher.

Sources for what the server does (and the publisher must cope with):
* several drafts per tag, only published releases conflict; ``digest`` required but
  nullable; the ``release``/``release-asset``/``validation-error`` schemas: GitHub's REST
  description as shipped by npm ``@octokit/openapi`` (``generated/api.github.com.json``);
* a tag used by an immutable release can never be reused, even after deleting it
  (docs.github.com, "Immutable releases"; e.g. MachineWisdomAI/fava-trails#30 bumped a
  version because "v0.5.0 tag is permanently registered (immutable release) even though the
  release was deleted");
* ``per_page`` above 100 is cut to 100 without an error, and ``Link`` carries ``prev``,
  ``next``, ``first`` and ``last`` ("Using pagination in the REST API", docs.github.com;
  github/docs#45188);
* an asset's bytes come from ``GET .../releases/assets/{id}`` with
  ``Accept: application/octet-stream``, answered 302 (operation ``repos/get-release-asset``).
"""

from __future__ import annotations

import hashlib
import re

import pytest
import requests
from fakes.github_server import BURNT_TAG_MESSAGE, FakeGitHub, Fault
from fakes.openapi import github_schema
from fakes.publishing import (
    RELEASE_NAME,
    TAG,
    TOKEN,
    expected_snapshot,
    github_publisher,
    publish_to,
    write_artifacts,
)

from release.publish import ensure_draft, promote, publish_prerelease
from release.publish._protocol import check_asset_name, with_marker
from release.publish.errors import PublishInputError, ReleaseStateError, TagBurntError

pytest_plugins = ["fakes.fixtures"]


def api(server: FakeGitHub, path: str, **params: object) -> requests.Response:
    return requests.get(
        f"{server.base_url}{path}",
        params=params,
        headers={"Authorization": f"token {TOKEN}"},
        timeout=5,
    )


def test_a_null_digest_is_verified_by_downloading_the_asset(publish_artifacts):
    with FakeGitHub(token=TOKEN, null_digests=True) as server:
        publisher = github_publisher(server.base_url)

        publish_to(publisher, publish_artifacts)

        [release] = server.releases.values()
        assert all(asset["digest"] is None for asset in server.asset_json_all(release["id"]))
        downloads = [r for r in server.requests if r.path.startswith("/api/downloads/")]
        assert {r.path.rsplit("/", 1)[1] for r in downloads} == {p.name for p in publish_artifacts}
        assert server.snapshot() == expected_snapshot(publish_artifacts)
        writes = server.writes
        publish_to(github_publisher(server.base_url), publish_artifacts)
        assert server.writes == writes


def test_a_wrong_asset_behind_a_null_digest_is_replaced(tmp_path):
    files = write_artifacts(tmp_path / "dist")
    with FakeGitHub(token=TOKEN, null_digests=True) as server:
        draft = server.add_release(TAG, draft=True, body=with_marker("earlier", TAG, "main"))
        server.add_asset(draft, files[0].name, b"bytes of another build")
        server.add_asset(draft, files[1].name, files[1].read_bytes())

        publish_to(github_publisher(server.base_url), files)

        uploads = [r.query for r in server.requests if r.kind == "UPLOAD"]
        assert not any(f"name={files[1].name}" in query for query in uploads)  # kept
        assert any(f"name={files[0].name}" in query for query in uploads)  # replaced
        assert server.snapshot() == expected_snapshot(files)


@pytest.mark.parametrize("burnt_drafts", ["refused", "accepted"])
def test_a_burnt_tag_is_refused_and_nothing_is_published(publish_artifacts, burnt_drafts):
    # Whether GitHub refuses the draft of a burnt tag or only its publication is not
    # documented (fakes.github_server.BURNT_DRAFTS has the sources): either way the publish
    # ends in TagBurntError naming the tag, and no release of it is published.
    with FakeGitHub(token=TOKEN, burnt_drafts=burnt_drafts) as server:
        publish_to(github_publisher(server.base_url), publish_artifacts)
        [release_id] = server.releases
        server.delete_release(release_id)  # someone deleted the immutable release
        seen = len(server.requests)

        with pytest.raises(TagBurntError, match=f"{TAG}.*never be used again") as refused:
            publish_to(github_publisher(server.base_url), publish_artifacts)

        assert BURNT_TAG_MESSAGE in str(refused.value)
        after = server.requests[seen:]
        writes = [r.kind for r in after if r.kind != "GET"]
        assert after[-1].outcome == "422"
        if burnt_drafts == "refused":  # refused at the draft: before any upload
            assert writes == ["POST"]
            assert server.releases == {}
        else:  # the draft takes the assets; its publication is refused
            assert writes[0] == "POST" and writes[-1] == "PATCH"
            assert writes.count("UPLOAD") == len(publish_artifacts)
            [left] = server.snapshot()
            assert left["draft"] and left["tag"] == TAG


def test_a_draft_made_before_the_tag_is_the_one_published(fake_github, publish_artifacts):
    # The pipeline's draft step: the draft exists before the tag (GitHub creates no tag for
    # a draft), is found again by its marker, and is the release the publish fills.
    publisher = github_publisher(fake_github.base_url)
    draft = {"tag": TAG, "name": RELEASE_NAME, "body": "Draft.", "target_commitish": "main"}
    first = ensure_draft(publisher, **draft)
    writes = fake_github.writes
    assert ensure_draft(github_publisher(fake_github.base_url), **draft).id == first.id
    assert fake_github.writes == writes  # found, not made twice

    published = publish_to(github_publisher(fake_github.base_url), publish_artifacts)

    posts = [r for r in fake_github.requests if r.kind == "POST"]
    assert len(posts) == 1 and published.id == first.id and published.state == "prerelease"
    assert fake_github.snapshot() == expected_snapshot(publish_artifacts)


def test_a_published_release_is_never_deleted(fake_github, publish_artifacts):
    publisher = github_publisher(fake_github.base_url)
    view = publish_to(publisher, publish_artifacts)

    with pytest.raises(ReleaseStateError, match="published: not deleting it"):
        publisher.delete_draft(view.id)

    assert fake_github.snapshot() == expected_snapshot(publish_artifacts)
    assert not any(
        r.kind == "DELETE" and re.search(r"/releases/\d+$", r.path) for r in fake_github.requests
    )


def test_make_latest_is_sent_with_every_release_write(fake_github, publish_artifacts):
    publisher = github_publisher(fake_github.base_url)
    publish_to(publisher, publish_artifacts)
    publish_to(publisher, publish_artifacts, body="new notes")
    promote(publisher, tag=TAG, body="final notes")

    writes = [r for r in fake_github.requests if r.kind in ("POST", "PATCH")]
    assert len(writes) == 4
    assert [r.json["make_latest"] for r in writes] == ["false", "false", "false", "true"]


@pytest.mark.parametrize(
    "name",
    ["a+b.tar.gz", ".hidden", "trailing.", "with space", "ümlaut.txt", "a/b", "semi;colon"],
)
def test_asset_names_github_would_rename_are_refused_before_any_request(
    fake_github, tmp_path, publish_artifacts, name
):
    with pytest.raises(PublishInputError, match="not allowed"):
        check_asset_name(name)
    if "/" in name:
        return
    odd = tmp_path / "dist" / name
    odd.write_bytes(b"x")
    with pytest.raises(PublishInputError, match=re.escape(repr(name))):
        publish_to(github_publisher(fake_github.base_url), [*publish_artifacts, odd])
    assert fake_github.requests == []


@pytest.mark.parametrize("name", ["CHECKSUM", "mithril-2543.1-linux_x64.tar.gz", "-x", "_y.z"])
def test_names_github_keeps_are_accepted(name):
    assert check_asset_name(name) == name


def test_listing_pages_carry_full_link_headers(fake_github):
    for n in range(7):
        fake_github.add_release(f"2{n}00.0")

    middle = api(fake_github, f"/repos/{fake_github.repo}/releases", per_page=2, page=2)

    assert middle.status_code == 200 and len(middle.json()) == 2
    links = dict(
        (rel, url) for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', middle.headers["Link"])
    )
    assert set(links) == {"prev", "first", "next", "last"}
    assert links["prev"].endswith("per_page=2&page=1") and links["last"].endswith("page=4")
    assert all(url.startswith(f"{fake_github.origin}/api/") for url in links.values())
    last = api(fake_github, f"/repos/{fake_github.repo}/releases", per_page=2, page=4)
    assert len(last.json()) == 1 and 'rel="next"' not in last.headers["Link"]


@pytest.mark.parametrize(
    ("per_page", "expected"), [("0", 30), ("-3", 30), ("abc", 30), ("500", 100), ("", 30)]
)
def test_bad_or_oversized_per_page_falls_back_without_an_error(fake_github, per_page, expected):
    for n in range(120):
        fake_github.add_release(f"{2000 + n}.0")

    answer = api(fake_github, f"/repos/{fake_github.repo}/releases", per_page=per_page)

    assert answer.status_code == 200 and len(answer.json()) == expected


def test_rate_limit_headers_and_endpoint(fake_github):
    first = api(fake_github, f"/repos/{fake_github.repo}")
    second = api(fake_github, f"/repos/{fake_github.repo}/releases")
    limits = api(fake_github, "/rate_limit")

    for answer in (first, second, limits):
        assert answer.headers["X-RateLimit-Limit"] == "5000"
        assert answer.headers["X-RateLimit-Resource"] == "core"
    assert int(first.headers["X-RateLimit-Remaining"]) == 1 + int(
        second.headers["X-RateLimit-Remaining"]
    )
    core = limits.json()["resources"]["core"]
    assert core["used"] == 2 and core["remaining"] == 4998  # /rate_limit itself is free
    assert limits.json()["rate"] == core


def test_the_server_validates_every_answer_of_a_full_publish(fake_github, publish_artifacts):
    fake_github.inject(Fault("starter_then_502", kind="UPLOAD"))
    publisher = github_publisher(fake_github.base_url)
    publisher.preflight()
    publish_to(publisher, publish_artifacts)
    promote(publisher, tag=TAG)
    api(fake_github, "/rate_limit")
    api(fake_github, f"/repos/{fake_github.repo}/releases/tags/{TAG}")

    assert fake_github.violations == []
    assert fake_github.answers_checked >= 25
    assert fake_github.operations_checked >= {
        "repos/get",
        "repos/list-releases",
        "repos/create-release",
        "repos/list-release-assets",
        "repos/upload-release-asset",
        "repos/update-release",
        "repos/get-latest-release",
        "repos/get-release-by-tag",
        "rate-limit/get",
    }


def test_the_validator_catches_answers_that_break_the_description(fake_github):
    schema = github_schema()
    releases = f"/api/v3/repos/{fake_github.repo}/releases"
    good = api(fake_github, f"/repos/{fake_github.repo}").json()
    assert schema.check("GET", f"/api/v3/repos/{fake_github.repo}", 200, good) == []

    incomplete = schema.check("GET", releases, 200, [{"id": 1, "tag_name": TAG}])
    assert any("'node_id' is a required property" in v.problem for v in incomplete)
    bare_422 = schema.check("POST", releases, 422, {"message": "Validation Failed"})
    assert any("'documentation_url' is a required property" in v.problem for v in bare_422)
    no_code = schema.check(
        "POST",
        releases,
        422,
        {"message": "x", "documentation_url": "https://docs.github.com", "errors": [{}]},
    )
    assert any("'code' is a required property" in v.problem for v in no_code)
    wrong_digest = {**_an_asset(fake_github), "digest": 7}
    assert schema.check("GET", f"{releases}/5/assets", 200, [wrong_digest]) != []
    assert schema.check("GET", f"{releases}/5/assets", 200, [_an_asset(fake_github)]) == []


def test_a_server_answer_that_breaks_the_description_fails_the_test():
    server = FakeGitHub(token=TOKEN)
    broken = Fault("respond", kind="GET", status=200, body={"login": "x"})
    with (
        pytest.raises(AssertionError, match=r"(?s)\d+ violations .*'archive_url' is a required"),
        server,
    ):
        server.inject(broken)
        assert api(server, f"/repos/{server.repo}").json() == {"login": "x"}


def _an_asset(server: FakeGitHub) -> dict[str, object]:
    release_id = server.add_release("2000.0", draft=True)
    server.add_asset(release_id, "a.tar.gz", b"bytes")
    [asset] = server.asset_json_all(release_id)
    assert asset["digest"] == f"sha256:{hashlib.sha256(b'bytes').hexdigest()}"
    return asset


def test_the_run_s_draft_is_recognised_by_its_marker_not_by_target_commitish(tmp_path):
    # With the tag already pushed GitHub ignores target_commitish ("Unused if the Git tag
    # already exists"), so the draft may report the default branch: the marker decides.
    files = write_artifacts(tmp_path / "dist")
    commit = "1f" * 20
    with FakeGitHub(token=TOKEN) as server:
        draft = server.add_release(
            TAG, draft=True, body=with_marker("earlier", TAG, commit), target_commitish="main"
        )

        publish_prerelease(
            github_publisher(server.base_url),
            tag=TAG,
            name="n",
            body="notes",
            files=files,
            target_commitish=commit,
        )

        assert list(server.releases) == [draft]
        assert not any(r.kind == "POST" for r in server.requests)
        assert server.releases[draft]["body"].endswith(f"commit={commit} -->\n")
