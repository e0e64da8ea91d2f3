"""File helpers: digests of artifacts and crash-safe writes for the local store.

A write is "temp file in the same directory -> fsync -> os.replace -> fsync directory": after
a crash at any instant the destination holds either the old bytes or the new ones, never a
mix. Temp files carry :data:`TEMP_PREFIX` so a later writer can sweep the leftovers.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

TEMP_PREFIX = ".tmp-"
_CHUNK = 1 << 20


def sha256_of(path: Path) -> tuple[str, int]:
    """Hex SHA-256 and size of a file, read in chunks (archives can be large)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as source:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def atomic_write(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that readers see the old or the new file, whole."""
    with _temp_beside(path) as (temp, handle):
        handle.write(data)
        _commit(handle, temp, path)


def atomic_copy(source: Path, dest: Path) -> tuple[str, int]:
    """Copy ``source`` to ``dest`` atomically, hashing the bytes actually written."""
    digest = hashlib.sha256()
    size = 0
    with _temp_beside(dest) as (temp, handle), source.open("rb") as reader:
        while chunk := reader.read(_CHUNK):
            digest.update(chunk)
            handle.write(chunk)
            size += len(chunk)
        _commit(handle, temp, dest)
    return digest.hexdigest(), size


def sweep_temp_files(directory: Path) -> None:
    """Remove temp files a killed writer left behind (callers hold the store lock)."""
    if directory.is_dir():
        for leftover in directory.glob(f"{TEMP_PREFIX}*"):
            leftover.unlink(missing_ok=True)


def fsync_directory(directory: Path) -> None:
    """Make a rename or unlink in ``directory`` durable."""
    descriptor = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@contextlib.contextmanager
def _temp_beside(path: Path) -> Iterator[tuple[Path, BinaryIO]]:
    """A temp file next to ``path``; gone afterwards unless :func:`_commit` renamed it."""
    descriptor, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield temp, handle
    finally:
        temp.unlink(missing_ok=True)


def _commit(handle: BinaryIO, temp: Path, dest: Path) -> None:
    handle.flush()
    os.fsync(handle.fileno())
    os.replace(temp, dest)
    fsync_directory(dest.parent)
