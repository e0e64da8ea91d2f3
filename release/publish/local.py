"""The embedded release store: a directory that behaves like GitHub releases.

Layout under ``root``::

    index.json                 every release's metadata, asset digests and the latest tag
    releases/<tag>/<asset>     the asset bytes (read-only once the release is published)
    .lock                      serialises writers (flock)

All metadata lives in one index so that each change of state (a new draft, an attached
asset, a flip of flags together with "latest") is a single atomic replace. An asset file is
complete on disk before the index names it, so a crash leaves at worst an unnamed file that
the next upload of that name overwrites.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote

from release._fs import atomic_write, sweep_temp_files
from release.publish._files import atomic_copy, sha256_of
from release.publish._protocol import (
    AssetView,
    MakeLatest,
    Publisher,
    ReleaseSettings,
    ReleaseView,
    check_artifact,
    check_asset_name,
    release_state,
)
from release.publish.errors import (
    AssetExistsError,
    PublishInputError,
    ReleaseExistsError,
    ReleaseImmutableError,
    ReleaseNotFoundError,
    StoreAccessError,
    StoreCorruptError,
)

_FORMAT = 1
_FROZEN_MODE = 0o444

Index = dict[str, Any]


class LocalStore(Publisher):
    """A :class:`~release.publish.Publisher` over a directory (the sandbox's "GitHub").

    It holds at most one release per tag, so a release's id is its tag.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    def __repr__(self) -> str:
        return f"LocalStore({str(self.root)!r})"

    @property
    def index_path(self) -> Path:
        return self.root / "index.json"

    def release_dir(self, tag: str) -> Path:
        return self.root / "releases" / _directory_name(tag)

    def _asset_path(self, tag: str, name: str) -> Path:
        return self.release_dir(tag) / check_asset_name(name)

    # -- reads -----------------------------------------------------------------------------

    def preflight(self) -> str:
        """Nothing remote to reach: reading the index is the whole check."""
        self._read_index()
        return f"local release store {self.root}"

    def releases(self, tag: str) -> list[ReleaseView]:
        index = self._read_index()
        entry = index["releases"].get(tag)
        return [] if entry is None else [self._view(index, tag, entry)]

    def list_assets(self, release_id: str) -> list[AssetView]:
        return _asset_views(self._entry(self._read_index(), release_id))

    def download_sha256(self, release_id: str, name: str) -> tuple[str, int]:
        self._entry(self._read_index(), release_id)
        try:
            return sha256_of(self._asset_path(release_id, name))
        except OSError as error:
            raise StoreAccessError(f"cannot read {error.filename}: {error.strerror}") from None

    # -- writes ----------------------------------------------------------------------------

    def create_draft(self, *, tag: str, name: str, body: str, target_commitish: str) -> ReleaseView:
        _directory_name(tag)
        with self._writing() as index:
            if tag in index["releases"]:
                raise ReleaseExistsError(f"{self.index_path}: a release for {tag} already exists")
            entry = {
                "name": name,
                "body": body,
                "draft": True,
                "prerelease": True,
                "target_commitish": target_commitish,
                "created_ns": time.time_ns(),
                "assets": {},
            }
            index["releases"][tag] = entry
            self._save(index)
            return self._view(index, tag, entry)

    def upload(self, release_id: str, path: Path) -> AssetView:
        tag = release_id
        name = check_artifact(path)
        with self._writing() as index:
            entry = self._draft_entry(index, tag, f"attach {name}")
            if name in entry["assets"]:
                raise AssetExistsError(f"release {tag} already has an asset named {name}")
            dest = self._asset_path(tag, name)
            dest.parent.mkdir(parents=True, exist_ok=True)
            sweep_temp_files(dest.parent)
            sha256, size = atomic_copy(path, dest)
            entry["assets"][name] = {"sha256": sha256, "size": size}
            self._save(index)
            return AssetView(name=name, sha256=sha256, size=size)

    def delete_asset(self, release_id: str, name: str) -> None:
        tag = release_id
        with self._writing() as index:
            entry = self._draft_entry(index, tag, f"remove {name}")
            if entry["assets"].pop(name, None) is None:
                return
            self._save(index)
            self._asset_path(tag, name).unlink(missing_ok=True)

    def delete_draft(self, release_id: str) -> None:
        tag = release_id
        with self._writing() as index:
            entry = self._draft_entry(index, tag, "delete the release")
            del index["releases"][tag]
            self._save(index)
            for name in entry["assets"]:
                self._asset_path(tag, name).unlink(missing_ok=True)

    def update(self, release_id: str, settings: ReleaseSettings) -> ReleaseView:
        tag = release_id
        with self._writing() as index:
            entry = self._entry(index, tag)
            if settings.draft and not entry["draft"]:
                raise ReleaseImmutableError(
                    f"release {tag} is published; it cannot become a draft again"
                )
            if entry["draft"] and not settings.draft:
                self._freeze_assets(tag, entry)
            entry.update(
                name=settings.name,
                body=settings.body,
                draft=settings.draft,
                prerelease=settings.prerelease,
            )
            index["latest"] = _latest_after(index, tag, settings.make_latest)
            self._save(index)
            return self._view(index, tag, entry)

    # -- internals -------------------------------------------------------------------------

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Index]:
        """The current index, read under an exclusive lock held until the block ends.

        Holding the lock also makes it safe to sweep temp files a killed writer left.
        """
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with (self.root / ".lock").open("a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                sweep_temp_files(self.root)
                yield self._read_index()
        except OSError as error:
            where = error.filename or self.root
            raise StoreAccessError(
                f"cannot write the local release store at {where}: {error.strerror}"
            ) from None

    def _save(self, index: Index) -> None:
        atomic_write(self.index_path, json.dumps(index, indent=2) + "\n")

    def _read_index(self) -> Index:
        try:
            text = self.index_path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return {"format": _FORMAT, "latest": None, "releases": {}}
        except OSError as error:
            raise StoreAccessError(f"cannot read {self.index_path}: {error.strerror}") from None
        try:
            index = json.loads(text)
        except json.JSONDecodeError as error:
            raise StoreCorruptError(f"{self.index_path}: not valid JSON ({error})") from None
        _check_index(self.index_path, index)
        return index

    def _entry(self, index: Index, tag: str) -> dict[str, Any]:
        entry = index["releases"].get(tag)
        if entry is None:
            raise ReleaseNotFoundError(f"no release for {tag} in the local store {self.root}")
        return entry

    def _draft_entry(self, index: Index, tag: str, action: str) -> dict[str, Any]:
        entry = self._entry(index, tag)
        if not entry["draft"]:
            raise ReleaseImmutableError(
                f"release {tag} is published and its assets are frozen: cannot {action}"
            )
        return entry

    def _freeze_assets(self, tag: str, entry: dict[str, Any]) -> None:
        for name in entry["assets"]:
            os.chmod(self._asset_path(tag, name), _FROZEN_MODE)

    def _view(self, index: Index, tag: str, entry: dict[str, Any]) -> ReleaseView:
        return ReleaseView(
            tag=tag,
            id=tag,
            state=release_state(draft=entry["draft"], prerelease=entry["prerelease"]),
            latest=index["latest"] == tag,
            name=entry["name"],
            body=entry["body"],
            url_or_path=str(self.release_dir(tag)),
            assets=_asset_views(entry),
            target_commitish=entry["target_commitish"],
        )


def _directory_name(tag: str) -> str:
    """The tag as one safe path component (refused before any write if impossible)."""
    directory = quote(tag, safe="")
    if not directory or directory.startswith("."):  # git refuses such tags too
        raise PublishInputError(f"tag {tag!r} cannot name a release directory")
    return directory


def _asset_views(entry: dict[str, Any]) -> list[AssetView]:
    return [
        AssetView(name=name, sha256=asset["sha256"], size=asset["size"])
        for name, asset in entry["assets"].items()
    ]


def _is_full_release(entry: dict[str, Any]) -> bool:
    return not entry["draft"] and not entry["prerelease"]


def _latest_after(index: Index, tag: str, make_latest: MakeLatest) -> str | None:
    """GitHub's rules: only a full release can be latest; "legacy" means newest created."""
    releases = index["releases"]
    latest = index["latest"]
    if make_latest == "true" and _is_full_release(releases[tag]):
        latest = tag
    if make_latest == "legacy" or (latest is not None and not _is_full_release(releases[latest])):
        full = [name for name, entry in releases.items() if _is_full_release(entry)]
        latest = max(full, key=lambda name: releases[name]["created_ns"], default=None)
    return latest


_ENTRY_TYPES: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "body": str,
    "draft": bool,
    "prerelease": bool,
    "target_commitish": str,
    "created_ns": int,
    "assets": dict,
}


def _check_index(path: Path, index: object) -> None:
    """Refuse an index this code did not write, naming the first bad key."""

    def fail(where: str, problem: str) -> NoReturn:
        raise StoreCorruptError(f"{path}: {where} {problem}")

    if not isinstance(index, dict) or index.get("format") != _FORMAT:
        fail("format", f"must be {_FORMAT}")
    if not isinstance(index.get("releases"), dict):
        fail("releases", "must be an object")
    if index.get("latest") is not None and index["latest"] not in index["releases"]:
        fail("latest", f"names {index['latest']!r}, which has no release")
    for tag, entry in index["releases"].items():
        if not isinstance(entry, dict):
            fail(f"releases.{tag}", "must be an object")
        for key, kind in _ENTRY_TYPES.items():
            if not isinstance(entry.get(key), kind):
                fail(f"releases.{tag}.{key}", f"must be a {getattr(kind, '__name__', kind)}")
        for name, asset in entry["assets"].items():
            if not (
                isinstance(asset, dict)
                and isinstance(asset.get("sha256"), str)
                and isinstance(asset.get("size"), int)
            ):
                fail(f"releases.{tag}.assets.{name}", "must have a sha256 string and a size")
