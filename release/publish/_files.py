"""Digests of artifacts, taken while reading or storing them so each file is read once."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import BinaryIO

from release._fs import atomic_output

_CHUNK = 1 << 20


def sha256_of(path: Path) -> tuple[str, int]:
    """Hex SHA-256 and size of a file."""
    with path.open("rb") as source:
        return _digest(source)


def atomic_copy(source: Path, dest: Path) -> tuple[str, int]:
    """Copy ``source`` to ``dest`` atomically, hashing the bytes actually written."""
    with atomic_output(dest) as handle, source.open("rb") as reader:
        return _digest(reader, copy_to=handle)


def _digest(reader: BinaryIO, *, copy_to: BinaryIO | None = None) -> tuple[str, int]:
    """Hex SHA-256 and size of what ``reader`` holds, read in chunks (archives can be large)."""
    digest = hashlib.sha256()
    size = 0
    while chunk := reader.read(_CHUNK):
        digest.update(chunk)
        size += len(chunk)
        if copy_to is not None:
            copy_to.write(chunk)
    return digest.hexdigest(), size
