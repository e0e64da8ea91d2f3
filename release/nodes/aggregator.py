"""The registration path of a Mithril aggregator: round, opcert, KES window, stake, store."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from release.chain import Clock, Network
from release.kes import (
    OpCert,
    encode_kes_signature,
    encode_opcert,
    encode_protocol_key,
    verify_window,
)
from release.nodes.aggregator_store import RegistrationStore, StoredRegistration
from release.nodes.api import API_VERSION
from release.nodes.errors import (
    AggregatorError,
    EpochParameterError,
    InvalidOpCertError,
    KesSignatureRejectedError,
    OpCertValidityError,
    ProtocolKeyRejectedError,
    RegistrationRejectedError,
    RoundNotOpenedError,
    StakeFileError,
    StoreError,
    UnknownPoolError,
    WrongEpochError,
)
from release.nodes.messages import Registration
from release.nodes.transport import Reply
from release.nodes.verifiers import Verifier, get_verifier
from release.stm import ProtocolKey, StmError, verify_protocol_key

log = logging.getLogger("release.nodes.aggregator")

#: Epochs are signed 64-bit on Mithril's API (and in SQLite).
MAX_EPOCH = (1 << 63) - 1
#: The registration protocol's parameters on Mithril's release networks (k, m, phi_f).
PROTOCOL_PARAMETERS = {"k": 2422, "m": 20973, "phi_f": 0.2}
DOCUMENTATION_URL = "https://mithril.network/doc"


def load_stake(path: str | Path) -> dict[str, int]:
    """A stake distribution file: JSON ``{"pool1...": stake, ...}``."""
    try:
        document = json.loads(Path(path).read_text())
    except OSError as failure:
        raise StakeFileError(f"cannot read the stake file {path}: {failure.strerror}") from None
    except (ValueError, UnicodeDecodeError) as failure:
        raise StakeFileError(f"the stake file {path} is not JSON: {failure}") from None
    if not isinstance(document, dict) or not document:
        raise StakeFileError(
            f'the stake file {path} must be a non-empty object {{"pool1...": stake}}'
        )
    for pool, stake in document.items():
        if not pool.startswith("pool1"):
            raise StakeFileError(
                f"the stake file {path} has key {pool!r}, which is not a pool id (pool1...)"
            )
        if type(stake) is not int or stake < 0:
            raise StakeFileError(
                f"the stake file {path} gives {pool} the stake {stake!r}, not an integer >= 0"
            )
    return document


class Aggregator:
    """Accepts or refuses registrations for the round its clock says is open.

    The round for epoch E+1 opens when the aggregator's chain reaches epoch E; the stake
    distribution is the one given at start (one distribution for every round).
    ``proof_check`` verifies a protocol key's proof of possession (raising
    :class:`~release.stm.StmError`) and ``opcert_check`` whether a certificate is signed by
    its cold key; callers that see the same keys and certificates again may memoise them.
    ``round_open`` says whether the round is open: as Mithril, 550 only while it is not
    (between the epoch-change steps), 500 for a message of any other epoch than the round's.
    The executables open the round at once (their stake distribution never changes).
    """

    def __init__(
        self,
        network: Network,
        verifier: Verifier | str,
        stake: Mapping[str, int],
        store: RegistrationStore,
        clock: Clock,
        *,
        proof_check: Callable[[bytes | ProtocolKey], None] = verify_protocol_key,
        opcert_check: Callable[[OpCert], bool] = OpCert.validate,
        round_open: Callable[[], bool] = lambda: True,
    ) -> None:
        self.network = network
        self.proof_check = proof_check
        self.opcert_check = opcert_check
        self.round_open = round_open
        self.verifier = get_verifier(verifier) if isinstance(verifier, str) else verifier
        self.stake = dict(stake)
        self.store = store
        self.clock = clock
        #: KES signature verifications run (one KES operation each).
        self.verifications = 0

    def register(self, registration: Registration) -> StoredRegistration:
        """Check and store one registration; every refusal is an :class:`AggregatorError`."""
        point = self.clock.now()
        round_epoch = point.epoch + 1
        if not self.round_open():
            raise RoundNotOpenedError(
                f"the signer registration round is not opened yet (the aggregator is in epoch "
                f"{point.epoch}, between its epoch-change steps)"
            )
        if registration.epoch != round_epoch:
            raise WrongEpochError(
                f"unexpected signer registration round epoch: current_round_epoch: "
                f"{round_epoch}, received_epoch: {registration.epoch}"
            )
        opcert, signature = registration.opcert, registration.kes_signature
        if opcert is None or signature is None:
            raise RegistrationRejectedError(
                "an operational certificate and a KES signature are required (no test-mode "
                "registrations)"
            )
        if not self.opcert_check(opcert):
            raise InvalidOpCertError(
                f"the operational certificate of {opcert.pool_id} is not signed by its cold key"
            )
        start = opcert.start_kes_period
        evolutions = point.kes_period - start
        limit = self.network.max_kes_evolutions
        if self.verifier.enforces_validity and not 0 <= evolutions < limit:
            raise OpCertValidityError(
                f"the operational certificate is not valid at KES period {point.kes_period}: it "
                "covers "
                f"periods {start} to {start + limit - 1} (evolutions {evolutions}, "
                f"max_kes_evolutions {limit})"
            )
        epoch_start = self.network.kes_period_of(self.network.epoch_first_slot(point.epoch)) - start
        window = self.verifier.window(evolutions, epoch_start, limit)
        period = self._verify(registration, window)
        if period is None:
            tried = f"evolutions {window.start}..{window.stop - 1}" if window else "no evolutions"
            raise KesSignatureRejectedError(
                f"KES signature verification error: CurrentKesPeriod={evolutions}, "
                f"StartKesPeriod={start} "
                f"(tried {tried})"
            )
        pool_id = opcert.pool_id
        stake = self.stake.get(pool_id)
        if stake is None:
            raise UnknownPoolError(
                f"{pool_id} is not in the stake distribution of epoch {round_epoch}"
            )
        try:
            self.proof_check(registration.decoded_key or registration.protocol_key)
        except StmError as failure:
            raise ProtocolKeyRejectedError(
                f"the verification key of {pool_id} is invalid: {failure}"
            ) from None
        stored = StoredRegistration(
            epoch=round_epoch,
            party_id=pool_id,
            stake=stake,
            protocol_key=registration.protocol_key,
            kes_signature=signature,
            kes_evolutions=period,
            opcert=opcert,
            registered_at_slot=point.slot,
        )
        self.store.save(stored)
        return stored

    def handle_registration(self, registration: Registration) -> Reply:
        """The HTTP answer to a registration, shared by the server and in-process callers."""
        try:
            stored = self.register(registration)
        except AggregatorError as refusal:
            log.info("register_signer::%s %s", refusal.label, refusal)
            return Reply(refusal.status, refusal.label, str(refusal))
        except StoreError as failure:
            log.error("register_signer::store_error %s", failure)
            return Reply(500, "store_error", str(failure))
        log.info("register_signer::registered %s for epoch %s", stored.party_id, stored.epoch)
        return Reply(201)

    def registrations_message(self, epoch: str | int) -> dict[str, Any] | None:
        """``GET /signers/registered/{epoch}``, Mithril's reading: signers that registered
        during ``epoch`` (recording epoch + 1, signing two epochs later), or None.

        ``epoch`` is a number, ``latest`` (the aggregator's epoch) or ``latest-N``."""
        registered_at = self._epoch_parameter(epoch)
        if registered_at == MAX_EPOCH:  # its recording epoch is past what the store holds
            return None
        registrations = self.store.for_epoch(registered_at + 1)
        if not registrations:
            return None
        return {
            "registered_at": registered_at,
            "signing_at": registered_at + 2,
            "registrations": [{"party_id": r.party_id, "stake": r.stake} for r in registrations],
        }

    def _epoch_parameter(self, epoch: str | int) -> int:
        text = str(epoch)
        current = self.clock.now().epoch
        if text == "latest":
            return current
        if text.startswith("latest-") and text[7:].isdigit() and text[7:].isascii():
            offset = int(text[7:])
            if offset > current:
                raise EpochParameterError(
                    f"invalid_epoch: {text} is before epoch 0 (the aggregator is in {current})"
                )
            return current - offset
        if not (text.isdigit() and text.isascii()) or int(text) > MAX_EPOCH:
            raise EpochParameterError(
                f"invalid_epoch: {text!r} is not an epoch (0..{MAX_EPOCH}, latest or latest-N)"
            )
        return int(text)

    def features_message(self) -> dict[str, Any]:
        """``GET /``: what this aggregator serves (Mithril's AggregatorFeaturesMessage)."""
        return {
            "open_api_version": API_VERSION,
            "documentation_url": DOCUMENTATION_URL,
            "capabilities": {
                "signed_entity_types": ["MithrilStakeDistribution"],
                "aggregate_signature_type": "Concatenation",
            },
        }

    def epoch_settings_message(self) -> dict[str, Any]:
        """``GET /epoch-settings`` (EpochSettingsMessage): the aggregator's epoch, the
        registration protocol's parameters, and the signers of this epoch and the next, from
        the registrations recorded for them."""
        epoch = self.clock.now().epoch
        return {
            "epoch": epoch,
            "signer_registration_protocol": dict(PROTOCOL_PARAMETERS),
            "current_signers": [_signer_message(r) for r in self.store.for_epoch(epoch)],
            "next_signers": [_signer_message(r) for r in self.store.for_epoch(epoch + 1)],
        }

    def _verify(self, registration: Registration, window: range) -> int | None:
        if not window:
            return None
        assert registration.opcert is not None and registration.kes_signature is not None
        self.verifications += 1
        hint = registration.kes_period if self.verifier.trusts_hint else None
        return verify_window(
            registration.opcert.kes_vk,
            registration.signed_message,
            registration.kes_signature,
            window.start,
            window.stop - 1,
            hint=hint,
        )


def _signer_message(registration: StoredRegistration) -> dict[str, Any]:
    """One registration as Mithril's ``Signer`` message (wire encodings of the key,
    signature and certificate)."""
    return {
        "party_id": registration.party_id,
        "verification_key": encode_protocol_key(registration.protocol_key),
        "verification_key_signature": encode_kes_signature(registration.kes_signature),
        "operational_certificate": encode_opcert(registration.opcert),
        "kes_period": registration.kes_evolutions,
    }
