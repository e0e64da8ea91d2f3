"""The world one scenario case runs in: the operator's keys, an aggregator (in-process or
behind the real HTTP server), a signer store and the clock the aggregator reads.

The key ring lives for the whole run and caches evolved KES keys, so a case only pays for
what it tests: signing, verifying, storing.
"""

from __future__ import annotations

import itertools
import math
import tempfile
from dataclasses import dataclass
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
from release.nodes.transport import HttpTransport, Transport
from release.stm import ProtocolKey, new_protocol_key, verify_protocol_key

#: A signer retries every 60 to 120 s while registration fails; the middle of that range.
RETRY_SECONDS = 90
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


class ScenarioClock:
    """The aggregator's chain view, moved by the scenario; ``kes_skew`` shifts only the KES
    period it observes (its node one period behind or ahead of the signer's)."""

    def __init__(self, network: Network) -> None:
        self.network = network
        self.slot = network.shelley_slot
        self.kes_skew = 0

    def now(self) -> ChainPoint:
        point = self.network.point(self.slot)
        return ChainPoint(point.slot, point.epoch, point.kes_period + self.kes_skew)


class Backend(Protocol):
    """Where the aggregator of a case runs."""

    name: str

    def open(self, network: Network, verifier: str) -> tuple[Aggregator, Transport, ScenarioClock]:
        """An empty aggregator, the transport signers reach it with, and its clock."""

    def close_case(self, aggregator: Aggregator) -> None: ...

    @property
    def verifications(self) -> int: ...

    def close(self) -> None: ...


class InProcessBackend:
    """A new aggregator with an in-memory SQLite store for every case.

    Proof-of-possession checks are memoised by key bytes across the run: the suite's signers
    resend the same keys many times, and a key's proof does not change between cases.
    """

    name = "in-process"

    def __init__(self, stake: dict[str, int]) -> None:
        self._stake = stake
        self._verifications = 0
        self._proven: set[bytes] = set()

    def _check_proof(self, key: bytes | ProtocolKey) -> None:
        raw = key.raw if isinstance(key, ProtocolKey) else key
        if raw not in self._proven:
            verify_protocol_key(key)
            self._proven.add(raw)

    def open(self, network: Network, verifier: str) -> tuple[Aggregator, Transport, ScenarioClock]:
        clock = ScenarioClock(network)
        aggregator = Aggregator(
            network,
            verifier,
            self._stake,
            RegistrationStore(),
            clock,
            proof_check=self._check_proof,
        )
        return aggregator, InProcessTransport(aggregator), clock

    def close_case(self, aggregator: Aggregator) -> None:
        self._verifications += aggregator.verifications
        aggregator.store.close()

    @property
    def verifications(self) -> int:
        return self._verifications

    def close(self) -> None:
        pass


class HttpBackend:
    """One real HTTP aggregator per (network, profile) on 127.0.0.1, with a SQLite file
    store emptied before each case; signers register through :class:`HttpTransport`."""

    name = "http"

    def __init__(self, stake: dict[str, int]) -> None:
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
        clock.kes_skew = 0
        return server.aggregator, transport, clock

    def close_case(self, aggregator: Aggregator) -> None:
        pass

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


@dataclass(frozen=True)
class CaseOutcome:
    """Whether the signer ended up registered, and whether it should have."""

    registered: bool
    correct: bool
    detail: str

    @property
    def failed(self) -> bool:
        return self.registered != self.correct

    @property
    def verdict(self) -> tuple[bool, bool]:
        return self.registered, self.correct


class Stage:
    """One case: a signer profile against an aggregator profile, around one epoch."""

    def __init__(
        self,
        backend: Backend,
        keys: KeyRing,
        network: Network,
        epoch: int,
        signer: str,
        verifier: str,
    ) -> None:
        self.backend, self.keys, self.network, self.epoch = backend, keys, network, epoch
        self.signer_profile = signer
        self.aggregator, self.transport, self.clock = backend.open(network, verifier)
        self.signer_store = ProtocolKeyStore()
        self.first_slot = network.epoch_first_slot(epoch)
        self.last_slot = network.epoch_last_slot(epoch)
        self.first_kes_period = network.kes_period_of(self.first_slot)

    @property
    def retry_slots(self) -> int:
        """One signer retry cycle, in slots (kept inside one epoch on tiny devnets)."""
        return min(
            math.ceil(RETRY_SECONDS / self.network.slot_length), self.network.epoch_length - 1
        )

    def usual_credentials(self) -> KesCredentials:
        """A certificate in mid-life: valid through the whole epoch when the network allows."""
        span = len(self.network.kes_periods_in_epoch(self.epoch))
        age = min(CERTIFICATE_AGE, max(0, self.network.max_kes_evolutions - span - 1))
        return self.keys.credentials(self.first_kes_period - age)

    def credentials(
        self, start_kes_period: int, *, key: str = "main", issue_number: int = 0
    ) -> KesCredentials:
        return self.keys.credentials(start_kes_period, key=key, issue_number=issue_number)

    def attempt(
        self,
        credentials: KesCredentials,
        slot: int,
        *,
        profile: str | None = None,
        aggregator_slot: int | None = None,
        kes_skew: int = 0,
    ) -> Attempt:
        """A signer process (new, or restarted over the same store) registering at ``slot``."""
        self.clock.slot = slot if aggregator_slot is None else aggregator_slot
        self.clock.kes_skew = kes_skew
        signer = Signer(
            self.network,
            credentials,
            self.signer_store,
            self.transport,
            profile=profile or self.signer_profile,
            new_protocol_key=self.keys.next_protocol_key,
        )
        return signer.register(self.network.point(slot))

    def holds(self, attempt: Attempt) -> bool:
        """The signer counts itself registered, and the aggregator holds the protocol key the
        signer will sign with for that epoch."""
        if not attempt.holds_registration:
            return False
        stored = self.aggregator.store.get(attempt.recording_epoch, self.keys.pool_id)
        own = self.signer_store.load(attempt.recording_epoch)
        return stored is not None and own is not None and stored.protocol_key == own.protocol_key

    def valid(self, credentials: KesCredentials, slot: int) -> bool:
        """The correct outcome: the operator holds a valid, unexpired certificate at ``slot``."""
        return self.network.opcert_valid_at(slot, credentials.start_kes_period)

    def judged_attempt(
        self, credentials: KesCredentials, slot: int, *, kes_skew: int = 0
    ) -> CaseOutcome:
        """Register at ``slot``; correct means registered exactly when :meth:`valid` there."""
        attempt = self.attempt(credentials, slot, kes_skew=kes_skew)
        return CaseOutcome(self.holds(attempt), self.valid(credentials, slot), attempt.message)

    def close(self) -> None:
        self.signer_store.close()
        self.backend.close_case(self.aggregator)
