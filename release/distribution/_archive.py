"""Byte-reproducible archives: the same inputs give the same bytes on every run.

Everything a packer would otherwise take from the environment is fixed: member order
(sorted), times (``SOURCE_DATE_EPOCH``), owners (0, no names), modes, the gzip header's
mtime and file name, and compression levels.
"""

from __future__ import annotations

import contextlib
import gzip
import io
import os
import tarfile
import time
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

EXECUTABLE_MODE = 0o755
DATA_MODE = 0o644
#: The zip format cannot express times before 1980.
_ZIP_EPOCH_FLOOR = (1980, 1, 1, 0, 0, 0)


@contextlib.contextmanager
def atomic_output(path: Path, *, mode: int = DATA_MODE) -> Iterator[BinaryIO]:
    """Write ``path`` whole or not at all: a crash never leaves half a file under its name."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(partial, mode)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def write_atomically(path: Path, data: bytes, *, mode: int = DATA_MODE) -> None:
    with atomic_output(path, mode=mode) as handle:
        handle.write(data)


def write_if_changed(path: Path, data: bytes, *, mode: int = DATA_MODE) -> bool:
    """Write ``path`` atomically unless it already holds ``data``; True when written."""
    try:
        if path.read_bytes() == data:
            return False
    except FileNotFoundError:
        pass
    write_atomically(path, data, mode=mode)
    return True


def zipapp_bytes(files: Mapping[str, bytes], *, epoch: int, interpreter: str) -> bytes:
    """A zipapp: ``#!interpreter`` line, then a zip of ``files`` (archive name -> content)."""
    stamp = max(time.gmtime(epoch)[:6], _ZIP_EPOCH_FLOOR)
    buffer = io.BytesIO()
    buffer.write(f"#!{interpreter}\n".encode())
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix, so that external_attr carries the mode
            info.external_attr = (0o100000 | DATA_MODE) << 16
            archive.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def write_tar_gz(path: Path, members: Mapping[str, Path], *, epoch: int) -> None:
    """``path`` = a ``.tar.gz`` of ``members`` (name at the archive root -> file), mode 0755.

    Streams member contents, so archives of large executables never sit in memory.
    """
    with (
        atomic_output(path) as handle,
        gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.USTAR_FORMAT) as archive,
    ):
        for name in sorted(members):
            source = members[name]
            info = tarfile.TarInfo(name)
            info.size = source.stat().st_size
            info.mtime = epoch
            info.mode = EXECUTABLE_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with source.open("rb") as content:
                archive.addfile(info, content)
