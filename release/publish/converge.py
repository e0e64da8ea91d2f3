"""Publishing as convergence: read the store, compare with the artifacts, do only what differs.

Every function starts from the store's current state, never from a journal: after a crash
at any point, running the same call again finishes the job, and running it after success
writes nothing. The order of writes is chosen so that a partial state is never mistaken
for a finished one:

1. find the release by listing (drafts included): the published one, else the oldest draft
   this tool made for the tag at the target commit (recognised by the marker that ends
   every body it writes), else create a draft pre-release that is not marked latest; then
   delete the other drafts earlier runs made for the tag (GitHub allows several drafts per
   tag, so a create whose answer was lost and was retried leaves two). A published release
   is never deleted;
2. on the draft, remove stray assets, upload missing ones, replace those whose digest
   differs; the checksum, signatures and keys go last, so a visible ``CHECKSUM`` means the
   archives it lists are already there;
3. verify by listing again and comparing every digest and size (an asset the store
   reports without a digest is downloaded and hashed);
4. publish as a pre-release, passing every flag explicitly (``make_latest="false"``).

A published release is frozen: if its assets differ from the artifacts, nothing is written
and :class:`ReleaseImmutableError` names the differences.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from release.publish._files import sha256_of
from release.publish._protocol import (
    AssetView,
    Publisher,
    ReleaseSettings,
    ReleaseView,
    check_asset_name,
    choose_release,
    with_marker,
)
from release.publish.errors import (
    AssetExistsError,
    PromotionRefusedError,
    PublishInputError,
    ReleaseExistsError,
    ReleaseImmutableError,
    ReleaseNotFoundError,
    ReleaseStateError,
    RemoteRefusedError,
    VerificationError,
)

#: ``record(step, detail)``: called once per finished step; ``detail`` is JSON-ready.
Recorder = Callable[[str, dict[str, object]], None]

StepState = Literal["done", "to do", "blocked"]

#: Files that vouch for the others: uploaded after everything they describe.
CHECKSUM_NAME = "CHECKSUM"
TRUST_SUFFIXES = (".minisig", ".asc", ".pub", ".gpg")


@dataclass(frozen=True)
class LocalAsset:
    """An artifact to publish, hashed once before any remote call."""

    path: Path
    name: str
    sha256: str
    size: int

    def matches(self, remote: AssetView) -> bool:
        return remote.sha256 == self.sha256 and remote.size == self.size


@dataclass(frozen=True)
class PlanStep:
    """One row of ``--dry-run`` / ``inv status``."""

    step: str
    state: StepState
    detail: str

    def as_json(self) -> dict[str, str]:
        return {"step": self.step, "state": self.state, "detail": self.detail}


@dataclass(frozen=True)
class Plan:
    tag: str
    steps: tuple[PlanStep, ...]

    @property
    def complete(self) -> bool:
        return all(step.state == "done" for step in self.steps)

    @property
    def blocked(self) -> tuple[PlanStep, ...]:
        return tuple(step for step in self.steps if step.state == "blocked")

    def as_json(self) -> dict[str, object]:
        return {
            "tag": self.tag,
            "complete": self.complete,
            "steps": [step.as_json() for step in self.steps],
        }


@dataclass(frozen=True)
class _AssetChange:
    """What one asset name needs: the shared decision behind plans and converging runs."""

    name: str
    action: Literal["keep", "upload", "replace", "remove"]
    local: LocalAsset | None
    remote: AssetView | None

    @property
    def step(self) -> str:
        return f"asset:{self.name}"

    def describe(self) -> str:
        local, remote = self.local, self.remote
        if self.action == "remove":
            return "on the release but not among the artifacts: remove"
        assert local is not None
        wanted = f"sha256 {local.sha256[:12]}…, {local.size} bytes"
        if self.action == "keep":
            return f"present, {wanted}"
        if self.action == "upload":
            return f"missing: upload ({wanted})"
        assert remote is not None
        found = (
            "an unfinished upload"
            if remote.sha256 is None
            else f"sha256 {remote.sha256[:12]}…, {remote.size} bytes"
        )
        return f"differs: remote has {found}, artifact has {wanted}"


def local_assets(files: Iterable[Path]) -> list[LocalAsset]:
    """Hash the artifacts and order them: payload first, checksum/signatures/keys last."""
    assets: list[LocalAsset] = []
    seen: dict[str, Path] = {}
    for path in files:
        name = check_asset_name(path.name)
        if name in seen:
            raise PublishInputError(
                f"two artifacts share the asset name {name}: {seen[name]}, {path}"
            )
        seen[name] = path
        try:
            sha256, size = sha256_of(path)
        except OSError as error:
            raise PublishInputError(f"cannot read artifact {path}: {error.strerror}") from None
        assets.append(LocalAsset(path=path, name=name, sha256=sha256, size=size))
    return sorted(assets, key=lambda asset: _is_trust_file(asset.name))


def _is_trust_file(name: str) -> bool:
    return name == CHECKSUM_NAME or name.endswith(TRUST_SUFFIXES)


def _remote_assets(publisher: Publisher, release_id: str) -> list[AssetView]:
    """The release's assets, each finished one with a digest: a null digest (which GitHub's
    schema allows) is replaced by hashing the downloaded bytes."""
    assets = []
    for listed in publisher.list_assets(release_id):
        if listed.uploaded and listed.sha256 is None:
            sha256, size = publisher.download_sha256(release_id, listed.name)
            listed = AssetView(name=listed.name, sha256=sha256, size=size)  # noqa: PLW2901
        assets.append(listed)
    return assets


def _asset_changes(local: list[LocalAsset], remote: list[AssetView]) -> list[_AssetChange]:
    """Removals first (they only clean up), then the artifacts in upload order."""
    by_name = {asset.name: asset for asset in remote}
    wanted = {asset.name for asset in local}
    changes = [
        _AssetChange(asset.name, "remove", None, asset)
        for asset in remote
        if asset.name not in wanted
    ]
    for asset in local:
        current = by_name.get(asset.name)
        if current is None:
            changes.append(_AssetChange(asset.name, "upload", asset, None))
        elif asset.matches(current):
            changes.append(_AssetChange(asset.name, "keep", asset, current))
        else:
            changes.append(_AssetChange(asset.name, "replace", asset, current))
    return changes


# -- which release is ours -----------------------------------------------------------------


@dataclass(frozen=True)
class _Ours:
    """The run's release (None: to be created) and the drafts earlier runs left beside it."""

    release: ReleaseView | None
    leftovers: tuple[ReleaseView, ...]


