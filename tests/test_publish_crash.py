"""SIGKILL the publishing process anywhere; running it again must converge.

GitHub: the fake server kills the driver process when it receives the chosen write request
(before or after processing it) or halfway through an upload body. Local store: the driver
kills itself just before or just after the chosen ``os.replace``, the commit point of
every atomic write. Either way the re-run must end in exactly the state an uninterrupted
run reaches (one release, the same assets and digests, nothing duplicated) and a further
run must write nothing.
"""

from __future__ import annotations

import hashlib
import json
import signal
from pathlib import Path

import pytest
from fakes.github_server import FakeGitHub, Fault
from fakes.publishing import (
    TOKEN,
    github_driver_args,
    github_publisher,
    publish_to,
    run_driver,
    write_artifacts,
)

from release.publish import LocalStore
from release.publish._protocol import with_marker
from release.publish.counting import CountingPublisher

ARTIFACTS = 5  # write_artifacts: two archives, CHECKSUM, its signature, the public key
#: create the draft, one upload per artifact, publish
GITHUB_WRITES = 1 + ARTIFACTS + 1
#: create the draft, per artifact the file and the index, publish
LOCAL_REPLACES = 1 + 2 * ARTIFACTS + 1

GITHUB_KILLS = [
    *[("kill_before", "WRITE", n, False) for n in range(1, GITHUB_WRITES + 1)],
    *[("kill_after", "WRITE", n, False) for n in range(1, GITHUB_WRITES + 1)],
    *[("kill_mid_body", "UPLOAD", n, False) for n in range(1, ARTIFACTS + 1)],
    # A server reporting ``digest: null`` (the schema allows it): verified by download.
    *[("kill_after", "WRITE", n, True) for n in range(1, GITHUB_WRITES + 1)],
]
LOCAL_KILLS = [(when, n) for n in range(1, LOCAL_REPLACES + 1) for when in ("before", "after")]


def local_args(tmp_path: Path) -> list[str]:
    return [
        "--backend",
        "local",
        "--store",
        str(tmp_path / "store"),
        "--tag",
        "2543.1-hotfix",
        "--files",
        str(tmp_path / "dist"),
        "--journal",
        str(tmp_path / "journal.jsonl"),
    ]


def store_state(root: Path) -> dict[str, object]:
    """The store's content without creation times: equal for equivalent histories."""
    index = json.loads((root / "index.json").read_text())
    for entry in index["releases"].values():
        entry.pop("created_ns")
    files = {
        str(path.relative_to(root)): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_mode & 0o777,
        )
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in (".lock", "index.json")
    }
    return {"index": index, "files": files}


@pytest.fixture(scope="module")
def github_reference(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("reference")
    write_artifacts(tmp_path / "dist")
    with FakeGitHub(token=TOKEN) as server:
        code, _, stderr = run_driver(*github_driver_args(server, tmp_path))
        assert code == 0, stderr
        assert server.writes == GITHUB_WRITES  # the kill points below cover every write
        return server.snapshot()


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("reference")
    write_artifacts(tmp_path / "dist")
    code, _, stderr = run_driver(
        *local_args(tmp_path), "--kill-at-replace", str(LOCAL_REPLACES + 1)
    )
    assert code == 0, stderr  # no replace beyond the ones the kill points below cover
    return store_state(tmp_path / "store")


@pytest.mark.parametrize(
    ("action", "kind", "nth", "null_digests"),
    GITHUB_KILLS,
    ids=[f"{a}-{k}-{n}{'-null-digests' if z else ''}" for a, k, n, z in GITHUB_KILLS],
)
def test_github_publish_killed_anywhere_converges_on_rerun(
    tmp_path, github_reference, action, kind, nth, null_digests
):
    files = write_artifacts(tmp_path / "dist")
    with FakeGitHub(token=TOKEN, null_digests=null_digests) as server:
        fault = server.inject(Fault(action, kind=kind, nth=nth))

        killed, _, _ = run_driver(*github_driver_args(server, tmp_path), server=server)
        assert (fault.fired, killed) == (1, -signal.SIGKILL)
        if action == "kill_mid_body":
            assert "open" in {asset[1] for asset in server.snapshot()[0]["assets"]}

        code, _, stderr = run_driver(*github_driver_args(server, tmp_path))
        assert code == 0, stderr
        assert server.snapshot() == github_reference

        writes = server.writes
        publish_to(github_publisher(server.base_url), files)
        assert server.writes == writes
    journal = [json.loads(line) for line in (tmp_path / "journal.jsonl").read_text().splitlines()]
    assert (journal[-1]["step"], journal[-1]["state"]) == ("publish", "prerelease")


@pytest.mark.parametrize("action", ["kill_before", "kill_after"])
def test_github_publish_killed_while_deleting_leftover_drafts_converges(
    tmp_path, github_reference, action
):
    files = write_artifacts(tmp_path / "dist")
    earlier = with_marker("an earlier run", "2543.1-hotfix", "main")
    with FakeGitHub(token=TOKEN) as server:
        for _ in range(3):  # as three retried creates of earlier runs left them
            server.add_release("2543.1-hotfix", draft=True, body=earlier)
        server.inject(Fault(action, kind="DELETE", nth=2))

        killed, _, _ = run_driver(*github_driver_args(server, tmp_path), server=server)
        assert killed == -signal.SIGKILL

        code, _, stderr = run_driver(*github_driver_args(server, tmp_path))
        assert code == 0, stderr
        assert server.snapshot() == github_reference
        writes = server.writes
        publish_to(github_publisher(server.base_url), files)
        assert server.writes == writes


@pytest.mark.parametrize(("when", "nth"), LOCAL_KILLS, ids=[f"{w}-{n}" for w, n in LOCAL_KILLS])
def test_local_publish_killed_around_any_write_converges_on_rerun(
    tmp_path, local_reference, when, nth
):
    files = write_artifacts(tmp_path / "dist")

    killed, _, _ = run_driver(
        *local_args(tmp_path), "--kill-at-replace", str(nth), "--kill-when", when
    )
    assert killed == -signal.SIGKILL

    code, _, stderr = run_driver(*local_args(tmp_path))
    assert code == 0, stderr
    assert store_state(tmp_path / "store") == local_reference

    counting = CountingPublisher(LocalStore(tmp_path / "store"))
    publish_to(counting, files)
    assert counting.writes == []
