"""The commands the SPO notes give, run as an operator would: taken from the rendered
``upgrade.md`` and ``rollback.md`` of a sandbox hotfix, with only the aggregator's host
swapped for the sandbox's real HTTP aggregator, and the shipped executables from the
release's linux-x64 archive.

The registration check follows Mithril's API: ``GET /epoch-settings`` answers the
aggregator's epoch, and ``GET /signers/registered/{epoch}`` lists the signers that
registered *during* that epoch (``registered_at``; recorded for the next one), as
``openapi.yaml`` at 2543.0 and ``shared/spec/mithril.md`` §4 describe it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pipeline_support import DATE, TAG, run_json, sandbox_paths

from release import kes
from release.chain import get_network

NETWORK = "preprod"
LOCAL_AGGREGATOR = re.compile(r"^AGGREGATOR=https://\S+$", re.MULTILINE)


def bash_blocks(text: str, heading: str) -> list[str]:
    """The ```bash blocks under ``## heading`` (up to the next ``## ``), indentation removed."""
    section = text.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^( *)```bash\n(.*?)^\1```$", section, re.MULTILINE | re.DOTALL)
    return [
        "\n".join(line.removeprefix(indent) for line in body.splitlines())
        for indent, body in blocks
    ]


@pytest.fixture(scope="module")
def shipped(tmp_path_factory) -> dict[str, Path]:
    """A sandbox hotfix, its notes, and its linux-x64 executables unpacked."""
    cwd = tmp_path_factory.mktemp("commands")
    run_json("hotfix", "--date", DATE, cwd=cwd)
    dist = sandbox_paths(cwd)["work"] / "dist"
    host = cwd / "host"
    with tarfile.open(dist / f"mithril-{TAG}-linux-x64.tar.gz") as archive:
        archive.extractall(host, filter="data")
    executables = {path.name: path for path in host.rglob("mithril-*") if path.is_file()}
    assert {"mithril-signer", "mithril-aggregator"} <= set(executables), sorted(host.rglob("*"))
    return {
        "upgrade": dist / "upgrade.md",
        "rollback": dist / "rollback.md",
        **executables,
    }


@pytest.fixture
def operator(tmp_path, shipped) -> tuple[Path, str]:
    """An operator's directory: the shipped signer beside a KES key and a certificate that
    are valid now on preprod (the notes' commands run at the real time)."""
    network = get_network(NETWORK)
    period = network.kes_period_of(network.slot_at(datetime.now(UTC)))
    sk, vk = kes.keygen(bytes([3]) * 32)
    cold_seed = bytes([5]) * 32
    (tmp_path / "kes.skey").write_text(kes.kes_signing_key_envelope(sk))
    (tmp_path / "node.cert").write_text(
        kes.opcert_envelope(kes.OpCert.issue(vk, cold_seed, 0, period))
    )
    shutil.copy2(shipped["mithril-signer"], tmp_path / "mithril-signer")
    return tmp_path, kes.pool_id_from_cold_vk(kes.cold_verification_key(cold_seed))


def environment() -> dict[str, str]:
    """The operator's shell: ``python3`` is the interpreter the executables need."""
    return {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}


def run_script(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=cwd,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def aggregator(tmp_path, shipped, operator):
    """The shipped aggregator, serving on 127.0.0.1 with the operator's pool in its stake."""
    _, pool_id = operator
    stake = tmp_path / "stake.json"
    stake.write_text(json.dumps({pool_id: 1_000_000}))
    process = subprocess.Popen(
        [
            str(shipped["mithril-aggregator"]),
            *("--network", NETWORK, "--stake", str(stake), "--port", "0", "--quiet"),
        ],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith("listening on "), process.stderr.read()  # type: ignore[union-attr]
        yield line.removeprefix("listening on ").strip()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_registration_check_finds_the_pool_only_after_a_real_registration(
    shipped, operator, aggregator
):
    directory, pool_id = operator
    (check,) = bash_blocks(shipped["upgrade"].read_text(), "Check that your pool is registered")
    # The command that reads the operator's certificate, then one query per network.
    assert (
        check.splitlines()[0] == "POOL_ID=$(./mithril-signer inspect --opcert node.cert --pool-id)"
    )
    aggregators = LOCAL_AGGREGATOR.findall(check)
    assert len(aggregators) == 3  # release-mainnet, release-preprod, pre-release-preview
    local = LOCAL_AGGREGATOR.sub(f"AGGREGATOR={aggregator}", check)

    before = run_script(local, directory)
    assert before.returncode == 0, before.stderr
    assert before.stdout == ""  # not registered yet: the check prints nothing

    registered = subprocess.run(
        [
            "./mithril-signer",
            *("--kes-key", "kes.skey", "--opcert", "node.cert", "--network", NETWORK),
            *("--aggregator", aggregator),
        ],
        cwd=directory,
        env=environment(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert registered.returncode == 0, registered.stdout + registered.stderr

    after = run_script(local, directory)
    assert after.returncode == 0, after.stderr
    assert after.stdout.splitlines() == [pool_id] * 3


def test_the_key_check_of_the_notes_runs_with_the_shipped_signer(shipped, operator):
    directory, pool_id = operator
    (versions, checks) = bash_blocks(shipped["upgrade"].read_text(), "After upgrading")
    preprod = [line for line in checks.splitlines() if line.endswith(f"--network {NETWORK}")]
    assert preprod == [
        f"./mithril-signer inspect --kes-key kes.skey --opcert node.cert --network {NETWORK}"
    ]
    result = run_script(preprod[0], directory)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"pool id: {pool_id}"
    assert lines[-1].startswith("verdict: ok")
    version = run_script(versions.splitlines()[1].split("#")[0], directory)
    assert "0.2.276" in version.stdout, version.stdout + version.stderr
    assert versions.splitlines()[1].endswith("# must show 0.2.276")

    # A key that does not match the certificate: exit 1 and a verdict asking for action.
    other, _ = kes.keygen(bytes([4]) * 32)
    (directory / "kes.skey").write_text(kes.kes_signing_key_envelope(other))
    mismatch = run_script(preprod[0], directory)
    assert mismatch.returncode == 1
    assert "KES key matches the certificate: NO" in mismatch.stdout
    assert mismatch.stdout.splitlines()[-1] == "verdict: action needed"


def test_the_rollback_notes_give_the_same_check_and_a_real_pool_id_command(
    shipped, operator, aggregator
):
    """Rollback: the operator has no new signer yet, so the pool id comes from cardano-cli
    (not installed here: its flags are checked, the rest of the block runs)."""
    directory, pool_id = operator
    (check,) = bash_blocks(shipped["rollback"].read_text(), "Check that your pool is registered")
    first, *queries = check.splitlines()
    # bech32 is what `stake-pool id` prints by default (public SPO scripts pass
    # `--output-format hex` to get the other form), so no output flag is given.
    assert first == "POOL_ID=$(cardano-cli stake-pool id --cold-verification-key-file cold.vkey)"
    (upgrade_check,) = bash_blocks(
        shipped["upgrade"].read_text(), "Check that your pool is registered"
    )
    assert queries == upgrade_check.splitlines()[1:]  # the same queries in both notes
    local = LOCAL_AGGREGATOR.sub(f"AGGREGATOR={aggregator}", "\n".join(queries))
    result = run_script(f"POOL_ID={pool_id}\n{local}", directory)
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""  # nothing registered with this aggregator yet


def test_install_and_download_commands_name_the_release_and_its_assets(shipped):
    upgrade = shipped["upgrade"].read_text()
    installs = [block for block in bash_blocks(upgrade, "Upgrade")]
    assert [re.search(r"-c (\S+) -d (\S+)", block).groups() for block in installs] == [
        ("mithril-aggregator", TAG),
        ("mithril-signer", TAG),
    ]
    for block in installs:
        assert block.startswith("curl --proto '=https' --tlsv1.2 -sSf https://")
        assert block.endswith('-p "$(pwd)"')
    rollback = shipped["rollback"].read_text()
    (install,) = bash_blocks(rollback, "Roll back")
    assert "-c mithril-signer -d 2537.0 " in install
    for text, archive in (
        (upgrade, f"mithril-{TAG}-linux-x64.tar.gz"),
        (rollback, "mithril-2537.0-linux-x64.tar.gz"),
    ):
        steps = bash_blocks(text, "Verify the download")
        assert steps[1:4] == [
            "minisign -Vm CHECKSUM -p minisign.pub",
            "sha256sum -c CHECKSUM --ignore-missing",
            f"minisign -Vm {archive} -p minisign.pub",
        ]