def _ours(publisher: Publisher, tag: str, target: str) -> _Ours:
    """The published release of ``tag``, else the oldest of this tool's drafts at ``target``.

    Every other draft this tool made for the tag is a leftover (a retried create, a run at a
    commit the tag no longer names); drafts made by others are not ours and stay untouched.
    """
    views = publisher.releases(tag)
    chosen = choose_release(tag, views)
    if chosen is not None and not chosen.published and chosen.marked_commit != target:
        chosen = next(
            (v for v in views if not v.published and v.marked_commit == target),
            None,
        )
    kept = None if chosen is None else chosen.id
    leftovers = tuple(
        view for view in views if view.marked and not view.published and view.id != kept
    )
    return _Ours(chosen, leftovers)


def _leftover_detail(leftovers: tuple[ReleaseView, ...]) -> str:
    return f"delete {len(leftovers)} leftover draft(s) of earlier runs: " + ", ".join(
        view.url_or_path for view in leftovers
    )


# -- plans (read only) ---------------------------------------------------------------------


def plan_publish(
    publisher: Publisher,
    *,
    tag: str,
    name: str,
    body: str,
    files: Iterable[Path],
    target_commitish: str,
) -> Plan:
    """What :func:`publish_prerelease` would do now, without writing anything."""
    local = local_assets(files)
    ours = _ours(publisher, tag, target_commitish)
    view = ours.release
    if view is None:
        steps = [PlanStep("release", "to do", f"create a draft pre-release at {target_commitish}")]
    else:
        steps = [PlanStep("release", "done", f"{view.state} at {view.url_or_path}")]
    if ours.leftovers:
        steps.append(PlanStep("drafts", "to do", _leftover_detail(ours.leftovers)))
    remote = [] if view is None else _remote_assets(publisher, view.id)
    frozen = view is not None and view.published
    for change in _asset_changes(local, remote):
        state: StepState = "done" if change.action == "keep" else "blocked" if frozen else "to do"
        steps.append(PlanStep(change.step, state, change.describe()))
    if view is None or not view.published:
        steps += [
            PlanStep("verify", "to do", f"list again and compare {len(local)} digests"),
            PlanStep("publish", "to do", "publish as pre-release, not latest"),
            PlanStep("notes", "to do", "title and notes set when publishing"),
        ]
        return Plan(tag=tag, steps=tuple(steps))
    if any(step.state == "blocked" for step in steps):
        steps.append(PlanStep("verify", "blocked", "the published release's assets are frozen"))
    else:
        steps.append(PlanStep("verify", "done", f"{len(local)} assets match the artifacts"))
    steps += [
        PlanStep("publish", "done", f"published as {view.state}"),
        _notes_step(view, name=name, body=with_marker(body, tag, target_commitish)),
    ]
    return Plan(tag=tag, steps=tuple(steps))


