"""Crash-safe file writes: a reader sees the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from release.errors import ReleaseToolError

SECRET_FILE_MODE = 0o600


class OverwriteRefusedError(ReleaseToolError):
    """Writing would replace a file the caller did not ask to replace."""


def atomic_write(
    path: Path, data: bytes | str, *, mode: int = 0o644, overwrite: bool = True
) -> None:
    """Write ``data`` to ``path`` through a synced temporary file and a rename.

    The temporary file is created with ``mode`` from the start, so a secret never exists on
    disk with wider permissions, even briefly.
    """
    if not overwrite and path.exists():
        raise OverwriteRefusedError(f"{path} already exists (pass --force to replace it)")
    payload = data.encode() if isinstance(data, str) else data
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(descriptor, mode)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    directory = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
