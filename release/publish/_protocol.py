"""What a release store must offer so that a publish can converge on it.

The protocol is deliberately small and dumb: every decision (which release is ours, skip,
replace, stop, order, verify) lives in :mod:`release.publish.converge`, so the local store
and GitHub behave the same way by construction. GitHub allows several drafts for one tag,
so every operation after listing names one release by its store id (:attr:`ReleaseView.id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from release.publish.errors import DuplicateReleaseError, PublishInputError

ReleaseState = Literal["draft", "prerelease", "release"]
#: GitHub's ``make_latest`` values, kept as strings because that is what the API takes.
MakeLatest = Literal["true", "false", "legacy"]


@dataclass(frozen=True)
class AssetView:
    """One file attached to a release, as the remote reports it."""

    name: str
    #: Lower-case hex SHA-256 of the stored bytes; None while an upload is unfinished or
    #: when the remote reports no digest (GitHub's schema allows ``digest: null``).
    sha256: str | None
    size: int
    #: False for an unfinished upload (GitHub's ``starter`` state).
    uploaded: bool = True

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class ReleaseView:
    """A release as read back from a store: the only input converging decisions use."""

    tag: str
    #: The store's handle of this release (GitHub's numeric id; the tag in the local store).
    id: str
    state: ReleaseState
    #: Whether the store marks this release as the latest one (only a full release can be).
    latest: bool
    name: str
    body: str
    #: Web page (GitHub) or release directory (local store).
    url_or_path: str
    assets: list[AssetView] = field(default_factory=list)
    target_commitish: str = ""

    @property
    def published(self) -> bool:
        return self.state != "draft"

    @property
    def marked_commit(self) -> str | None:
        """The commit this tool wrote the release for (from its marker), or None."""
        marker = marker_of(self.body)
        return marker[1] if marker is not None and marker[0] == self.tag else None

    @property
    def marked(self) -> bool:
        """Whether this tool wrote the release (its body ends with the tool's marker)."""
        return self.marked_commit is not None

    def as_json(self) -> dict[str, object]:
        return {
            "tag": self.tag,
            "state": self.state,
            "latest": self.latest,
            "name": self.name,
            "body": self.body,
            "url_or_path": self.url_or_path,
            "assets": [asset.as_json() for asset in self.assets],
        }


@dataclass(frozen=True)
class ReleaseSettings:
    """Title, notes and every flag of a release, which an update always sets together.

    No field has a default: a flag left to a store's default is how GitHub silently moves
    "latest".
    """

    name: str
    body: str
    draft: bool
    prerelease: bool
    make_latest: MakeLatest


def release_state(*, draft: bool, prerelease: bool) -> ReleaseState:
    """GitHub's two flags folded into one state (a draft is a draft whatever ``prerelease``)."""
    if draft:
        return "draft"
    return "prerelease" if prerelease else "release"


#: GitHub silently rewrites other characters in asset names (and leading or trailing dots),
#: without documenting how, after which a re-run would no longer recognise its own upload;
#: refusing them up front keeps publishing convergent.
_ASSET_NAME = re.compile(r"[A-Za-z0-9_-]([A-Za-z0-9._-]*[A-Za-z0-9_-])?")


def check_asset_name(name: str) -> str:
    """Return ``name`` if both stores can carry it unchanged, else raise."""
    if not _ASSET_NAME.fullmatch(name):
        raise PublishInputError(
            f"asset name {name!r} is not allowed: use only letters, digits and '._-', "
            "not starting or ending with '.'"
        )
    return name


#: The last line of every release body this tool writes: how it recognises its releases
#: among the drafts other runs or people left for the same tag. An HTML comment, so the
#: rendered notes do not show it. It names the commit because GitHub ignores (and may not
#: echo) ``target_commitish`` once the tag exists ("Unused if the Git tag already exists",
#: REST docs for "Create a release"; cli/cli#9997).
_MARKER = re.compile(r"\n*<!-- mithril-release tag=(\S+) commit=(\S+) -->\n?\Z")


def marker_for(tag: str, commit: str) -> str:
    return f"<!-- mithril-release tag={tag} commit={commit} -->"


def marker_of(body: str) -> tuple[str, str] | None:
    """The (tag, commit) of the marker ending ``body``, or None."""
    match = _MARKER.search(body)
    return None if match is None else (match[1], match[2])


def with_marker(body: str, tag: str, commit: str) -> str:
    """``body`` as the tool stores it: its own text, then the marker (replacing an old one)."""
    match = _MARKER.search(body)
    text = body if match is None else body[: match.start()]
    return f"{text.rstrip()}\n\n{marker_for(tag, commit)}\n"


def choose_release(tag: str, views: list[ReleaseView]) -> ReleaseView | None:
    """The release of ``tag``: the published one, else the oldest draft this tool made.

    ``views`` come oldest first. A draft without the marker belongs to someone else and is
    never adopted; GitHub lets it sit beside ours.
    """
    published = [view for view in views if view.published]
    if len(published) > 1:
        pages = ", ".join(view.url_or_path for view in published)
        raise DuplicateReleaseError(
            f"{len(published)} published releases carry the tag {tag} ({pages}); "
            "a person must decide which one stays"
        )
    if published:
        return published[0]
    return next((view for view in views if view.marked), None)


def check_artifact(path: Path) -> str:
    """The asset name of an artifact about to be uploaded, once it is known to be a file."""
    name = check_asset_name(path.name)
    if not path.is_file():
        raise PublishInputError(f"artifact {path} does not exist or is not a regular file")
    return name


class Publisher(Protocol):
    """A release store: the embedded :class:`~release.publish.local.LocalStore` or GitHub."""

    def preflight(self) -> str:
        """Check, reading only, that the store can be written; say what was checked."""
        ...

    def releases(self, tag: str) -> list[ReleaseView]:
        """Every release carrying ``tag``, drafts included, oldest first."""
        ...

    def find(self, tag: str) -> ReleaseView | None:
        """The release of ``tag`` (see :func:`choose_release`), or None."""
        return choose_release(tag, self.releases(tag))

    def create_draft(self, *, tag: str, name: str, body: str, target_commitish: str) -> ReleaseView:
        """Create a draft pre-release that is not marked latest."""
        ...

    def list_assets(self, release_id: str) -> list[AssetView]:
        """The assets of the release ``release_id``, freshly read from the store."""
        ...

    def upload(self, release_id: str, path: Path) -> AssetView:
        """Attach ``path`` under its file name; :class:`AssetExistsError` if the name is taken."""
        ...

    def download_sha256(self, release_id: str, name: str) -> tuple[str, int]:
        """Hex SHA-256 and size of the stored bytes of asset ``name``, hashed as they stream."""
        ...

    def delete_asset(self, release_id: str, name: str) -> None:
        """Remove the asset ``name``; succeeds when it is already gone."""
        ...

    def delete_draft(self, release_id: str) -> None:
        """Delete a draft release; refuse (never delete) a published one."""
        ...

    def update(self, release_id: str, settings: ReleaseSettings) -> ReleaseView:
        """Set title, notes and every flag of the release ``release_id`` at once."""
        ...