def plan_promote(publisher: Publisher, *, tag: str, body: str | None = None) -> Plan:
    """What :func:`promote` would do now, without writing anything."""
    view = publisher.find(tag)
    if view is None or view.state == "draft":
        reason = "no release yet" if view is None else "still a draft: publish it first"
        return Plan(
            tag=tag,
            steps=(
                PlanStep("release", "blocked", reason),
                PlanStep("promote", "blocked", "needs a published pre-release"),
            ),
        )
    steps = [PlanStep("release", "done", f"{view.state} at {view.url_or_path}")]
    if view.state == "release":
        latest = ", latest" if view.latest else ""
        steps.append(PlanStep("promote", "done", f"full release{latest}"))
    else:
        steps.append(PlanStep("promote", "to do", "pre-release -> release, marked latest"))
    if body is not None:
        steps.append(_notes_step(view, name=view.name, body=_keep_marker(view, body)))
    return Plan(tag=tag, steps=tuple(steps))


def _notes_step(view: ReleaseView, *, name: str, body: str) -> PlanStep:
    if (view.name, view.body) == (name, body):
        return PlanStep("notes", "done", "title and notes up to date")
    return PlanStep("notes", "to do", "update title and notes")


# -- converging runs -----------------------------------------------------------------------


def own_release(publisher: Publisher, *, tag: str, target_commitish: str) -> ReleaseView | None:
    """The run's release as :func:`ensure_draft` would find it (published, or its draft)."""
    return _ours(publisher, tag, target_commitish).release


def ensure_draft(
    publisher: Publisher,
    *,
    tag: str,
    name: str,
    body: str,
    target_commitish: str,
    record: Recorder | None = None,
) -> ReleaseView:
    """The run's release for ``tag``: found (published, or this tool's draft at the commit)
    or created as a draft pre-release, with the leftover drafts of earlier runs deleted.

    A draft may name a tag that does not exist yet: GitHub creates no tag for a draft and
    makes or reuses it when the release is published (REST "Create a release":
    ``target_commitish`` is "Unused if the Git tag already exists"; a release-please
    maintainer in googleapis/release-please-action#833; petauron/vastora#32). So a pipeline
    can call this before it tags: a store that refuses the tag
    (:class:`~release.publish.errors.TagBurntError`) then stops the run with nothing tagged.
    """
    journal = record or _no_journal
    body = with_marker(body, tag, target_commitish)
    ours = _ours(publisher, tag, target_commitish)
    _delete_leftovers(publisher, ours, journal)
    action = "found"
    if ours.release is None:
        ours = _create_draft(publisher, tag=tag, name=name, body=body, target=target_commitish)
        _delete_leftovers(publisher, ours, journal)  # a retried create made more than one
        action = "created"
    view = ours.release
    assert view is not None
    journal("release", {"action": action, "state": view.state, "url": view.url_or_path})
    return view


