"""The world one scenario case runs in: the operator's keys, an aggregator (in-process or
behind the real HTTP server) with its round check, a signer store, the aggregator's clock
(the signer's chain plus a lag) and the signer's run loop.

The key ring lives for the whole run and caches evolved KES keys, so a case only pays for
what it tests: signing, verifying, storing.
"""

from __future__ import annotations

import functools
import itertools
import math
import tempfile
from dataclasses import dataclass
from enum import StrEnum
from hashlib import blake2b
from pathlib import Path
from typing import Protocol

from release.chain import ChainPoint, Network
from release.kes import OpCert, keygen
from release.nodes import (
    Aggregator,
    Attempt,
    InProcessTransport,
    KesCredentials,
    ProtocolKeyStore,
    RegistrationStore,
    Signer,
)
from release.nodes.http_server import AggregatorServer
from release.nodes.messages import Registration
from release.nodes.transport import HttpTransport, Reply, Transport
from release.regression.parameters import RUN_INTERVAL_SECONDS
from release.stm import ProtocolKey, new_protocol_key, verify_protocol_key

#: How late the aggregator opens a registration round after its epoch change in the
#: ``epoch-boundary`` family, in run cycles (90 s with 60 s cycles; 550 until then).
ROUND_DELAY_CYCLES = 1.5
#: KES periods between the operator's certificate start and the epoch under test: mid-life.
CERTIFICATE_AGE = 20


def _seed(label: str) -> bytes:
    return blake2b(label.encode(), digest_size=32).digest()


class KeyRing:
    """The test pool's cold key, KES keys and certificates, built once per run, and the
    real BLS protocol keys its signers draw in turn (two draws in a row never repeat)."""

    cold_seed = _seed("regression:cold")
    #: Distinct protocol keys a run cycles through: each costs a key generation and (in
    #: process, memoised) one proof check per run instead of one per attempt.
    protocol_key_count = 8

    def __init__(self) -> None:
        self._kes_keys: dict[str, tuple[bytes, bytes]] = {}
        self._credentials: dict[tuple[str, int, int], KesCredentials] = {}
        self._protocol_keys = itertools.cycle(
            [
                new_protocol_key(_seed(f"regression:protocol:{n}"))
                for n in range(self.protocol_key_count)
            ]
        )

    def next_protocol_key(self) -> bytes:
        """What a signer's "fresh protocol key" is in the suite: the next key of the cycle."""
        return next(self._protocol_keys)

    def credentials(
        self, start_kes_period: int, *, key: str = "main", issue_number: int = 0
    ) -> KesCredentials:
        """KES key ``key`` under a certificate starting at ``start_kes_period`` (at least 0)."""
        index = (key, max(0, start_kes_period), issue_number)
        found = self._credentials.get(index)
        if found is None:
            if key not in self._kes_keys:
                self._kes_keys[key] = keygen(_seed(f"regression:kes:{key}"))
            secret_key, vk = self._kes_keys[key]
            found = KesCredentials(
                secret_key, OpCert.issue(vk, self.cold_seed, issue_number, index[1])
            )
            self._credentials[index] = found
        return found

    @property
    def pool_id(self) -> str:
        return self.credentials(0).pool_id

    @property
    def signatures(self) -> int:
        return sum(credentials.signatures for credentials in self._credentials.values())


#: The aggregator's (epoch, KES period, round open): all a registration attempt depends on
#: from the aggregator's side.
View = tuple[int, int, bool]


