"""Component versions in their manifests: ``Cargo.toml``, ``pyproject.toml``, ``Cargo.lock``.

Edits go through tomlkit so that a bump changes the version string and nothing else in the
file (comments, ordering and spacing stay as the maintainers wrote them).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import semver
import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from release.config import Component
from release.distribution.errors import ManifestError
from release.distribution.versions import parse_component_version

CARGO_MANIFEST = "Cargo.toml"
PYPROJECT_MANIFEST = "pyproject.toml"
CARGO_LOCK = "Cargo.lock"


@dataclass(frozen=True)
class PackageVersion:
    """What a manifest declares: the package name (as Cargo.lock knows it) and its version."""

    package: str
    version: semver.Version


def read_manifest(text: str, manifest: PurePosixPath | Path, *, source: str) -> PackageVersion:
    """Name and version declared in a manifest's text; ``source`` names it in errors."""
    table = _package_table(_parse(text, source), manifest, source)
    name = table.get("name")
    if not isinstance(name, str):
        raise ManifestError(f"{source}: the package has no name")
    return PackageVersion(
        name, parse_component_version(_version_string(table, source), source=source)
    )


def with_manifest_version(
    text: str, manifest: PurePosixPath | Path, version: semver.Version, *, source: str
) -> str:
    """The manifest text with its package version set to ``version``."""
    document = _parse(text, source)
    table = _package_table(document, manifest, source)
    _version_string(table, source)
    table["version"] = str(version)
    return tomlkit.dumps(document)


def with_lock_version(text: str, package: str, version: semver.Version, *, source: str) -> str:
    """``Cargo.lock`` with the workspace member ``package`` at ``version``.

    Registry packages carry a ``source`` key; the workspace's own crates do not, so a
    dependency that happens to share the name is left alone.
    """
    document = _parse(text, source)
    entries = [entry for entry in _lock_packages(document, source) if entry.get("name") == package]
    members = [entry for entry in entries if "source" not in entry]
    if not members:
        raise ManifestError(f"{source}: no [[package]] entry for the workspace crate {package!r}")
    for entry in members:
        entry["version"] = str(version)
    return tomlkit.dumps(document)


def find_cargo_lock(root: Path, manifest: Path) -> Path | None:
    """The ``Cargo.lock`` of the workspace holding ``manifest``: the nearest one above it."""
    directory = (root / manifest).parent
    while True:
        candidate = directory / CARGO_LOCK
        if candidate.is_file():
            return candidate
        if directory == root or root not in directory.parents:
            return None
        directory = directory.parent


def read_component_version(root: Path, component: Component) -> semver.Version:
    """The version of ``component`` in the working tree."""
    path = root / component.manifest
    return read_manifest(_read(path), component.manifest, source=str(component.manifest)).version


def set_component_version(
    root: Path, component: Component, version: semver.Version, *, dry_run: bool = False
) -> list[Path]:
    """Write ``version`` into the component's manifest and lock entry; return what changed.

    Files already at ``version`` are left untouched, so a re-run changes nothing. With
    ``dry_run`` nothing is written and the files that would change are returned.
    """
    manifest_path = root / component.manifest
    manifest_text = _read(manifest_path)
    source = str(component.manifest)
    declared = read_manifest(manifest_text, component.manifest, source=source)
    updates = [
        (
            manifest_path,
            manifest_text,
            with_manifest_version(manifest_text, component.manifest, version, source=source),
        )
    ]
    if component.manifest.name == CARGO_MANIFEST:
        lock = find_cargo_lock(root, component.manifest)
        if lock is not None:
            lock_text = _read(lock)
            lock_source = str(lock.relative_to(root))
            updates.append(
                (
                    lock,
                    lock_text,
                    with_lock_version(lock_text, declared.package, version, source=lock_source),
                )
            )
    changed = [path for path, before, after in updates if before != after]
    if not dry_run:
        for path, before, after in updates:
            if before != after:
                path.write_text(after, encoding="utf-8")
    return changed


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ManifestError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as failure:
        raise ManifestError(f"{path}: cannot be read ({failure})") from None


def _parse(text: str, source: str) -> TOMLDocument:
    try:
        return tomlkit.parse(text)
    except TOMLKitError as failure:
        raise ManifestError(f"{source}: not valid TOML: {failure}") from None


def _package_table(document: TOMLDocument, manifest: PurePosixPath | Path, source: str) -> Table:
    section = {CARGO_MANIFEST: "package", PYPROJECT_MANIFEST: "project"}.get(manifest.name)
    if section is None:
        raise ManifestError(f"{source}: not a Cargo.toml or pyproject.toml")
    table = document.get(section)
    if not isinstance(table, Table):
        raise ManifestError(f"{source}: no [{section}] table")
    if section == "project" and "version" in table.get("dynamic", []):
        raise ManifestError(f"{source}: the version is dynamic; set it in [project] to bump it")
    return table


def _version_string(table: Table, source: str) -> str:
    version = table.get("version")
    if isinstance(version, str):
        return version
    if version is None:
        raise ManifestError(f"{source}: the package declares no version")
    raise ManifestError(
        f"{source}: the version is not a plain string (workspace-inherited versions "
        "cannot be bumped per component)"
    )


def _lock_packages(document: TOMLDocument, source: str) -> Iterator[Table]:
    packages = document.get("package")
    if not isinstance(packages, AoT):
        raise ManifestError(f"{source}: no [[package]] entries")
    yield from packages
