"""The signer and aggregator executables' entry points, end to end as processes: real
cardano-cli files, a real server on 127.0.0.1, restarts over the same stores, kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from release import kes
from release.chain import NETWORKS
from release.kes import (
    OpCert,
    cold_verification_key,
    kes_signing_key_envelope,
    keygen,
    opcert_envelope,
    pool_id_from_cold_vk,
)
from release.nodes import KesCredentials, ProtocolKeyStore, RegistrationStore, Signer
from release.nodes.cli import aggregator_main, signer_main
from release.nodes.transport import HttpTransport

REPO = Path(__file__).resolve().parents[1]
PREPROD = NETWORKS["preprod"]
FIRST = PREPROD.epoch_first_slot(250)
LATE = FIRST + 85 * 3600
AGGREGATOR = (
    "import sys; from release.nodes.cli import aggregator_main; "
    "sys.exit(aggregator_main(sys.argv[1:]))"
)
SIGNER = (
    "import sys; from release.nodes.cli import signer_main; sys.exit(signer_main(sys.argv[1:]))"
)
COLD = b"\x21" * 32


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO)}


class Aggregator:
    def __init__(self, tmp_path: Path, slot: int, *extra: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-c", AGGREGATOR, "--network", "preprod", "--slot", str(slot),
             "--port", "0", "--stake", str(tmp_path / "stake.json"),
             "--db", str(tmp_path / "agg.sqlite3"), *extra],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment(),
        )  # fmt: skip
        line = self.process.stdout.readline()
        assert line.startswith("listening on "), self.process.stderr.read()
        self.url = line.removeprefix("listening on ").strip()

    def stop(self, sig: int = signal.SIGTERM) -> int:
        self.process.send_signal(sig)
        self.process.communicate(timeout=10)
        return self.process.returncode


@pytest.fixture
def operator(tmp_path):
    secret_key, vk = keygen(b"\x22" * 32)
    (tmp_path / "kes.skey").write_text(kes_signing_key_envelope(secret_key))
    (tmp_path / "node.cert").write_text(opcert_envelope(OpCert.issue(vk, COLD, 0, 800)))
    pool = pool_id_from_cold_vk(cold_verification_key(COLD))
    (tmp_path / "stake.json").write_text(json.dumps({pool: 100}))
    return pool


def run_signer(tmp_path, url, slot, *extra):
    return subprocess.run(
        [sys.executable, "-c", SIGNER, "--network", "preprod", "--slot", str(slot),
         "--aggregator", url,
         "--kes-key", str(tmp_path / "kes.skey"), "--opcert", str(tmp_path / "node.cert"),
         "--store", str(tmp_path / "signer.sqlite3"), "--json", *extra],
        capture_output=True, text=True, env=environment(), timeout=60, check=False,
    )  # fmt: skip


def test_restart_late_in_the_epoch_with_each_profile(tmp_path, operator):
    aggregator = Aggregator(tmp_path, FIRST, "--verifier", "0.7.90")
    first = run_signer(tmp_path, aggregator.url, FIRST, "--profile", "0.2.273")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["status"] == "registered"
    assert aggregator.stop() == 0
    aggregator = Aggregator(tmp_path, LATE, "--verifier", "0.7.90")
    stale = run_signer(tmp_path, aggregator.url, LATE, "--profile", "0.2.273")
    assert stale.returncode == 1
    report = json.loads(stale.stdout)
    assert report["http_status"] == 400
    assert "CurrentKesPeriod=23, StartKesPeriod=800" in report["message"]
    fixed = run_signer(tmp_path, aggregator.url, LATE)
    assert fixed.returncode == 0, fixed.stdout
    assert json.loads(fixed.stdout)["kes_evolutions"] == 23
    aggregator.stop()


def test_registrations_survive_kill_9(tmp_path):
    secret_key, vk = keygen(b"\x23" * 32)
    pools = [
        KesCredentials(secret_key, OpCert.issue(vk, bytes([n + 1]) * 32, 0, 800)) for n in range(12)
    ]
    (tmp_path / "stake.json").write_text(json.dumps({creds.pool_id: 1 for creds in pools}))
    aggregator = Aggregator(tmp_path, FIRST)
    transport = HttpTransport(aggregator.url)
    for creds in pools:
        attempt = Signer(PREPROD, creds, ProtocolKeyStore(), transport).register(
            PREPROD.point(FIRST)
        )
        assert attempt.http_status == 201
    transport.close()
    assert aggregator.stop(signal.SIGKILL) == -signal.SIGKILL
    store = RegistrationStore(tmp_path / "agg.sqlite3")
    assert sorted(r.party_id for r in store.for_epoch(251)) == sorted(c.pool_id for c in pools)
    store.close()


def test_dry_run_sends_nothing_and_leaves_the_store_alone(tmp_path, operator):
    # Against a dead aggregator: the epoch comes from the signer's clock, nothing is sent,
    # and nothing is reported as registered (it used to say "registered", HTTP 201).
    dry = run_signer(tmp_path, "http://127.0.0.1:9/aggregator", FIRST, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    report = json.loads(dry.stdout)
    assert report["dry_run"] and not report["registered"]
    assert (report["status"], report["http_status"], report["sent"]) == ("not-sent", None, None)
    would_send = report["would_send"]
    assert (would_send["epoch"], would_send["kes_period"]) == (251, 20)
    assert "own clock" in report["recording_epoch_from"]
    assert not (tmp_path / "signer.sqlite3").exists()  # no store file created either


def test_dry_run_reads_the_epoch_from_the_aggregator_and_registers_nothing(tmp_path, operator):
    aggregator = Aggregator(tmp_path, LATE)
    try:
        # The signer's own clock is an epoch behind: the aggregator's epoch wins.
        dry = run_signer(tmp_path, aggregator.url, FIRST - 1, "--dry-run")
        report = json.loads(dry.stdout)
        assert dry.returncode == 0, dry.stderr
        assert report["would_send"]["epoch"] == 251
        assert report["recording_epoch_from"].endswith("/aggregator/epoch-settings")
        transport = HttpTransport(aggregator.url)
        assert transport.request("GET", "/signers/registered/250")[0] == 404
        transport.close()
    finally:
        aggregator.stop()


def test_sigterm_stops_the_aggregator_cleanly_with_its_registrations_kept(tmp_path, operator):
    # SIGTERM interrupts serve_forever's wait (no shutdown poll): exit 0, the store closed
    # after its last commit, the stop logged. How fast is a figure of `inv bench --only nodes`.
    aggregator = Aggregator(tmp_path, FIRST)
    registered = run_signer(tmp_path, aggregator.url, FIRST)
    assert registered.returncode == 0, registered.stdout
    aggregator.process.send_signal(signal.SIGTERM)
    _, errors = aggregator.process.communicate(timeout=10)
    assert aggregator.process.returncode == 0
    assert "aggregator stopped" in errors
    store = RegistrationStore(tmp_path / "agg.sqlite3")
    assert [r.party_id for r in store.for_epoch(251)] == [operator]
    store.close()


#: Runs the signer entry point once (a dry run against a dead aggregator), then names every
#: module it loaded of the aggregator's side.
SIGNER_MODULES = (
    "import sys; from release.nodes.cli import signer_main; code = signer_main(sys.argv[1:]); "
    "loaded = [m for m in ('http.server', 'socketserver', 'release.nodes.aggregator', "
    "'release.nodes.aggregator_store', 'release.nodes.http_server', 'release.nodes.verifiers', "
    "'release.regression') if m in sys.modules]; print('loaded:', loaded); sys.exit(code)"
)


def test_the_signer_entry_point_loads_nothing_of_the_aggregator(tmp_path, operator):
    done = subprocess.run(
        [sys.executable, "-c", SIGNER_MODULES, "--network", "preprod", "--slot", str(FIRST),
         "--aggregator", "http://127.0.0.1:9/aggregator", "--dry-run",
         "--kes-key", str(tmp_path / "kes.skey"), "--opcert", str(tmp_path / "node.cert")],
        capture_output=True, text=True, env=environment(), timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "loaded: []"


def test_usage_errors_exit_2_with_a_message(tmp_path, operator, capsys):
    missing = signer_main(
        ["--kes-key", str(tmp_path / "nope.skey"), "--opcert", str(tmp_path / "node.cert"),
         "--aggregator", "http://127.0.0.1:9", "--network", "preprod", "--slot", str(FIRST)]
    )  # fmt: skip
    assert missing == 2
    assert "cannot read the KES signing key" in capsys.readouterr().err
    unreachable = signer_main(
        ["--kes-key", str(tmp_path / "kes.skey"), "--opcert", str(tmp_path / "node.cert"),
         "--aggregator", "http://127.0.0.1:9", "--network", "preprod", "--slot", str(FIRST)]
    )  # fmt: skip
    assert unreachable == 2
    assert "cannot reach the aggregator" in capsys.readouterr().err
    bad_stake = tmp_path / "bad.json"
    bad_stake.write_text('{"alice": 1}')
    assert aggregator_main(["--network", "preprod", "--stake", str(bad_stake), "--dry-run"]) == 2
    assert "not a pool id" in capsys.readouterr().err


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as done:
        signer_main(["--version"], version="0.2.276-fix", profile="fixed")
    assert done.value.code == 0
    assert "mithril-signer 0.2.276-fix (behaviour fixed)" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        aggregator_main(["--help"])
    assert "--verifier {0.7.90,2603.1,fixed}" in capsys.readouterr().out


def test_aggregator_dry_run_describes_its_settings(tmp_path, operator, capsys):
    code = aggregator_main(
        [
            "--network",
            "preprod",
            "--stake",
            str(tmp_path / "stake.json"),
            "--at",
            "2025-11-06T17:07:14Z",
            "--dry-run",
        ],
        verifier="2603.1",
    )
    assert code == 0
    settings = json.loads(capsys.readouterr().out)
    assert (settings["epoch"], settings["kes_period"], settings["verifier"]) == (250, 823, "2603.1")
    assert settings["clock"] == "fixed"


def test_inv_nodes_signer_dry_run(tmp_path, operator):
    completed = subprocess.run(
        [str(REPO / ".venv" / "bin" / "inv"), "-r", str(REPO), "nodes.signer",
         "--kes-key", str(tmp_path / "kes.skey"), "--opcert", str(tmp_path / "node.cert"),
         "--aggregator", "http://127.0.0.1:9", "--network", "preprod",
         "--slot", str(LATE), "--profile", "0.2.268", "--dry-run", "--json"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert (report["profile"], report["kes_evolutions"], report["status"]) == (
        "0.2.268",
        23,
        "not-sent",
    )
    assert report["registered"] is False


def test_inv_nodes_aggregator_takes_the_issue_flags(tmp_path, operator):
    completed = subprocess.run(
        [str(REPO / ".venv" / "bin" / "inv"), "-r", str(REPO), "nodes.aggregator",
         "--network", "preprod", "--verifier", "0.7.90", "--stake", str(tmp_path / "stake.json"),
         "--slot", str(LATE), "--port", "0", "--db", str(tmp_path / "agg.sqlite3"),
         "--dry-run", "--json"],
        capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    settings = json.loads(completed.stdout)
    assert (settings["epoch"], settings["kes_period"], settings["verifier"]) == (250, 823, "0.7.90")
    assert (settings["clock"], settings["pools"]) == ("fixed", 1)
    assert settings["db"] == str(tmp_path / "agg.sqlite3")
    assert not (tmp_path / "agg.sqlite3").exists()  # a dry run creates no store


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in path.read_text().split()] if path.exists() else []


def test_workers_share_the_socket_and_database_and_die_with_the_parent(tmp_path):
    secret_key, vk = keygen(b"\x24" * 32)
    pools = [
        KesCredentials(secret_key, OpCert.issue(vk, bytes([n + 40]) * 32, 0, 800))
        for n in range(12)
    ]
    (tmp_path / "stake.json").write_text(json.dumps({creds.pool_id: 1 for creds in pools}))
    aggregator = Aggregator(tmp_path, FIRST, "--workers", "2")
    workers = _children(aggregator.process.pid)
    assert len(workers) == 1
    transport = HttpTransport(aggregator.url)

    def register(creds):
        own = HttpTransport(aggregator.url)
        try:
            return Signer(PREPROD, creds, ProtocolKeyStore(), own).register(PREPROD.point(FIRST))
        finally:
            own.close()

    with ThreadPoolExecutor(6) as pool:
        attempts = list(pool.map(register, pools))
    assert [attempt.http_status for attempt in attempts] == [201] * len(pools)
    status, listed = transport.request("GET", "/signers/registered/250")
    assert status == 200 and len(json.loads(listed)["registrations"]) == len(pools)
    transport.close()
    assert aggregator.stop(signal.SIGKILL) == -signal.SIGKILL
    for _ in range(200):  # the worker gets SIGKILL when its parent dies
        if not Path(f"/proc/{workers[0]}").exists() or "Z" in _state(workers[0]):
            break
        time.sleep(0.02)
    assert not Path(f"/proc/{workers[0]}").exists() or "Z" in _state(workers[0])
    store = RegistrationStore(tmp_path / "agg.sqlite3")
    assert sorted(r.party_id for r in store.for_epoch(251)) == sorted(c.pool_id for c in pools)
    store.close()


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][:1]
    except (OSError, IndexError):
        return "Z"


def test_several_workers_need_a_database(tmp_path, operator, capsys):
    code = aggregator_main(
        ["--network", "preprod", "--stake", str(tmp_path / "stake.json"), "--port", "0",
         "--workers", "2"]
    )  # fmt: skip
    assert code == 2
    assert "give --db" in capsys.readouterr().err


def test_dry_run_prints_the_registration_it_would_send(tmp_path, operator, capsys):
    code = signer_main(
        ["--kes-key", str(tmp_path / "kes.skey"), "--opcert", str(tmp_path / "node.cert"),
         "--aggregator", "http://127.0.0.1:9/aggregator", "--network", "preprod",
         "--slot", str(FIRST), "--dry-run"]
    )  # fmt: skip
    assert code == 0
    status, would_send = capsys.readouterr().out.splitlines()
    assert "not-sent" in status and "registered" not in status.replace("not-sent", "")
    sent = json.loads(would_send.removeprefix("would send: "))
    assert (sent["epoch"], sent["party_id"]) == (251, operator)


def test_signer_inspect_reads_the_operators_files(tmp_path, capsys):
    """``mithril-signer inspect``: what the notes run to find the pool id and check the KES
    key, with bad files reported in one line (exit 2) and nothing else printed."""
    sk, vk = kes.keygen(bytes([1]) * 32)
    cold_seed = bytes([2]) * 32
    pool_id = kes.pool_id_from_cold_vk(kes.cold_verification_key(cold_seed))
    (tmp_path / "kes.skey").write_text(kes.kes_signing_key_envelope(sk))
    (tmp_path / "node.cert").write_text(
        kes.opcert_envelope(kes.OpCert.issue(vk, cold_seed, 0, 820))
    )
    cert = str(tmp_path / "node.cert")
    assert signer_main(["inspect", "--opcert", cert, "--pool-id"]) == 0
    assert capsys.readouterr().out == f"{pool_id}\n"
    assert signer_main(["inspect", "--opcert", cert, "--json"]) == 0
    facts = json.loads(capsys.readouterr().out)
    assert facts["pool_id"] == pool_id and facts["start_kes_period"] == 820
    # At the time of issue #2771 (KES period 823 on preprod): valid, 3 evolutions in.
    checked = ["inspect", "--opcert", cert, "--kes-key", str(tmp_path / "kes.skey")]
    assert signer_main([*checked, "--network", "preprod", "--at", "2025-11-06T17:07:14Z"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert "current KES period: 823" in lines and lines[-1] == "verdict: ok"
    # Months later the certificate has expired: the operator must act (exit 1).
    assert signer_main([*checked, "--network", "preprod", "--at", "2026-06-01T00:00:00Z"]) == 1
    assert capsys.readouterr().out.splitlines()[-1] == "verdict: action needed"
    (tmp_path / "bad.cert").write_text("not a text envelope")
    assert signer_main(["inspect", "--opcert", str(tmp_path / "bad.cert")]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.startswith("error: the operational certificate")
    with pytest.raises(SystemExit) as refused:
        signer_main(checked)  # a KES key check needs the network's time
    assert refused.value.code == 2