@dataclass(frozen=True)
class Seen:
    """One attempt of a case: when, what the aggregator looked like, and when the loop
    attempted next (None: it registered), by which rule."""

    slot: int
    round_opens_at: int | None
    view: View
    #: Whether the loop jumped over cycles in an unchanged view after this attempt.
    jumped: bool = False
    next_slot: int | None = None

    def same_for(self, network: Network, lag: int, cycle: int) -> bool:
        """Whether an aggregator ``lag`` slots ahead would have shown the same view here and
        led the loop to the same next attempt."""
        if aggregator_view(network, self.slot, lag, self.round_opens_at) != self.view:
            return False
        if self.next_slot is None or not self.jumped:
            return True
        change = next_change(network, self.slot, lag, self.round_opens_at)
        return self.slot + cycle * max(1, -(-(change - self.slot) // cycle)) == self.next_slot


class ScenarioClock:
    """The aggregator's chain view: its node's slot (the signer's plus the chain lag), and
    whether its registration round is open yet."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.slot = network.shelley_slot
        #: Aggregator slot at which the round of its current epoch opens (None: at once).
        self.round_opens_at: int | None = None

    def now(self) -> ChainPoint:
        return self.network.point(self.slot)

    def round_open(self) -> bool:
        """Mithril opens the round for ``epoch + 1`` during its epoch-change steps."""
        return aggregator_view(self.network, self.slot, 0, self.round_opens_at)[2]


class RoundFront:
    """The aggregator's registration-round check in front of its registration path.

    Mithril (openapi 0.1.54 at 2543.0, ``register-signer``): 550 only when no round is open
    (between the epoch-change steps, or before the first); 500 ``unexpected signer
    registration round epoch`` for a message of any other epoch than the open round.
    """

    def __init__(self, clock: ScenarioClock, inner: Transport) -> None:
        self.clock, self.inner = clock, inner

    def send(self, registration: Registration) -> Reply:
        if not self.clock.round_open():
            return Reply(550, "round_not_opened", "the signer registration round is not opened yet")
        open_round = self.clock.now().epoch + 1
        if registration.epoch != open_round:
            return Reply(
                500,
                "internal_error",
                f"unexpected signer registration round epoch: current_round_epoch: {open_round}, "
                f"received_epoch: {registration.epoch}",
            )
        return self.inner.send(registration)


class Backend(Protocol):
    """Where the aggregator of a case runs."""

    name: str

    def open(self, network: Network, verifier: str) -> tuple[Aggregator, Transport, ScenarioClock]:
        """An empty aggregator, the transport signers reach it with, and its clock."""

    def signer_store(self) -> ProtocolKeyStore:
        """An empty signer store for the next case."""

    @property
    def verifications(self) -> int: ...

    def close(self) -> None: ...


class _SignerStores:
    """One in-memory signer store, emptied for each case (opening SQLite per case cost more
    than the KES work of the case)."""

    def __init__(self) -> None:
        self._store = ProtocolKeyStore()

    def signer_store(self) -> ProtocolKeyStore:
        self._store.clear()
        return self._store

    def _close_signer_store(self) -> None:
        self._store.close()


#: Entries of each run-wide memo: a run sees 8 protocol keys and a few dozen certificates.
MEMO_SIZE = 1024


def _check_proof_bytes(raw: bytes) -> None:
    verify_protocol_key(raw)


class InProcessBackend(_SignerStores):
    """One aggregator per (network, profile) with an in-memory SQLite store, emptied
    before each case.

    Proof-of-possession checks and certificate validations are memoised by value across the
    run (bounded, one memo per backend so that each run pays its own checks): the suite's
    signers resend the same keys and certificates many times, and neither verdict changes
    between cases. A refused key raises and is not memoised.
    """

    name = "in-process"

    def __init__(self, stake: dict[str, int]) -> None:
        super().__init__()
        self._stake = stake
        self._aggregators: dict[tuple[str, str], tuple[Aggregator, ScenarioClock]] = {}
        self._proven = functools.lru_cache(maxsize=MEMO_SIZE)(_check_proof_bytes)
        self._valid_opcert = functools.lru_cache(maxsize=MEMO_SIZE)(OpCert.validate)

    def _check_proof(self, key: bytes | ProtocolKey) -> None:
        self._proven(key.raw if isinstance(key, ProtocolKey) else key)

    def open(self, network: Network, verifier: str) -> tuple[Aggregator, Transport, ScenarioClock]:
        entry = self._aggregators.get((network.name, verifier))
        if entry is None:
            clock = ScenarioClock(network)
            aggregator = Aggregator(
                network,
                verifier,
                self._stake,
                RegistrationStore(),
                clock,
                proof_check=self._check_proof,
                opcert_check=self._valid_opcert,
            )
            entry = self._aggregators[(network.name, verifier)] = (aggregator, clock)
        aggregator, clock = entry
        aggregator.store.clear()
        clock.round_opens_at = None
        return aggregator, InProcessTransport(aggregator), clock

    @property
    def verifications(self) -> int:
        return sum(aggregator.verifications for aggregator, _ in self._aggregators.values())

    def close(self) -> None:
        for aggregator, _ in self._aggregators.values():
            aggregator.store.close()
        self._aggregators.clear()
        self._close_signer_store()


class HttpBackend(_SignerStores):
    """One real HTTP aggregator per (network, profile) on 127.0.0.1, with a SQLite file
    store emptied before each case; signers register through :class:`HttpTransport`."""

    name = "http"

    def __init__(self, stake: dict[str, int]) -> None:
        super().__init__()
        self._stake = stake
        self._directory = tempfile.TemporaryDirectory(prefix="regression-http-")
        self._servers: dict[
            tuple[str, str], tuple[AggregatorServer, HttpTransport, ScenarioClock]
        ] = {}

    def open(self, network: Network, verifier: str) -> tuple[Aggregator, Transport, ScenarioClock]:
        entry = self._servers.get((network.name, verifier))
        if entry is None:
            clock = ScenarioClock(network)
            database = Path(self._directory.name) / f"{network.name}-{verifier}.sqlite3"
            aggregator = Aggregator(
                network, verifier, self._stake, RegistrationStore(database), clock
            )
            server = AggregatorServer(aggregator)
            server.serve_in_background()
            entry = self._servers[(network.name, verifier)] = (
                server,
                HttpTransport(server.url),
                clock,
            )
        server, transport, clock = entry
        server.aggregator.store.clear()
        clock.round_opens_at = None
        return server.aggregator, transport, clock

    @property
    def verifications(self) -> int:
        return sum(server.aggregator.verifications for server, _, _ in self._servers.values())

    def close(self) -> None:
        for server, transport, _ in self._servers.values():
            transport.close()
            server.stop()
            server.aggregator.store.close()
        self._servers.clear()
        self._directory.cleanup()
        self._close_signer_store()


class Outcome(StrEnum):
    """How a case ends. Only ``LOST`` is a failure; the expiry outcomes are a policy."""

    FIRST_ATTEMPT = "registered"
    DELAYED = "delayed"
    LOST = "lost"
    ACCEPTED_EXPIRED = "accepted-expired"
    REFUSED_EXPIRED = "refused-expired"


@dataclass(frozen=True)
class Loop:
    """A signer's run loop from one (re)start: attempts once per cycle until registered or
    until its epoch ends."""

    registered: bool
    #: Cycles after the first attempt until the one that registered (or until the epoch end).
    retries: int
    #: The signer's slot of the first attempt, and the first slot of the next epoch.
    start: int
    epoch_end: int
    #: Slots of the attempts actually run (later cycles in an unchanged view are skipped).
    attempt_slots: tuple[int, ...]
    detail: str
    #: The recording epoch registered for (None when not registered).
    recording_epoch: int | None = None


@dataclass(frozen=True)
class CaseOutcome:
    """One case's outcome, and what the operator loses with it."""

    kind: Outcome
    retries: int
    #: Seconds of signing lost (``LOST``: from the failing attempt to the epoch's end) or
    #: of delay (``DELAYED``: ``retries`` cycles); 0 otherwise.
    seconds: float
    detail: str
    #: Every attempt of the case, setup included, with the aggregator's view at each: two
    #: cases with the same views at the same slots, and the same next attempts, are the
    #: same computation.
    views: tuple[Seen, ...] = ()

    @property
    def failed(self) -> bool:
        return self.kind is Outcome.LOST

    @property
    def verdict(self) -> tuple[Outcome, int]:
        """What must agree across a class (lost seconds grow linearly with the slot)."""
        return self.kind, self.retries if self.kind is Outcome.DELAYED else 0


class Stage:
    """One case: a signer profile against an aggregator profile, around one epoch, with the
    aggregator's node ``lag_seconds`` ahead of the signer's (negative: behind)."""

    def __init__(
        self,
        backend: Backend,
        keys: KeyRing,
        network: Network,
        epoch: int,
        signer: str,
        verifier: str,
        *,
        lag_seconds: float = 0,
        run_interval: float = RUN_INTERVAL_SECONDS,
        skip_unchanged: bool = True,
    ) -> None:
        self.backend, self.keys, self.network, self.epoch = backend, keys, network, epoch
        self.signer_profile = signer
        self.aggregator, inner, self.clock = backend.open(network, verifier)
        self.transport = RoundFront(self.clock, inner)
        self.signer_store = backend.signer_store()
        self.first_slot = network.epoch_first_slot(epoch)
        self.last_slot = network.epoch_last_slot(epoch)
        self.first_kes_period = network.kes_period_of(self.first_slot)
        self.lag_slots = lag_slots(network, lag_seconds)
        self.run_slots = cycle_slots(network, run_interval)
        self._views: list[Seen] = []
        #: Jump over cycles in an unchanged view (False: run every cycle, for tests).
        self.skip_unchanged = skip_unchanged

    def usual_credentials(self) -> KesCredentials:
        """A certificate in mid-life: valid through the whole epoch when the network allows."""
        span = len(self.network.kes_periods_in_epoch(self.epoch))
        age = min(CERTIFICATE_AGE, max(0, self.network.max_kes_evolutions - span - 1))
        return self.keys.credentials(self.first_kes_period - age)

    def credentials(
        self, start_kes_period: int, *, key: str = "main", issue_number: int = 0
    ) -> KesCredentials:
        return self.keys.credentials(start_kes_period, key=key, issue_number=issue_number)

    def aggregator_view(self, slot: int) -> View:
        """The aggregator's view when the signer is at ``slot`` (and its clock set there)."""
        self.clock.slot = max(self.network.shelley_slot, slot + self.lag_slots)
        return aggregator_view(self.network, slot, self.lag_slots, self.clock.round_opens_at)

    def cycle(
        self, credentials: KesCredentials, slot: int, profile: str | None = None
    ) -> str | None:
        """One cycle of the ``Unregistered`` state at ``slot``: None once registered, else why not.

        The signer reads the aggregator's ``/epoch-settings`` first: while its epoch is
        behind the signer's own it waits (mithril-signer 2543.0 ``state_machine.rs``:
        registers only when ``epoch_settings.epoch >= epoch``); the recording epoch is the
        aggregator's epoch + 1, the KES evolutions come from the signer's own node.
        """
        view = self.aggregator_view(slot)
        own = self.network.point(slot)
        if view[0] < own.epoch:
            return f"waiting: the aggregator's epoch settings are for epoch {view[0]}"
        signer = Signer(
            self.network,
            credentials,
            self.signer_store,
            self.transport,
            profile=profile or self.signer_profile,
            new_protocol_key=self.keys.next_protocol_key,
        )
        attempt = signer.register(ChainPoint(slot, view[0], own.kes_period))
        return None if self.holds(attempt) else attempt.message

    def run_loop(
        self,
        credentials: KesCredentials,
        start: int,
        *,
        profile: str | None = None,
        until: int | None = None,
    ) -> Loop:
        """The signer (re)started at ``start``: a cycle every ``run_interval`` until it
        registers, its epoch ends or the signer slot ``until`` is passed.

        A failing cycle that left the signer's store as it found it (a failing attempt
        writes nothing to the aggregator) is repeated exactly by every further cycle in the
        same view (own epoch and KES period, the aggregator's epoch, KES period and round):
        the loop jumps to the first cycle at or after the next change of view.
        """
        epoch_end = self.network.epoch_last_slot(self.network.epoch_of(start)) + 1
        stop = epoch_end if until is None else min(epoch_end, until + 1)
        slots: list[int] = []
        slot, retries, detail = start, 0, ""
        while slot < stop:
            view = self.aggregator_view(slot)
            recording = view[0] + 1
            before = self.signer_store.changes
            reason = self.cycle(credentials, slot, profile)
            slots.append(slot)
            if reason is None:
                self._views.append(Seen(slot, self.clock.round_opens_at, view))
                said = detail or "registered"
                return Loop(True, retries, start, epoch_end, tuple(slots), said, recording)
            detail = detail or reason  # the first refusal: what the operator's log shows first
            step = 1
            jumped = self.skip_unchanged and self.signer_store.changes == before
            if jumped:
                change = next_change(self.network, slot, self.lag_slots, self.clock.round_opens_at)
                step = max(1, -(-(change - slot) // self.run_slots))
            self._views.append(
                Seen(slot, self.clock.round_opens_at, view, jumped, slot + step * self.run_slots)
            )
            slot += step * self.run_slots
            retries += step
        return Loop(False, retries, start, epoch_end, tuple(slots), detail)

    def holds(self, attempt: Attempt) -> bool:
        """The signer counts itself registered, and the aggregator holds the protocol key the
        signer will sign with for that epoch."""
        if not attempt.holds_registration:
            return False
        stored = self.aggregator.store.get(attempt.recording_epoch, self.keys.pool_id)
        own = self.signer_store.load(attempt.recording_epoch)
        return stored is not None and own is not None and stored.protocol_key == own.protocol_key

    def expired(self, credentials: KesCredentials, slot: int) -> bool:
        """Whether the certificate is past ``max_kes_evolutions`` at ``slot``."""
        evolutions = self.network.kes_evolutions(max(0, slot), credentials.start_kes_period)
        return evolutions >= self.network.max_kes_evolutions

    def judge(self, loop: Loop, credentials: KesCredentials) -> CaseOutcome:
        """The case's outcome from its decisive loop; an expired certificate (for the signer
        or for the aggregator's node) is a policy outcome.

        A loop that failed and registered only for a later round (the aggregator's node had
        already entered the next epoch) did not recover within its epoch: signing lost,
        counted to the epoch's end (the last ``lag`` seconds it may still sign are ignored).
        """
        views = tuple(self._views)
        start = loop.start
        if self.expired(credentials, start) or self.expired(credentials, start + self.lag_slots):
            kind = Outcome.ACCEPTED_EXPIRED if loop.registered else Outcome.REFUSED_EXPIRED
            return CaseOutcome(kind, 0, 0.0, loop.detail, views)
        slot_length = self.network.slot_length
        if loop.registered and loop.retries == 0:
            return CaseOutcome(Outcome.FIRST_ATTEMPT, 0, 0.0, loop.detail, views)
        own_round = self.network.epoch_of(start) + 1
        if loop.registered and loop.recording_epoch == own_round:
            seconds = loop.retries * self.run_slots * slot_length
            return CaseOutcome(Outcome.DELAYED, loop.retries, seconds, loop.detail, views)
        seconds = (loop.epoch_end - loop.start) * slot_length
        return CaseOutcome(Outcome.LOST, loop.retries, seconds, loop.detail, views)


def aggregator_view(network: Network, slot: int, lag: int, round_opens_at: int | None) -> View:
    """(epoch, KES period, round open) of an aggregator whose node is ``lag`` slots ahead of
    a signer at ``slot``; its round opens at its own slot ``round_opens_at`` (None: at its
    epoch change)."""
    aggregator = max(network.shelley_slot, slot + lag)
    epoch = network.epoch_of(aggregator)
    waiting = round_opens_at is not None and (
        network.epoch_first_slot(epoch) <= aggregator < round_opens_at
    )
    return epoch, network.kes_period_of(aggregator), not waiting


def next_change(network: Network, slot: int, lag: int, round_opens_at: int | None) -> int:
    """The first signer slot after ``slot`` where the signer's view or the view of an
    aggregator ``lag`` slots ahead changes (KES period, epoch, round opening)."""
    aggregator = max(network.shelley_slot, slot + lag)
    candidates = [
        network.kes_period_first_slot(network.kes_period_of(slot) + 1),
        network.epoch_last_slot(network.epoch_of(slot)) + 1,
        network.kes_period_first_slot(network.kes_period_of(aggregator) + 1) - lag,
        network.epoch_last_slot(network.epoch_of(aggregator)) + 1 - lag,
    ]
    if round_opens_at is not None:
        candidates.append(round_opens_at - lag)
    return min(c for c in candidates if c > slot)


def lag_slots(network: Network, lag_seconds: float) -> int:
    """A chain lag in whole slots (rounded toward zero)."""
    return int(lag_seconds / network.slot_length)


def cycle_slots(network: Network, run_interval: float) -> int:
    """One run cycle in slots (at least one)."""
    return max(1, math.ceil(run_interval / network.slot_length))
