"""The embedded release store and the converging publish on it."""

from __future__ import annotations

import hashlib
import json
import stat
from pathlib import Path

import pytest
from fakes.publishing import TAG, recorder, write_artifacts

from release.publish import (
    AssetView,
    LocalStore,
    ReleaseSettings,
    plan_promote,
    plan_publish,
    promote,
    publish_prerelease,
)
from release.publish._protocol import with_marker
from release.publish.counting import CountingPublisher
from release.publish.errors import (
    PublishInputError,
    ReleaseExistsError,
    ReleaseImmutableError,
    ReleaseNotFoundError,
    ReleaseStateError,
    StoreAccessError,
    StoreCorruptError,
    VerificationError,
)

pytest_plugins = ["fakes.fixtures"]


def publish(store, files, *, tag=TAG, body="notes", record=None):
    return publish_prerelease(
        store,
        tag=tag,
        name=f"Distribution {tag}",
        body=body,
        files=files,
        target_commitish="main",
        record=record,
    )


def store_files(root: Path) -> dict[str, tuple[int, int]]:
    """Every file of the store with its inode and mtime: any write changes this."""
    return {
        str(path.relative_to(root)): (path.stat().st_ino, path.stat().st_mtime_ns)
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name != ".lock"
    }


def test_publish_then_promote_goes_draft_prerelease_release(tmp_path, publish_artifacts):
    store = LocalStore(tmp_path / "store")
    journal, record = recorder()

    view = publish(store, publish_artifacts, record=record)

    assert (view.state, view.latest) == ("prerelease", False)
    assert journal[0] == (
        "release",
        {"action": "created", "state": "draft", "url": view.url_or_path},
    )
    assert [step for step, _ in journal][-2:] == ["verify", "publish"]
    for path in publish_artifacts:
        stored = Path(view.url_or_path) / path.name
        assert stored.read_bytes() == path.read_bytes()
        assert not stored.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    expected = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in publish_artifacts}
    assert {a.name: a.sha256 for a in view.assets} == expected

    promoted = promote(store, tag=TAG, body="final notes", record=record)

    assert (promoted.state, promoted.latest) == ("release", True)
    assert promoted.body == with_marker("final notes", TAG, "main")
    assert journal[-1] == ("promote", {"action": "promoted", "state": "release"})


def test_checksum_signature_and_key_are_uploaded_after_the_archives(tmp_path, publish_artifacts):
    journal, record = recorder()
    publish(LocalStore(tmp_path / "store"), publish_artifacts, record=record)

    uploaded = [step.removeprefix("asset:") for step, _ in journal if step.startswith("asset:")]

    assert uploaded[:2] == sorted(p.name for p in publish_artifacts if p.name.endswith(".tar.gz"))
    assert set(uploaded[2:]) == {"CHECKSUM", "CHECKSUM.minisig", "mithril-release.pub"}


def test_rerun_after_success_writes_nothing(tmp_path, publish_artifacts):
    root = tmp_path / "store"
    publish(LocalStore(root), publish_artifacts)
    promote(LocalStore(root), tag=TAG)
    before = store_files(root)
    counting = CountingPublisher(LocalStore(root))

    publish(counting, publish_artifacts)
    promote(counting, tag=TAG)

    assert counting.writes == []
    assert store_files(root) == before


def test_new_notes_on_a_published_prerelease_keep_its_flags(tmp_path, publish_artifacts):
    store = CountingPublisher(LocalStore(tmp_path / "store"))
    publish(store, publish_artifacts)
    store.writes.clear()

    view = publish(store, publish_artifacts, body="corrected notes")

    assert store.writes == ["update"]
    assert (view.state, view.latest) == ("prerelease", False)
    assert view.body == with_marker("corrected notes", TAG, "main")


def test_changed_artifact_on_a_published_release_stops_before_writing(tmp_path, publish_artifacts):
    root = tmp_path / "store"
    publish(LocalStore(root), publish_artifacts)
    publish_artifacts[0].write_bytes(b"rebuilt with other bytes")
    before = store_files(root)

    with pytest.raises(ReleaseImmutableError, match=publish_artifacts[0].name):
        publish(LocalStore(root), publish_artifacts)

    assert store_files(root) == before
    plan = plan_publish(
        LocalStore(root),
        tag=TAG,
        name="x",
        body="notes",
        files=publish_artifacts,
        target_commitish="main",
    )
    assert [s.step for s in plan.blocked] == [f"asset:{publish_artifacts[0].name}", "verify"]


