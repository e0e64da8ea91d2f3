"""Helpers of the publish tests: the token, artifacts, a publisher on the fake, the driver."""

from __future__ import annotations

import hashlib
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from fakes.github_server import FakeGitHub
from release.publish import Publisher, Recorder, ReleaseView, RetryPolicy, publish_prerelease
from release.publish._protocol import with_marker

if TYPE_CHECKING:
    from release.publish.github import GitHubPublisher

#: Shaped like a real token so that a leak would be recognisable in any output.
TOKEN = "ghp_FAKEtoken0123456789abcdefABCDEF012345"
TAG = "2543.1-hotfix"
REPO_ROOT = Path(__file__).resolve().parents[2]
DRIVER = Path(__file__).with_name("publish_driver.py")
ARCHIVES = (
    "mithril-2543.1-hotfix-linux-x64.tar.gz",
    "mithril-2543.1-hotfix-macos-arm64.tar.gz",
)


def write_artifacts(directory: Path, *, seed: int = 2543, size: int = 48 * 1024) -> list[Path]:
    """Two archives, their CHECKSUM, its signature and the public key (random contents)."""
    directory.mkdir(parents=True, exist_ok=True)
    generator = random.Random(seed)
    lines = []
    for name in ARCHIVES:
        data = generator.randbytes(size)
        (directory / name).write_bytes(data)
        lines.append(f"{hashlib.sha256(data).hexdigest()}  {name}\n")
    (directory / "CHECKSUM").write_text("".join(lines))
    (directory / "CHECKSUM.minisig").write_bytes(generator.randbytes(300))
    (directory / "mithril-release.pub").write_bytes(generator.randbytes(100))
    return sorted(directory.iterdir())


def github_publisher(
    base_url: str,
    *,
    repo: str = "acme/widgets",
    token: str = TOKEN,
    sleep: Callable[[float], None] = lambda _: None,
    attempts: int = 4,
    rate_limit_wait: float = 0,
    per_page: int = 100,
) -> GitHubPublisher:
    """The real PyGithub-backed publisher, pointed at a fake server, with no waiting."""
    from release.publish.github import GitHubPublisher  # noqa: PLC0415 - keep local runs light

    return GitHubPublisher(
        repo,
        token,
        base_url=base_url,
        seconds_between_writes=0,
        seconds_between_requests=0,
        retry=RetryPolicy(
            attempts=attempts, base_delay=0, rate_limit_wait=rate_limit_wait, sleep=sleep
        ),
        timeout=10,
        per_page=per_page,
    )


def spawn_driver(*args: str, token: str = TOKEN) -> subprocess.Popen[str]:
    """Start ``publish_driver.py`` (token in its environment, never on its command line)."""
    env = {
        **os.environ,
        "FAKE_GITHUB_TOKEN": token,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
    }
    return subprocess.Popen(
        [sys.executable, str(DRIVER), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def github_driver_args(server: FakeGitHub, tmp_path: Path) -> list[str]:
    """Driver arguments publishing ``tmp_path / "dist"`` to ``server`` as :data:`TAG`."""
    return [
        *("--backend", "github", "--base-url", server.base_url, "--repo", server.repo),
        *("--tag", TAG, "--files", str(tmp_path / "dist")),
        *("--journal", str(tmp_path / "journal.jsonl")),
    ]


def run_driver(
    *args: str, server: FakeGitHub | None = None, timeout: float = 60
) -> tuple[int, str, str]:
    """Run the driver to its end (or its death); the server learns its pid for kill faults."""
    process = spawn_driver(*args)
    if server is not None:
        server.set_client_pid(process.pid)
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr


RELEASE_NAME = "Mithril Distribution 2543.1-hotfix"
RELEASE_BODY = "Hotfix: the signer registers again after a restart late in an epoch."


def publish_to(
    publisher: Publisher,
    files: list[Path],
    *,
    body: str = RELEASE_BODY,
    record: Recorder | None = None,
) -> ReleaseView:
    """The publish every test runs: same tag, title and target."""
    return publish_prerelease(
        publisher,
        tag=TAG,
        name=RELEASE_NAME,
        body=body,
        files=files,
        target_commitish="main",
        record=record,
    )


def expected_snapshot(
    files: list[Path], *, prerelease: bool = True, latest: bool = False, body: str = RELEASE_BODY
) -> list[dict[str, object]]:
    """What :meth:`FakeGitHub.snapshot` shows after publishing exactly ``files``."""
    return [
        {
            "tag": TAG,
            "name": RELEASE_NAME,
            "body": with_marker(body, TAG, "main"),
            "draft": False,
            "prerelease": prerelease,
            "latest": latest,
            "assets": sorted(
                (
                    path.name,
                    "uploaded",
                    f"sha256:{hashlib.sha256(path.read_bytes()).hexdigest()}",
                    path.stat().st_size,
                )
                for path in files
            ),
        }
    ]


def recorder() -> tuple[list[tuple[str, dict[str, object]]], Recorder]:
    """A journal in a list, and the ``record`` callback that fills it."""
    entries: list[tuple[str, dict[str, object]]] = []
    return entries, lambda step, detail: entries.append((step, detail))


def github_config(tmp_path: Path, fake: FakeGitHub, *, api_url: str | None = None) -> Path:
    """The sandbox's release.toml, publishing to ``fake`` (or ``api_url``) instead of the
    local store, with the token in ``TEST_GITHUB_TOKEN``."""
    from release.sandbox import ensure_sandbox  # noqa: PLC0415 - only the pipeline tests

    sandbox_config = ensure_sandbox(tmp_path)
    text = sandbox_config.read_text()
    text = re.sub(
        r'\[publish\]\nbackend = "local"\nstore = "[^"]*"\n',
        "[publish]\n"
        'backend = "github"\n'
        f'repo = "{fake.repo}"\n'
        f'api_url = "{api_url or fake.base_url}"\n'
        'token_env = "TEST_GITHUB_TOKEN"\n'
        "seconds_between_writes = 0\n"
        "seconds_between_requests = 0\n",
        text,
    )
    assert 'backend = "github"' in text
    config = sandbox_config.with_name("github.toml")
    config.write_text(text)
    return config
