"""Benchmark: re-running a completed publish makes zero write requests.

Measured on both backends with the real code paths: the embedded store (writes counted at
the protocol boundary) and, when this runs from a source checkout, the GitHub-compatible
test server with the real PyGithub client (write requests counted by the server).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import release
from release.bench import Figure
from release.publish import LocalStore, Publisher, RetryPolicy, promote, publish_prerelease
from release.publish.counting import CountingPublisher

AREA = "publish"
TAG = "2543.1-hotfix"
_TESTS_DIR = Path(release.__file__).resolve().parents[1] / "tests"
_BENCH_TOKEN = "bench-token-not-secret"


def run(quick: bool) -> list[Figure]:
    size = (1 if quick else 32) * 1024 * 1024
    with tempfile.TemporaryDirectory(prefix="bench-publish-") as workdir:
        root = Path(workdir)
        files = _artifacts(root / "dist", archive_size=size)
        figures = [_local_figure(root / "store", files)]
        server_module = _fake_github_module()
        if server_module is not None:
            figures.append(_github_figure(server_module, files))
    return figures


def _artifacts(directory: Path, *, archive_size: int) -> list[Path]:
    """Four archives of random bytes, a CHECKSUM over them, a signature-sized file, a key."""
    directory.mkdir(parents=True)
    lines = []
    for target in ("linux-x64", "linux-arm64", "macos-arm64", "windows-x64"):
        path = directory / f"mithril-{TAG}-{target}.tar.gz"
        path.write_bytes(os.urandom(archive_size))
        lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {path.name}\n")
    (directory / "CHECKSUM").write_text("".join(lines))
    (directory / "CHECKSUM.minisig").write_bytes(os.urandom(300))
    (directory / "mithril-release.pub").write_bytes(os.urandom(100))
    return sorted(directory.iterdir())


def _publish_and_promote(publisher: Publisher, files: list[Path]) -> None:
    publish_prerelease(
        publisher,
        tag=TAG,
        name=f"Distribution {TAG}",
        body="benchmark",
        files=files,
        target_commitish="main",
    )
    promote(publisher, tag=TAG)


def _timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def _local_figure(store: Path, files: list[Path]) -> Figure:
    first = CountingPublisher(LocalStore(store))
    first_s = _timed(lambda: _publish_and_promote(first, files))
    rerun = CountingPublisher(LocalStore(store))
    rerun_s = _timed(lambda: _publish_and_promote(rerun, files))
    return _writes_figure(
        "rerun_write_requests_local",
        len(rerun.writes),
        first_run_writes=len(first.writes),
        first_run_s=round(first_s, 4),
        rerun_s=round(rerun_s, 4),
        **_sizes(files),
    )


def _github_figure(server_module: ModuleType, files: list[Path]) -> Figure:
    from release.publish.github import GitHubPublisher  # noqa: PLC0415 - PyGithub is heavy

    with server_module.FakeGitHub(token=_BENCH_TOKEN, validate=False) as server:

        def client() -> GitHubPublisher:
            return GitHubPublisher(
                server.repo,
                _BENCH_TOKEN,
                base_url=server.base_url,
                seconds_between_writes=0,
                seconds_between_requests=0,
                retry=RetryPolicy(attempts=1),
            )

        first_s = _timed(lambda: _publish_and_promote(client(), files))
        first_writes, first_requests = server.writes, len(server.requests)
        rerun_s = _timed(lambda: _publish_and_promote(client(), files))
        return _writes_figure(
            "rerun_write_requests_github",
            server.writes - first_writes,
            first_run_writes=first_writes,
            rerun_read_requests=len(server.requests) - first_requests,
            first_run_s=round(first_s, 4),
            rerun_s=round(rerun_s, 4),
            server="GitHub-compatible test server on 127.0.0.1, real PyGithub client",
            **_sizes(files),
        )


def _writes_figure(name: str, writes: int, **detail: Any) -> Figure:
    return Figure(
        area=AREA,
        name=name,
        value=float(writes),
        unit="write requests",
        target="= 0",
        meets_target=writes == 0,
        detail=detail,
    )


def _sizes(files: list[Path]) -> dict[str, int]:
    return {"artifacts": len(files), "bytes": sum(path.stat().st_size for path in files)}


def _fake_github_module() -> ModuleType | None:
    """The test server, present in a source checkout only (an installed package has none)."""
    if not (_TESTS_DIR / "fakes" / "github_server.py").is_file():
        return None
    if str(_TESTS_DIR) not in sys.path:
        sys.path.append(str(_TESTS_DIR))
    return importlib.import_module("fakes.github_server")
