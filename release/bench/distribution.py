"""Distribution figures: checksumming and signing a release's archives.

Three contenders over the same files, all with a warm page cache (every file is read once
before timing, and each contender runs several times, best time kept):
* ours: :func:`release.distribution.signing.sign_distribution` (SHA-256 and BLAKE2b in one
  read per file, files in parallel threads, minisign signatures from the prehashes);
* the floor: raw ``hashlib.sha256`` over the files, one after the other;
* Mithril's way: ``sha256sum`` over the files, then ``gpg --clear-sign`` of the list.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from release.bench import Figure, ratio_figure
from release.distribution.signing import generate_minisign_key, load_minisign_key, sign_distribution
from release.distribution.versions import parse_distribution_version

AREA = "distribution"
_FILES = 4
_CHUNK = 1 << 20
_VERSION = parse_distribution_version("2543.1-hotfix")


def run(quick: bool) -> list[Figure]:
    file_size = (16 if quick else 256) << 20
    repeats = 3 if quick else 5
    with tempfile.TemporaryDirectory(prefix="bench-dist-", dir="/tmp") as scratch:
        root = Path(scratch)
        dist = root / "dist"
        archives = _write_archives(dist, file_size)
        generate_minisign_key(root / "minisign.key", root / "minisign.pub")
        key = load_minisign_key(root / "minisign.key")
        gpg_home = root / "g"
        gpg_key = _throwaway_gpg_key(gpg_home)
        try:
            contenders: dict[str, Callable[[], object]] = {
                "ours": lambda: sign_distribution(dist, key, _VERSION),
                "raw": lambda: _raw_sha256(archives),
            }
            if gpg_key is not None:
                contenders["mithril"] = lambda: _mithril_way(archives, root, gpg_home, gpg_key)
            for path in archives:  # warm the page cache for everyone
                _raw_sha256([path])
            best = _best_times(contenders, repeats)
        finally:
            if gpg_key is not None:
                _gpg(gpg_home, "gpgconf", "--kill", "all")
    detail = {
        "files": _FILES,
        "file_mib": file_size >> 20,
        "page_cache": "warm (files read once before timing; best of runs)",
        "cpus": os.cpu_count(),
    }
    figures = [
        ratio_figure(
            AREA,
            "checksum + minisign signing / raw hashlib SHA-256 (same files)",
            best["ours"],
            best["raw"],
            1.25,
            baseline="hashlib.sha256 over each file in turn, 1 MiB reads",
            **detail,
        )
    ]
    if "mithril" in best:
        figures.append(
            ratio_figure(
                AREA,
                "checksum + minisign signing / sha256sum + gpg --clear-sign (same run)",
                best["ours"],
                best["mithril"],
                0.5,
                baseline="sha256sum over the files, then gpg --clear-sign of the list",
                **detail,
            )
        )
    return figures


def _write_archives(directory: Path, size: int) -> list[Path]:
    """Incompressible stand-in archives (hash speed does not depend on content)."""
    directory.mkdir()
    block = os.urandom(4 << 20)
    paths = []
    for index in range(_FILES):
        path = directory / f"mithril-2543.1-hotfix-target{index}.tar.gz"
        with path.open("wb") as handle:
            handle.write(index.to_bytes(8, "little"))
            for _ in range(size // len(block)):
                handle.write(block)
        paths.append(path)
    return paths


def _raw_sha256(paths: list[Path]) -> None:
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb", buffering=0) as handle:
            while chunk := handle.read(_CHUNK):
                digest.update(chunk)
        digest.hexdigest()


def _mithril_way(archives: list[Path], root: Path, gpg_home: Path, gpg_key: str) -> None:
    listing = subprocess.run(
        ["sha256sum", *(path.name for path in archives)],
        cwd=archives[0].parent,
        capture_output=True,
        check=True,
    ).stdout
    _gpg(
        gpg_home,
        "gpg",
        "--batch",
        "--yes",
        "--local-user",
        gpg_key,
        "--clear-sign",
        "--output",
        str(root / "CHECKSUM.asc"),
        stdin=listing,
    )


def _throwaway_gpg_key(home: Path) -> str | None:
    """A passphrase-less key in its own keyring; None when gpg or sha256sum is missing."""
    if shutil.which("gpg") is None or shutil.which("sha256sum") is None:
        return None
    home.mkdir(mode=0o700)
    _gpg(
        home,
        "gpg",
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Bench <bench@example.invalid>",
        "ed25519",
        "sign",
        "never",
    )
    return "bench@example.invalid"


def _gpg(home: Path, *command: str, stdin: bytes | None = None) -> None:
    subprocess.run(
        command,
        input=stdin,
        env={**os.environ, "GNUPGHOME": str(home)},
        capture_output=True,
        check=True,
    )


def _best_times(contenders: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Best wall time of each, runs interleaved so that drifting load hits all alike."""
    best = dict.fromkeys(contenders, float("inf"))
    for _ in range(repeats):
        for name, work in contenders.items():
            started = time.perf_counter()
            work()
            best[name] = min(best[name], time.perf_counter() - started)
    return best