def test_a_draft_converges_replacing_changed_assets_and_removing_strays(tmp_path):
    store = CountingPublisher(LocalStore(tmp_path / "store"))
    old = write_artifacts(tmp_path / "old", seed=1)
    store.create_draft(
        tag=TAG, name="draft", body=with_marker("", TAG, "main"), target_commitish="main"
    )
    for path in old[:2]:
        store.upload(TAG, path)
    stray = tmp_path / "old" / "leftover.txt"
    stray.write_text("from an abandoned attempt")
    store.upload(TAG, stray)
    new = write_artifacts(tmp_path / "new", seed=2)
    store.writes.clear()

    view = publish(store, new)

    assert {a.name: a.sha256 for a in view.assets} == {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in new
    }
    assert store.writes.count("delete_asset") == 3  # two replaced, one stray
    assert store.writes.count("upload") == len(new)
    assert not (Path(view.url_or_path) / "leftover.txt").exists()


def test_store_rules_match_github(tmp_path, publish_artifacts):
    store = LocalStore(tmp_path / "store")
    store.create_draft(
        tag=TAG, name="n", body=with_marker("b", TAG, "main"), target_commitish="main"
    )
    with pytest.raises(ReleaseExistsError):
        store.create_draft(tag=TAG, name="n", body="b", target_commitish="main")
    publish(store, publish_artifacts)

    with pytest.raises(ReleaseImmutableError, match="frozen"):
        store.upload(TAG, publish_artifacts[0].parent / "CHECKSUM")
    with pytest.raises(ReleaseImmutableError, match="frozen"):
        store.delete_asset(TAG, "CHECKSUM")
    with pytest.raises(ReleaseImmutableError, match="draft again"):
        store.update(
            TAG, ReleaseSettings("n", "b", draft=True, prerelease=True, make_latest="false")
        )
    with pytest.raises(ReleaseNotFoundError):
        store.list_assets("2603.0")


def test_a_draft_someone_else_made_is_neither_adopted_nor_touched(tmp_path, publish_artifacts):
    store = CountingPublisher(LocalStore(tmp_path / "store"))
    store.create_draft(tag=TAG, name="by hand", body="mine", target_commitish="main")
    store.writes.clear()

    with pytest.raises(ReleaseExistsError, match="not made by this tool"):
        publish(store, publish_artifacts)

    assert store.writes == ["create_draft"]  # refused by the store: one release per tag
    assert store.inner.releases(TAG)[0].body == "mine"


def test_a_leftover_draft_at_another_commit_is_replaced(tmp_path, publish_artifacts):
    store = CountingPublisher(LocalStore(tmp_path / "store"))
    earlier = with_marker("b", TAG, "0" * 40)
    store.create_draft(tag=TAG, name="n", body=earlier, target_commitish="0" * 40)
    store.writes.clear()

    view = publish(store, publish_artifacts)

    assert store.writes[:2] == ["delete_draft", "create_draft"]
    assert (view.state, view.target_commitish) == ("prerelease", "main")


def test_latest_moves_like_github(tmp_path, publish_artifacts):
    store = LocalStore(tmp_path / "store")
    for tag in ("2543.0", "2543.1-hotfix"):
        publish(store, publish_artifacts, tag=tag)
    assert not store.find("2543.0").latest  # a pre-release is never latest

    promote(store, tag="2543.0")
    promote(store, tag="2543.1-hotfix")
    assert (store.find("2543.0").latest, store.find("2543.1-hotfix").latest) == (False, True)

    promote(store, tag="2543.1-hotfix", body="new notes")  # notes only: latest stays
    assert store.find("2543.1-hotfix").latest
    store.update(
        "2543.1-hotfix",
        ReleaseSettings("n", "b", draft=False, prerelease=True, make_latest="false"),
    )  # demoted: latest falls back to the newest full release
    assert store.find("2543.0").latest