def publish_prerelease(
    publisher: Publisher,
    *,
    tag: str,
    name: str,
    body: str,
    files: Iterable[Path],
    target_commitish: str,
    record: Recorder | None = None,
) -> ReleaseView:
    """Bring the release for ``tag`` to "pre-release with exactly these files"."""
    journal = record or _no_journal
    local = local_assets(files)
    body = with_marker(body, tag, target_commitish)
    view = ensure_draft(
        publisher, tag=tag, name=name, body=body, target_commitish=target_commitish, record=journal
    )

    changes = _asset_changes(local, _remote_assets(publisher, view.id))
    if view.published:
        _refuse_changes_to_frozen(view, changes)
    for change in changes:
        done = _apply(publisher, view.id, change)
        journal(change.step, _asset_detail(change, done))

    _verify(publisher, view, local)
    journal("verify", {"assets": len(local)})

    if not view.published:
        view = publisher.update(
            view.id,
            ReleaseSettings(name, body, draft=False, prerelease=True, make_latest="false"),
        )
        journal("publish", {"action": "published", "state": view.state})
    else:
        journal("publish", {"action": "none", "state": view.state})
        if (view.name, view.body) != (name, body):
            _update_notes(publisher, view, name=name, body=body)
            journal("notes", {"action": "updated", "state": view.state})
    return _read_back(publisher, tag)


def promote(
    publisher: Publisher,
    *,
    tag: str,
    body: str | None = None,
    record: Recorder | None = None,
) -> ReleaseView:
    """Turn the published pre-release into the latest release (optionally with new notes)."""
    journal = record or _no_journal
    view = publisher.find(tag)
    if view is None:
        raise ReleaseNotFoundError(f"no release for {tag}: publish the pre-release first")
    if view.state == "draft":
        raise ReleaseStateError(f"release {tag} is still a draft: publish the pre-release first")
    notes = view.body if body is None else _keep_marker(view, body)
    if view.state == "prerelease":
        try:
            publisher.update(
                view.id,
                ReleaseSettings(
                    view.name, notes, draft=False, prerelease=False, make_latest="true"
                ),
            )
        except RemoteRefusedError as error:
            raise PromotionRefusedError(
                f"{error}; the pre-release {tag} is unchanged and still published"
            ) from None
        journal("promote", {"action": "promoted", "state": "release"})
    else:
        journal("promote", {"action": "none", "state": view.state})
        if notes != view.body:
            _update_notes(publisher, view, name=view.name, body=notes)
            journal("notes", {"action": "updated", "state": view.state})
    return _read_back(publisher, tag)


def _keep_marker(view: ReleaseView, body: str) -> str:
    """New notes for a published release, ending with the marker it was published with."""
    return with_marker(body, view.tag, view.marked_commit or view.target_commitish)


def _no_journal(step: str, detail: dict[str, object]) -> None:
    """The default recorder: the store itself is the record."""


def _delete_leftovers(publisher: Publisher, ours: _Ours, journal: Recorder) -> None:
    """Delete the drafts earlier runs made beside the run's release (never a published one)."""
    for leftover in ours.leftovers:
        publisher.delete_draft(leftover.id)
    if ours.leftovers:
        journal("drafts", {"action": "deleted", "count": len(ours.leftovers)})


