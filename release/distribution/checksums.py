"""``CHECKSUM`` (``sha256sum`` format) and the digests signing needs, in one read per file.

Each file is read once and fed to SHA-256 (for ``CHECKSUM``) and BLAKE2b-512 (minisign's
prehash) together. Both hash functions release the GIL on large buffers, so files hashed
in parallel threads use every core.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import nacl.hashlib

from release.distribution.errors import ArtifactError

CHECKSUM_FILE = "CHECKSUM"
_CHUNK = 1 << 20
#: ``sha256sum`` escapes these in names, which would make the list fragile: refuse them.
_UNSAFE_IN_NAMES = ("\n", "\r", "\\")


@dataclass(frozen=True)
class FileDigest:
    path: Path
    size: int
    sha256: str
    #: BLAKE2b-512 of the content: what a prehashed ("ED") minisign signature signs.
    blake2b: bytes

    @property
    def name(self) -> str:
        return self.path.name


def digest_bytes(path: Path, data: bytes) -> FileDigest:
    """The digests of ``data``, about to be written to ``path`` (no read needed)."""
    blake = nacl.hashlib.blake2b(data, digest_size=64).digest()
    return FileDigest(path, len(data), hashlib.sha256(data).hexdigest(), blake)


def digest_file(path: Path) -> FileDigest:
    """SHA-256 and BLAKE2b-512 of a file, reading it once."""
    sha256 = hashlib.sha256()
    blake = nacl.hashlib.blake2b(digest_size=64)  # libsodium's: faster than hashlib's here
    size = 0
    try:
        with path.open("rb", buffering=0) as handle:
            while chunk := handle.read(_CHUNK):
                sha256.update(chunk)
                blake.update(chunk)
                size += len(chunk)
    except OSError as failure:
        raise ArtifactError(f"{path}: cannot be read ({failure.strerror})") from None
    return FileDigest(path, size, sha256.hexdigest(), blake.digest())


def digest_files(paths: Sequence[Path], *, workers: int | None = None) -> list[FileDigest]:
    """Digests of ``paths`` (same order), files spread over threads (one per core by default)."""
    threads = max(1, min(len(paths), workers or os.cpu_count() or 1))
    if threads == 1:
        return [digest_file(path) for path in paths]
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="digest") as pool:
        return list(pool.map(digest_file, paths))


def checksum_text(digests: Iterable[FileDigest], *, prefix: str = "") -> str:
    """``sha256sum`` output for the files, sorted by name: ``<hex>  <prefix><name>`` lines."""
    lines = []
    for digest in sorted(digests, key=lambda item: item.name):
        if any(character in digest.name for character in _UNSAFE_IN_NAMES):
            raise ArtifactError(f"{digest.name!r}: a distribution file name cannot hold \\n or \\")
        lines.append(f"{digest.sha256}  {prefix}{digest.name}\n")
    return "".join(lines)
