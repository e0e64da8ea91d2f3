"""What ``mithril-signer`` / ``mithril-aggregator`` and ``inv nodes.*`` do, once their
arguments are parsed: shared so the executables and the tasks cannot drift apart.

The aggregator's modules (its store, ``http.server``) are imported by the aggregator's
commands only: the signer executable starts without them.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from release.chain import ChainPoint, Network, clock_for, get_network, load_networks
from release.nodes.api import BASE_PATH, MAX_BODY_BYTES
from release.nodes.credentials import KesCredentials
from release.nodes.errors import NodesError, TransportError
from release.nodes.messages import Registration
from release.nodes.signer import Attempt, Signer
from release.nodes.signer_store import ProtocolKeyStore
from release.nodes.sqlite import MEMORY
from release.nodes.transport import DryRunTransport, HttpTransport, Transport

if TYPE_CHECKING:
    from release.nodes.aggregator import Aggregator
    from release.nodes.http_server import AggregatorServer

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
    """One registration attempt, as a JSON-ready report.

    The recording epoch is the aggregator's epoch (``GET /epoch-settings``) + 1, as a real
    signer reads it. A dry run reads it too when the aggregator answers (a GET changes
    nothing), falls back to the signer's own clock when it does not, and sends nothing.
    """
    network = resolve_network(request.network, request.networks_file)
    point = clock_for(network, slot=request.slot, at=request.at).now()
    credentials = KesCredentials.from_files(request.kes_key, request.opcert)
    http = HttpTransport(request.aggregator, signer_version=request.version)
    try:
        recording_epoch, epoch_source = _recording_epoch(http, point, dry_run=request.dry_run)
        store: ProtocolKeyStore
        transport: Transport
        if request.dry_run:
            store, transport = _dry_run_store(request.store), DryRunTransport()
        else:
            store, transport = ProtocolKeyStore(request.store or MEMORY), http
        try:
            attempt = Signer(
                network, credentials, store, transport, profile=request.profile
            ).register(point, recording_epoch=recording_epoch)
        finally:
            store.close()
    finally:
        http.close()
    return {
        "pool_id": credentials.pool_id,
        "network": network.name,
        "profile": request.profile,
        "version": request.version,
        "slot": point.slot,
        "epoch": point.epoch,
        "kes_period": point.kes_period,
        "start_kes_period": credentials.start_kes_period,
        "recording_epoch_from": epoch_source,
        **_attempt_json(attempt, dry_run=request.dry_run),
        "dry_run": request.dry_run,
    }


def _recording_epoch(http: HttpTransport, point: ChainPoint, *, dry_run: bool) -> tuple[int, str]:
    try:
        return http.epoch_settings()["epoch"] + 1, f"{http.base_url}/epoch-settings"
    except TransportError as failure:
        if not dry_run:
            raise
        return point.epoch + 1, f"the signer's own clock ({failure})"


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


def _attempt_json(attempt: Attempt, *, dry_run: bool) -> dict[str, Any]:
    sent = attempt.sent
    report: dict[str, Any] = {
        "recording_epoch": attempt.recording_epoch,
        "kes_evolutions": attempt.kes_evolutions,
        "status": attempt.status.value,
        "registered": attempt.holds_registration,
        "http_status": attempt.http_status,
        "message": attempt.message,
        "sent": None if sent is None or dry_run else _summary(sent),
    }
    if dry_run:
        report["would_send"] = None if sent is None else sent.to_wire()
    return report


def _summary(registration: Registration) -> dict[str, Any]:
    return {"epoch": registration.epoch, "kes_period": registration.kes_period}


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
    base_path: str = BASE_PATH
    #: Processes serving the one listening socket (more than one needs ``db``).
    workers: int = 1


def build_aggregator(request: AggregatorRequest) -> Aggregator:
    from release.nodes.aggregator import Aggregator, load_stake  # noqa: PLC0415
    from release.nodes.aggregator_store import RegistrationStore  # noqa: PLC0415
    from release.nodes.verifiers import get_verifier  # noqa: PLC0415

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
    point = aggregator.clock.now()
    return {
        "epoch": point.epoch,
        "registration_round_epoch": point.epoch + 1,
        "slot": point.slot,
        "kes_period": point.kes_period,
        "network": aggregator.network.name,
        "verifier": aggregator.verifier.name,
        "max_kes_evolutions": aggregator.network.max_kes_evolutions,
        "pools": len(aggregator.stake),
        "clock": "fixed" if request.slot is not None or request.at is not None else "wall",
        "db": str(request.db) if request.db else None,
        "listen": f"{request.host}:{request.port}{request.base_path}",
    }


def serve_aggregator(request: AggregatorRequest, announce: Callable[[str], None]) -> None:
    """Serve until SIGINT or SIGTERM; ``announce`` receives the URL once listening.

    With ``workers`` > 1 the listening socket is shared by that many processes (pre-fork),
    each with its own connection to the one WAL database, so every core verifies
    registrations (the crypto bindings hold the GIL). Workers die with the parent.
    """
    if request.workers < 1:
        raise NodesError(f"--workers must be at least 1, got {request.workers}")
    if request.workers > 1 and request.db is None:
        raise NodesError("several --workers share one database: give --db")
    from release.nodes.http_server import AggregatorServer  # noqa: PLC0415

    aggregator = build_aggregator(request)
    server = AggregatorServer(
        aggregator,
        request.host,
        request.port,
        base_path=request.base_path,
        max_body=request.max_body,
    )
    children = _fork_workers(server, request) if request.workers > 1 else []
    main = threading.current_thread() is threading.main_thread()
    try:  # a SIGTERM right after the announcement stops the server as cleanly as later ones
        if main:
            signal.signal(signal.SIGTERM, _raise_terminated)
        announce(server.url)
        server.serve_forever()
    except (KeyboardInterrupt, _TerminatedError):
        pass
    finally:
        if main:  # a second SIGTERM during the clean-up ends the process as by default
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
        server.server_close()
        aggregator.store.close()
        for child in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGTERM)
        for child in children:
            os.waitpid(child, 0)
        log.info("aggregator stopped")


class _TerminatedError(Exception):
    """SIGTERM, raised in the main thread: it interrupts ``serve_forever``'s wait at once,
    where ``shutdown()`` would wait for its next poll (half a second)."""


def _raise_terminated(signum: int, frame: object) -> None:
    raise _TerminatedError


def _fork_workers(server: AggregatorServer, request: AggregatorRequest) -> list[int]:
    """``request.workers - 1`` child processes serving the parent's listening socket.

    The socket turns non-blocking so that a process losing the race for a connection goes
    back to waiting instead of blocking in ``accept``. SQLite connections must not cross a
    fork: the parent closes its store first, and every process opens its own.
    """
    from release.nodes.aggregator_store import RegistrationStore  # noqa: PLC0415

    assert request.db is not None
    server.socket.setblocking(False)
    server.aggregator.store.close()
    children, parent = [], os.getpid()
    for _ in range(request.workers - 1):
        pid = os.fork()
        if pid == 0:  # the worker: dies with the parent, stops on SIGTERM like it
            _die_with(parent)
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            server.aggregator.store = RegistrationStore(request.db)
            try:
                server.serve_forever()
            finally:
                os._exit(0)
        children.append(pid)
    server.aggregator.store = RegistrationStore(request.db)
    return children


def _die_with(parent: int) -> None:
    """Linux ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: a worker never outlives its parent, even
    when the parent is killed with ``kill -9``."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGKILL)
    if os.getppid() != parent:  # the parent died before prctl took effect
        os._exit(0)
