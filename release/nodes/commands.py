"""What ``mithril-signer`` / ``mithril-aggregator`` and ``inv nodes.*`` do, once their
arguments are parsed: shared so the executables and the tasks cannot drift apart."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from release.chain import Network, clock_for, get_network, load_networks
from release.nodes.aggregator import Aggregator, load_stake
from release.nodes.aggregator_store import RegistrationStore
from release.nodes.credentials import KesCredentials
from release.nodes.http_server import MAX_BODY_BYTES, AggregatorServer
from release.nodes.signer import Attempt, Signer
from release.nodes.signer_store import ProtocolKeyStore
from release.nodes.sqlite import MEMORY
from release.nodes.transport import DryRunTransport, HttpTransport, Transport
from release.nodes.verifiers import get_verifier

log = logging.getLogger("release.nodes")


def resolve_network(name: str, networks_file: str | Path | None = None) -> Network:
    return get_network(name, load_networks(networks_file) if networks_file else None)


@dataclass(frozen=True)
class SignerRequest:
    kes_key: Path
    opcert: Path
    aggregator: str
    network: str
    profile: str
    networks_file: Path | None = None
    slot: int | None = None
    at: str | None = None
    #: SQLite store; None keeps it in memory, so every run behaves as a first start.
    store: Path | None = None
    dry_run: bool = False
    version: str = "dev"


def register_signer(request: SignerRequest) -> dict[str, Any]:
    """One registration attempt, as a JSON-ready report."""
    network = resolve_network(request.network, request.networks_file)
    point = clock_for(network, slot=request.slot, at=request.at).now()
    credentials = KesCredentials.from_files(request.kes_key, request.opcert)
    store: ProtocolKeyStore
    transport: Transport
    if request.dry_run:
        store = _dry_run_store(request.store)
        transport = DryRunTransport()
    else:
        store = ProtocolKeyStore(request.store or MEMORY)
        transport = HttpTransport(request.aggregator, signer_version=request.version)
    try:
        attempt = Signer(network, credentials, store, transport, profile=request.profile).register(
            point
        )
    finally:
        store.close()
    return {
        "pool_id": credentials.pool_id,
        "network": network.name,
        "profile": request.profile,
        "version": request.version,
        "slot": point.slot,
        "epoch": point.epoch,
        "kes_period": point.kes_period,
        "start_kes_period": credentials.start_kes_period,
        **_attempt_json(attempt),
        "dry_run": request.dry_run,
    }


def _dry_run_store(path: Path | None) -> ProtocolKeyStore:
    """An in-memory copy of the signer's store (empty when it has none yet): a dry run acts
    on the copy and creates or changes no file."""
    if path is None or not path.exists():
        return ProtocolKeyStore(MEMORY)
    saved = ProtocolKeyStore(path)
    try:
        return saved.copy_in_memory()
    finally:
        saved.close()


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    sent = attempt.sent
    return {
        "recording_epoch": attempt.recording_epoch,
        "kes_evolutions": attempt.kes_evolutions,
        "status": attempt.status.value,
        "registered": attempt.holds_registration,
        "http_status": attempt.http_status,
        "message": attempt.message,
        "sent": None if sent is None else {"epoch": sent.epoch, "kes_period": sent.kes_period},
    }


@dataclass(frozen=True)
class AggregatorRequest:
    network: str
    verifier: str
    stake: Path
    networks_file: Path | None = None
    slot: int | None = None
    at: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    #: SQLite database; None keeps registrations in memory (lost on exit).
    db: Path | None = None
    max_body: int = MAX_BODY_BYTES


def build_aggregator(request: AggregatorRequest) -> Aggregator:
    network = resolve_network(request.network, request.networks_file)
    return Aggregator(
        network,
        get_verifier(request.verifier),
        load_stake(request.stake),
        RegistrationStore(request.db or MEMORY),
        clock_for(network, slot=request.slot, at=request.at),
    )


def check_aggregator(request: AggregatorRequest) -> dict[str, Any]:
    """A dry run: every setting loaded and checked, the settings described; the store file is
    not opened, so nothing is created on disk."""
    aggregator = build_aggregator(replace(request, db=None))
    try:
        return describe_aggregator(aggregator, request)
    finally:
        aggregator.store.close()


def describe_aggregator(aggregator: Aggregator, request: AggregatorRequest) -> dict[str, Any]:
    return {
        **aggregator.epoch_settings_message(),
        "pools": len(aggregator.stake),
        "clock": "fixed" if request.slot is not None or request.at is not None else "wall",
        "db": str(request.db) if request.db else None,
        "listen": f"{request.host}:{request.port}",
    }


def serve_aggregator(request: AggregatorRequest, announce: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM; ``announce`` receives the URL once listening."""
    aggregator = build_aggregator(request)
    server = AggregatorServer(aggregator, request.host, request.port, max_body=request.max_body)
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    announce(server.url)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        aggregator.store.close()
        log.info("aggregator stopped")
