"""Crash-safe file writes: a reader sees the old file or the new one, never half of either.

Every write goes "temporary file in the same directory -> fsync -> rename -> fsync the
directory", so after a crash at any instant the destination holds the old bytes or the new
ones. Temporary files carry :data:`TEMP_PREFIX`, so a writer that holds a lock on the
directory can sweep what a killed writer left behind. Standard library only: the signer and
aggregator executables may come to import it.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from release.errors import ReleaseToolError

DATA_MODE = 0o644
EXECUTABLE_MODE = 0o755
SECRET_FILE_MODE = 0o600
TEMP_PREFIX = ".tmp-"


class OverwriteRefusedError(ReleaseToolError):
    """Writing would replace a file the caller did not ask to replace."""


@contextlib.contextmanager
def atomic_output(path: Path, *, mode: int = DATA_MODE) -> Iterator[BinaryIO]:
    """A handle whose bytes become ``path`` when the block ends, and nothing if it raises.

    The temporary file has ``mode`` from the start, so a secret never exists on disk with
    wider permissions, even briefly.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=path.parent)
    temporary = Path(name)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    fsync_directory(path.parent)


def atomic_write(
    path: Path, data: bytes | str, *, mode: int = DATA_MODE, overwrite: bool = True
) -> None:
    """Replace ``path`` with ``data`` (text is written as UTF-8)."""
    if not overwrite and path.exists():
        raise OverwriteRefusedError(f"{path} already exists (pass --force to replace it)")
    with atomic_output(path, mode=mode) as handle:
        handle.write(data.encode() if isinstance(data, str) else data)


def write_if_changed(path: Path, data: bytes, *, mode: int = DATA_MODE) -> bool:
    """Write ``path`` unless it already holds ``data``; True when written.

    Leaving an equal file alone is what lets a re-run report, and change, nothing.
    """
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    atomic_write(path, data, mode=mode)
    return True


def sweep_temp_files(directory: Path) -> None:
    """Remove temporary files a killed writer left (only safe under the directory's lock)."""
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
