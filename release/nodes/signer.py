"""The registration step of a Mithril signer, in each released behaviour and the fix.

One call to :meth:`Signer.register` is one attempt: what the signer does when it enters an
epoch, after every restart, and on each retry cycle while registration fails. A new
``Signer`` over the same store is a restarted process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from release.chain import ChainPoint, Network
from release.kes import KesError
from release.nodes.credentials import KesCredentials
from release.nodes.errors import CredentialsError
from release.nodes.messages import Registration
from release.nodes.profiles import SIGNER_PROFILES, require_profile
from release.nodes.signer_store import ProtocolKeyRecord, ProtocolKeyStore
from release.nodes.transport import DryRunTransport, Transport
from release.stm import new_protocol_key as fresh_protocol_key


class AttemptStatus(StrEnum):
    REGISTERED = "registered"
    #: 0.2.276 with a stored key: it sends nothing and counts itself registered.
    ALREADY_REGISTERED = "already-registered"
    REJECTED = "rejected"
    #: A dry run: the registration was built and shown, never sent.
    NOT_SENT = "not-sent"
    #: The signer could not build a registration (key cannot evolve, certificate expired...).
    FAILED = "failed"


@dataclass(frozen=True)
class Attempt:
    status: AttemptStatus
    recording_epoch: int
    kes_evolutions: int
    message: str
    http_status: int | None = None
    sent: Registration | None = None

    @property
    def holds_registration(self) -> bool:
        """Whether the signer goes on to sign (it is stuck until the next epoch otherwise)."""
        return self.status in {AttemptStatus.REGISTERED, AttemptStatus.ALREADY_REGISTERED}


@dataclass(frozen=True)
class _Round:
    recording_epoch: int
    evolutions: int
    slot: int


class Signer:
    def __init__(
        self,
        network: Network,
        credentials: KesCredentials,
        store: ProtocolKeyStore,
        transport: Transport,
        *,
        profile: str = "fixed",
        new_protocol_key: Callable[[], bytes] = fresh_protocol_key,
    ) -> None:
        self.network = network
        self.credentials = credentials
        self.store = store
        self.transport = transport
        self.profile = require_profile(profile, SIGNER_PROFILES, "signer")
        self.new_protocol_key = new_protocol_key

    def register(self, point: ChainPoint, *, recording_epoch: int | None = None) -> Attempt:
        """One registration attempt at the signer's chain ``point``, for ``recording_epoch``:
        what the aggregator's ``/epoch-settings`` says (its epoch + 1), as real signers read
        it, or ``point.epoch + 1`` when the caller models the aggregator's clock itself."""
        attempt = _Round(
            point.epoch + 1 if recording_epoch is None else recording_epoch,
            point.kes_period - self.credentials.start_kes_period,
            point.slot,
        )
        if attempt.evolutions < 0:
            return self._failed(
                attempt,
                "the operational certificate starts at KES period "
                f"{self.credentials.start_kes_period}, "
                f"after the current period {point.kes_period}",
            )
        try:
            return _BEHAVIOURS[self.profile](self, attempt)
        except (KesError, CredentialsError) as failure:
            return self._failed(
                attempt, f"cannot KES-sign at evolutions {attempt.evolutions}: {failure}"
            )

    # -- building blocks of the behaviours -------------------------------------------------

    def _fresh_record(self, attempt: _Round) -> ProtocolKeyRecord:
        key = self.new_protocol_key()
        signature = self.credentials.sign(key, attempt.evolutions)
        return ProtocolKeyRecord(key, signature, attempt.evolutions, attempt.slot)

    def _send(self, attempt: _Round, protocol_key: bytes, signature: bytes | None) -> Attempt:
        registration = Registration(
            epoch=attempt.recording_epoch,
            protocol_key=protocol_key,
            kes_signature=signature,
            opcert=self.credentials.opcert,
            kes_period=attempt.evolutions,
            party_id=self.credentials.pool_id,
        )
        reply = self.transport.send(registration)
        if reply.status == DryRunTransport.NOT_SENT:
            return Attempt(
                AttemptStatus.NOT_SENT,
                attempt.recording_epoch,
                attempt.evolutions,
                "dry run: this registration was not sent",
                None,
                registration,
            )
        status = AttemptStatus.REGISTERED if reply.accepted else AttemptStatus.REJECTED
        message = (
            "registered"
            if reply.accepted
            else f"HTTP {reply.status} {reply.label}: {reply.message}"
        )
        return Attempt(
            status, attempt.recording_epoch, attempt.evolutions, message, reply.status, registration
        )

    def _failed(self, attempt: _Round, message: str) -> Attempt:
        return Attempt(AttemptStatus.FAILED, attempt.recording_epoch, attempt.evolutions, message)

    # -- the behaviours ------------------------------------------------------------------

    def _register_then_store(self, attempt: _Round) -> Attempt:
        """0.2.268: a fresh key signed now, stored (insert or replace) once accepted."""
        record = self._fresh_record(attempt)
        result = self._send(attempt, record.protocol_key, record.kes_signature)
        if result.status is AttemptStatus.REGISTERED:
            self.store.insert_or_replace(attempt.recording_epoch, record)
        return result

    def _resend_stored(self, attempt: _Round) -> Attempt:
        """0.2.273: store a fresh key only if none is stored, then send the stored key and
        its original signature, with the current certificate and evolutions: the incident."""
        self.store.insert_or_ignore(attempt.recording_epoch, self._fresh_record(attempt))
        stored = self.store.load(attempt.recording_epoch)
        assert stored is not None, "inserted just above"
        return self._send(attempt, stored.protocol_key, stored.kes_signature)

    def _register_once(self, attempt: _Round) -> Attempt:
        """0.2.276 (upstream hotfix): a stored key means already registered, so send nothing."""
        if self.store.load(attempt.recording_epoch) is not None:
            return Attempt(
                AttemptStatus.ALREADY_REGISTERED,
                attempt.recording_epoch,
                attempt.evolutions,
                f"a protocol key is stored for epoch {attempt.recording_epoch}: not registering "
                "again",
            )
        return self._register_then_store(attempt)

    def _sign_afresh(self, attempt: _Round) -> Attempt:
        """fixed: one protocol key per recording epoch, KES-signed now with the current key."""
        limit = self.network.max_kes_evolutions
        if attempt.evolutions >= limit:
            return self._failed(
                attempt,
                f"the operational certificate expired: evolutions {attempt.evolutions} >= "
                "max_kes_evolutions "
                f"{limit} (started at KES period {self.credentials.start_kes_period}); rotate the "
                "KES key",
            )
        record = ProtocolKeyRecord(self.new_protocol_key(), None, None, attempt.slot)
        self.store.insert_or_ignore(attempt.recording_epoch, record)
        stored = self.store.load(attempt.recording_epoch)
        assert stored is not None, "inserted just above"
        signature = self.credentials.sign(stored.protocol_key, attempt.evolutions)
        return self._send(attempt, stored.protocol_key, signature)


_BEHAVIOURS: dict[str, Callable[[Signer, _Round], Attempt]] = {
    "0.2.268": Signer._register_then_store,
    "0.2.273": Signer._resend_stored,
    "0.2.276": Signer._register_once,
    "fixed": Signer._sign_afresh,
}