def _create_draft(publisher: Publisher, *, tag: str, name: str, body: str, target: str) -> _Ours:
    """Create the draft, then list again: a create whose answer was lost and was retried
    made more than one, and the oldest is the one to keep."""
    try:
        publisher.create_draft(tag=tag, name=name, body=body, target_commitish=target)
    except ReleaseExistsError as error:
        # A published release appeared meanwhile, or a store that holds one release per tag
        # already holds a draft someone else made.
        ours = _ours(publisher, tag, target)
        if ours.release is None:
            raise ReleaseExistsError(
                f"{error}, and it was not made by this tool for {target}: delete it or "
                "publish it by hand"
            ) from None
        return ours
    ours = _ours(publisher, tag, target)
    if ours.release is None:
        raise ReleaseNotFoundError(f"the draft just created for {tag} is not listed")
    return ours


def _refuse_changes_to_frozen(view: ReleaseView, changes: list[_AssetChange]) -> None:
    differences = [
        f"{change.name} ({change.describe()})" for change in changes if change.action != "keep"
    ]
    if differences:
        raise ReleaseImmutableError(
            f"release {view.tag} is already published ({view.state}) and its assets are frozen, "
            f"but they differ from the artifacts: {'; '.join(differences)}. Publish a new "
            "version instead"
        )


def _apply(publisher: Publisher, release_id: str, change: _AssetChange) -> str:
    """Carry out one asset change on a draft; return what was done, for the journal."""
    if change.action == "keep":
        return "kept"
    if change.action in ("remove", "replace"):
        publisher.delete_asset(release_id, change.name)
    if change.local is not None:
        _upload(publisher, release_id, change.local)
    return {"remove": "removed", "replace": "replaced", "upload": "uploaded"}[change.action]


def _upload(publisher: Publisher, release_id: str, asset: LocalAsset) -> None:
    """Upload, resolving a name held by an earlier attempt (finished or a ``starter``)."""
    try:
        publisher.upload(release_id, asset.path)
    except AssetExistsError:
        current = _named(_remote_assets(publisher, release_id), asset.name)
        if current is not None and asset.matches(current):
            return
        publisher.delete_asset(release_id, asset.name)
        publisher.upload(release_id, asset.path)


def _verify(publisher: Publisher, view: ReleaseView, local: list[LocalAsset]) -> None:
    remote = {asset.name: asset for asset in _remote_assets(publisher, view.id)}
    problems = []
    for asset in local:
        current = remote.pop(asset.name, None)
        if current is None:
            problems.append(f"{asset.name} is missing")
        elif not current.uploaded:
            problems.append(f"{asset.name} is an unfinished upload")
        elif not asset.matches(current):
            problems.append(
                f"{asset.name} has sha256 {current.sha256} ({current.size} bytes), "
                f"expected {asset.sha256} ({asset.size} bytes)"
            )
    problems.extend(f"{name} is not among the artifacts" for name in remote)
    if problems:
        raise VerificationError(f"release {view.tag} after uploading: {'; '.join(problems)}")


def _update_notes(publisher: Publisher, view: ReleaseView, *, name: str, body: str) -> None:
    """Change title/notes of a published release, restating its current flags."""
    publisher.update(
        view.id,
        ReleaseSettings(
            name,
            body,
            draft=False,
            prerelease=view.state == "prerelease",
            make_latest="true" if view.latest else "false",
        ),
    )


def _read_back(publisher: Publisher, tag: str) -> ReleaseView:
    view = publisher.find(tag)
    if view is None:
        raise ReleaseNotFoundError(f"the release for {tag} disappeared while publishing")
    return view


def _named(assets: list[AssetView], name: str) -> AssetView | None:
    return next((asset for asset in assets if asset.name == name), None)


def _asset_detail(change: _AssetChange, action: str) -> dict[str, object]:
    detail: dict[str, object] = {"action": action}
    if change.local is not None:
        detail.update(sha256=change.local.sha256, size=change.local.size)
    return detail
