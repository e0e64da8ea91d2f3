"""Aggregator figures: the real HTTP server (a separate process, ``fixed`` verifier, SQLite in
WAL mode) under 16 concurrent loopback clients; its memory with 3,000 registered pools; and
the cost of one registration in the server against the cryptography it must do."""

from __future__ import annotations

import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

from release import kes
from release.bench import Figure, per_call_seconds, ratio_figure
from release.chain import NETWORKS, ManualClock
from release.nodes import Aggregator, Registration, RegistrationStore

AREA = "nodes"
CLIENTS = 16
POOLS = 3000
NETWORK = NETWORKS["preprod"]
SLOT = NETWORK.epoch_first_slot(250)
START = NETWORK.kes_period_of(SLOT) - 20
_SERVER = (
    "import sys; from release.nodes.cli import aggregator_main; "
    "sys.exit(aggregator_main(sys.argv[1:]))"
)


def _registrations(count: int) -> list[tuple[str, bytes]]:
    """(pool id, JSON body) for ``count`` pools sharing one KES key (each its own cold key)."""
    secret_key, vk = kes.keygen(b"\x42" * 32)
    evolved = kes.evolve(secret_key, 20)
    bodies = []
    for number in range(count):
        opcert = kes.OpCert.issue(vk, number.to_bytes(32, "big"), 0, START)
        key = os.urandom(kes.PROTOCOL_KEY_SIZE)
        registration = Registration(
            NETWORK.epoch_of(SLOT) + 1, key, kes.sign(evolved, key), opcert, 20
        )
        bodies.append((opcert.pool_id, json.dumps(registration.to_wire()).encode()))
    return bodies


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class _Server:
    def __init__(self, directory: Path, stake: dict[str, int]) -> None:
        (directory / "stake.json").write_text(json.dumps(stake))
        self.process = subprocess.Popen(
            [sys.executable, "-c", _SERVER, "--network", NETWORK.name, "--slot", str(SLOT),
             "--port", "0", "--quiet", "--stake", str(directory / "stake.json"),
             "--db", str(directory / "agg.sqlite3")],
            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        )  # fmt: skip
        assert self.process.stdout is not None
        address = urlsplit(self.process.stdout.readline().removeprefix("listening on ").strip())
        self.host, self.port = address.hostname, address.port

    def stop(self) -> None:
        self.process.terminate()
        self.process.communicate(timeout=10)


def _load(server: _Server, bodies: list[bytes]) -> tuple[float, list[float], int]:
    """Post every body from CLIENTS threads (keep-alive); wall time, latencies, failures."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()

    def client(share: list[bytes]) -> None:
        nonlocal failures
        connection = http.client.HTTPConnection(server.host, server.port, timeout=30)
        mine, bad = [], 0
        for body in share:
            started = time.perf_counter()
            connection.request(
                "POST", "/register-signer", body, {"Content-Type": "application/json"}
            )
            response = connection.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            bad += response.status != 201
        connection.close()
        with lock:
            latencies.extend(mine)
            failures += bad

    threads = [threading.Thread(target=client, args=(bodies[n::CLIENTS],)) for n in range(CLIENTS)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, latencies, failures


def run(quick: bool) -> list[Figure]:
    pools = 600 if quick else POOLS
    registrations = _registrations(pools)
    bodies = [body for _, body in registrations]
    with tempfile.TemporaryDirectory(prefix="bench-nodes-") as scratch:
        server = _Server(Path(scratch), {pool: 1 for pool, _ in registrations})
        try:
            idle_kib = _rss_kib(server.process.pid)
            _load(server, bodies[: CLIENTS * 4])  # warm up: connections, caches
            wall, latencies, failures = _load(server, bodies + bodies[: pools // 2])
            loaded_kib = _rss_kib(server.process.pid)
        finally:
            server.stop()
    rate = len(latencies) / wall
    p99 = statistics.quantiles(latencies, n=100)[98] * 1000
    load_detail = {
        "clients": CLIENTS,
        "requests": len(latencies),
        "non_201": failures,
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(p99, 2),
        "verifier": "fixed",
        "store": "SQLite file, WAL, synchronous=NORMAL",
        "server": "separate process (ThreadingHTTPServer, one thread per connection)",
    }
    return [
        Figure(AREA, "HTTP registrations per second, 16 clients", round(rate), "registrations/s",
               target=">= 300", meets_target=rate >= 300, detail=load_detail),
        Figure(AREA, "HTTP registration p99 latency, 16 clients", round(p99, 2), "ms",
               target="<= 100", meets_target=p99 <= 100, detail=load_detail),
        Figure(AREA, f"aggregator memory with {pools} registered pools",
               round(loaded_kib / 1024, 1), "MiB",
               detail={"rss_idle_mib": round(idle_kib / 1024, 1), "pools": pools}),
        _server_cost(registrations[0][1], quick),
    ]  # fmt: skip


def _server_cost(body: bytes, quick: bool) -> Figure:
    """One registration through the server's code path (no sockets) against its crypto."""
    registration = Registration.from_wire(json.loads(body))
    opcert = registration.opcert
    assert opcert is not None and registration.kes_signature is not None
    with tempfile.TemporaryDirectory(prefix="bench-nodes-") as scratch:
        store = RegistrationStore(Path(scratch) / "agg.sqlite3")
        aggregator = Aggregator(
            NETWORK, "fixed", {opcert.pool_id: 1}, store, ManualClock(NETWORK, SLOT)
        )
        min_time = 0.05 if quick else 0.3

        def measure(func: object) -> float:
            return per_call_seconds(func, min_time=min_time)  # type: ignore[arg-type]

        def crypto() -> None:
            opcert.validate()
            kes.verify(opcert.kes_vk, 20, registration.protocol_key, registration.kes_signature)

        baseline = measure(crypto)
        handled = measure(
            lambda: aggregator.handle_registration(Registration.from_wire(json.loads(body)))
        )
        decode = measure(lambda: Registration.from_wire(json.loads(body)))
        pool_id = measure(lambda: kes.pool_id_from_cold_vk(opcert.cold_vk))
        stored = aggregator.store.get(registration.epoch, opcert.pool_id)
        assert stored is not None
        save = measure(lambda: store.save(stored))
        store.close()
    return ratio_figure(
        AREA,
        "per-registration server cost / (opcert validate + one Sum6 verify)",
        handled,
        baseline,
        None,
        decode_json_and_wire_s=decode,
        pool_id_bech32_s=pool_id,
        sqlite_insert_or_replace_s=save,
        note="besides the two Ed25519 verifications (opcert and KES leaf), a registration pays "
        "for decoding its wire form (hex, then JSON parsing of about 1,100 integers turned "
        "back into bytes: the largest share), the bech32 pool id, and one SQLite "
        "insert-or-replace committed in WAL mode; HTTP parsing and threads come on top in the "
        "throughput figure",
    )
