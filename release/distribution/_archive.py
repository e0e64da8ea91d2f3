"""Byte-reproducible archives: the same inputs give the same bytes on every run.

Everything a packer would otherwise take from the environment is fixed: member order
(sorted), times (``SOURCE_DATE_EPOCH``), owners (0, no names), modes, the gzip header's
mtime and file name, and compression levels.
"""

from __future__ import annotations

import gzip
import io
import tarfile
import time
import zipfile
from collections.abc import Collection, Mapping
from pathlib import Path

from release._fs import DATA_MODE, EXECUTABLE_MODE, atomic_output

#: The zip format cannot express times before 1980.
_ZIP_EPOCH_FLOOR = (1980, 1, 1, 0, 0, 0)


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


def write_tar_gz(
    path: Path, members: Mapping[str, Path], *, epoch: int, data: Collection[str] = ()
) -> None:
    """``path`` = a ``.tar.gz`` of ``members`` (archive name -> file), mode 0755, or 0644 for
    the names in ``data``.

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
            info.mode = DATA_MODE if name in data else EXECUTABLE_MODE
            info.uid = info.gid = 0
            info.uname = info.gname = ""
            with source.open("rb") as content:
                archive.addfile(info, content)
