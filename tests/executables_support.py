"""Helpers of the tests that run the shipped executables: build them as ``inv build`` does
(real pex files and Windows zipapps, cached by content, so each distinct build happens once
per cache) from this tree or from an edited copy of it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from release.distribution.build import build_builtins
from release.distribution.targets import TARGETS

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("signer", "aggregator")
EPOCH = 1_762_473_600  # 2025-11-07: any fixed time makes the same archive


def built_from(
    source_root: Path,
    out: Path,
    targets: tuple[str, ...] = ("linux-x64",),
    *,
    version: str = "9.9.9",
) -> dict[str, dict[str, Path]]:
    """target -> kind -> executable, built from the ``release`` package under ``source_root``."""
    return build_builtins(out, targets, version=version, epoch=EPOCH, source_root=source_root)


def edited_release(tmp_path: Path, name: str, edits: dict[str, tuple[str, str]]) -> Path:
    """A copy of this tree's ``release`` package with ``file -> (old, new)`` text replaced."""
    source = tmp_path / f"src-{name}"
    shutil.copytree(
        ROOT / "release", source / "release", ignore=shutil.ignore_patterns("__pycache__")
    )
    for relative, (old, new) in edits.items():
        path = source / "release" / relative
        text = path.read_text()
        assert old in text, f"{relative} no longer holds {old!r}: update the test's edit"
        path.write_text(text.replace(old, new))
    return source


@pytest.fixture(scope="session")
def shipped(tmp_path_factory) -> dict[str, dict[str, Path]]:
    """This tree's signer and aggregator for every target."""
    return built_from(ROOT, tmp_path_factory.mktemp("shipped"), tuple(TARGETS))
