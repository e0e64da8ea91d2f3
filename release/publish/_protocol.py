"""What a release store must offer so that a publish can converge on it.

The protocol is deliberately small and dumb: every decision (skip, replace, stop, order,
verify) lives in :mod:`release.publish.converge`, so the local store and GitHub behave the
same way by construction. Operations are keyed by tag because a tag names at most one
release on both backends.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from release.publish.errors import PublishInputError

ReleaseState = Literal["draft", "prerelease", "release"]
#: GitHub's ``make_latest`` values, kept as strings because that is what the API takes.
MakeLatest = Literal["true", "false", "legacy"]


@dataclass(frozen=True)
class AssetView:
    """One file attached to a release, as the remote reports it."""

    name: str
    #: Lower-case hex SHA-256 of the stored bytes; None while an upload is unfinished
    #: (GitHub's ``starter`` state) or when the remote reports no digest.
    sha256: str | None
    size: int

    def as_json(self) -> dict[str, object]:
        return {"name": self.name, "sha256": self.sha256, "size": self.size}


@dataclass(frozen=True)
class ReleaseView:
    """A release as read back from a store: the only input converging decisions use."""

    tag: str
    state: ReleaseState
    #: Whether the store marks this release as the latest one (only a full release can be).
    latest: bool
    name: str
    body: str
    #: Web page (GitHub) or release directory (local store).
    url_or_path: str
    assets: list[AssetView] = field(default_factory=list)

    @property
    def published(self) -> bool:
        return self.state != "draft"

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


#: GitHub silently rewrites other characters in asset names, after which a re-run would no
#: longer recognise its own upload; refusing them up front keeps publishing convergent.
_ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]*")


def check_asset_name(name: str) -> str:
    """Return ``name`` if both stores can carry it unchanged, else raise."""
    if not _ASSET_NAME.fullmatch(name):
        raise PublishInputError(
            f"asset name {name!r} is not allowed: use letters, digits and '._+-', "
            "not starting with '.', '_', '+' or '-'"
        )
    return name


def check_artifact(path: Path) -> str:
    """The asset name of an artifact about to be uploaded, once it is known to be a file."""
    name = check_asset_name(path.name)
    if not path.is_file():
        raise PublishInputError(f"artifact {path} does not exist or is not a regular file")
    return name


class Publisher(Protocol):
    """A release store: the embedded :class:`~release.publish.local.LocalStore` or GitHub."""

    def find(self, tag: str) -> ReleaseView | None:
        """The release for ``tag``, drafts included, or None."""
        ...

    def create_draft(self, *, tag: str, name: str, body: str, target_commitish: str) -> ReleaseView:
        """Create a draft pre-release that is not marked latest."""
        ...

    def list_assets(self, tag: str) -> list[AssetView]:
        """The assets of the release for ``tag``, freshly read from the store."""
        ...

    def upload(self, tag: str, path: Path) -> AssetView:
        """Attach ``path`` under its file name; :class:`AssetExistsError` if the name is taken."""
        ...

    def delete_asset(self, tag: str, name: str) -> None:
        """Remove the asset ``name``; succeeds when it is already gone."""
        ...

    def update(self, tag: str, settings: ReleaseSettings) -> ReleaseView:
        """Set title, notes and every flag of the release for ``tag`` at once."""
        ...