def test_plans_say_what_is_done_and_what_is_left(tmp_path, publish_artifacts):
    store = LocalStore(tmp_path / "store")
    fresh = plan_publish(
        store, tag=TAG, name="n", body="b", files=publish_artifacts, target_commitish="main"
    )
    assert {s.state for s in fresh.steps} == {"to do"}
    assert len(fresh.steps) == 1 + len(publish_artifacts) + 3
    assert not (tmp_path / "store").exists()  # planning wrote nothing
    assert [s.state for s in plan_promote(store, tag=TAG).steps] == ["blocked", "blocked"]

    publish(store, publish_artifacts, body="b")
    assert plan_publish(
        store,
        tag=TAG,
        name=f"Distribution {TAG}",
        body="b",
        files=publish_artifacts,
        target_commitish="main",
    ).complete
    to_promote = plan_promote(store, tag=TAG)
    assert [(s.step, s.state) for s in to_promote.steps] == [
        ("release", "done"),
        ("promote", "to do"),
    ]
    json.dumps(to_promote.as_json())


def test_promote_needs_a_published_prerelease(tmp_path):
    store = LocalStore(tmp_path / "store")
    with pytest.raises(ReleaseNotFoundError, match=TAG):
        promote(store, tag=TAG)
    store.create_draft(
        tag=TAG, name="n", body=with_marker("b", TAG, "main"), target_commitish="main"
    )
    with pytest.raises(ReleaseStateError, match="draft"):
        promote(store, tag=TAG)


def test_bad_artifacts_are_named(tmp_path, publish_artifacts):
    store = LocalStore(tmp_path / "store")
    missing = tmp_path / "dist" / "absent.tar.gz"
    with pytest.raises(PublishInputError, match=str(missing)):
        publish(store, [*publish_artifacts, missing])
    twin = tmp_path / "other" / publish_artifacts[0].name
    twin.parent.mkdir()
    twin.write_bytes(b"x")
    with pytest.raises(PublishInputError, match="share the asset name"):
        publish(store, [*publish_artifacts, twin])
    hidden = tmp_path / "dist" / ".env"
    hidden.write_text("x")
    with pytest.raises(PublishInputError, match=r"'\.env' is not allowed"):
        publish(store, [hidden])
    assert not (tmp_path / "store").exists()


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ("{not json", "not valid JSON"),
        ('{"format": 1, "latest": null, "releases": {"x": {"name": 1}}}', "releases.x.name"),
        ('{"format": 1, "latest": "gone", "releases": {}}', "latest"),
        ('{"format": 7, "latest": null, "releases": {}}', "format"),
    ],
)
def test_an_unreadable_index_is_reported_with_its_path_and_key(tmp_path, content, named):
    store = LocalStore(tmp_path)
    store.index_path.write_text(content)
    with pytest.raises(StoreCorruptError, match=named) as error:
        store.find(TAG)
    assert str(store.index_path) in str(error.value)


class LosingStore(LocalStore):
    """A store that acknowledges uploads of signatures but keeps nothing: verify must notice."""

    def upload(self, tag: str, path: Path) -> AssetView:
        if path.name.endswith(".minisig"):
            return AssetView(name=path.name, sha256="0" * 64, size=0)
        return super().upload(tag, path)


def test_verify_catches_a_store_that_lost_an_upload(tmp_path, publish_artifacts):
    store = LosingStore(tmp_path / "store")
    with pytest.raises(VerificationError, match=r"CHECKSUM\.minisig is missing"):
        publish(store, publish_artifacts)
    assert store.find(TAG).state == "draft"  # never published with a missing file


def test_an_unwritable_store_and_a_missing_upload_are_clear_errors(tmp_path, publish_artifacts):
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("a file where the store should be")
    with pytest.raises(StoreAccessError, match="not-a-directory"):
        publish(LocalStore(blocker / "store"), publish_artifacts)

    store = LocalStore(tmp_path / "store")
    store.create_draft(tag=TAG, name="n", body="b", target_commitish="main")
    with pytest.raises(PublishInputError, match=r"absent\.tar\.gz does not exist"):
        store.upload(TAG, tmp_path / "absent.tar.gz")


@pytest.mark.parametrize("tag", ["", "..", ".hidden"])
def test_a_tag_that_cannot_name_a_directory_is_refused(tmp_path, tag):
    store = LocalStore(tmp_path / "store")
    with pytest.raises(PublishInputError, match="cannot name a release directory"):
        store.create_draft(tag=tag, name="n", body="b", target_commitish="main")
    assert not (tmp_path / "store").exists()
