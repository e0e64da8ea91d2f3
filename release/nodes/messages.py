"""The ``register-signer`` message and its JSON wire form (Mithril's openapi 0.1.54)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from release.kes import (
    KesError,
    OpCert,
    decode_kes_signature,
    decode_opcert,
    decode_protocol_key,
    encode_kes_signature,
    encode_opcert,
    encode_protocol_key,
)
from release.nodes.errors import PayloadDecodeError
from release.stm import ProtocolKey, StmError, check_protocol_key


@dataclass(frozen=True)
class Registration:
    """One signer registration for a recording epoch."""

    #: The recording epoch (the signer's epoch + 1).
    epoch: int
    #: The 192-byte protocol key: BLS verification key || proof of possession.
    protocol_key: bytes
    kes_signature: bytes | None
    opcert: OpCert | None
    #: The evolutions the signer says it signed at (informational for the legacy verifiers).
    kes_period: int | None
    #: Sent by signers; only meaningful without an opcert (Mithril's test mode).
    party_id: str | None = None
    #: The protocol key's points as the decoder checked them (None when built in process).
    decoded_key: ProtocolKey | None = field(default=None, compare=False, repr=False)

    @property
    def signed_message(self) -> bytes:
        """What the KES key signs: bytes(vk) || bytes(pop), i.e. the protocol key itself."""
        return self.protocol_key

    def to_wire(self) -> dict[str, Any]:
        return {
            "epoch": self.epoch,
            "party_id": self.party_id,
            "verification_key": encode_protocol_key(self.protocol_key),
            "verification_key_signature": (
                None if self.kes_signature is None else encode_kes_signature(self.kes_signature)
            ),
            "operational_certificate": None if self.opcert is None else encode_opcert(self.opcert),
            "kes_period": self.kes_period,
        }

    @classmethod
    def from_wire(cls, document: object) -> Registration:
        """Decode a parsed JSON body; every defect is a :class:`PayloadDecodeError`."""
        if not isinstance(document, Mapping):
            raise PayloadDecodeError("the body must be a JSON object")
        epoch = _optional_int(document, "epoch")
        if epoch is None:
            raise PayloadDecodeError("missing field epoch")
        key_text = document.get("verification_key")
        if not isinstance(key_text, str):
            raise PayloadDecodeError("missing field verification_key (a hex string)")
        party_id = document.get("party_id")
        if not isinstance(party_id, str):
            raise PayloadDecodeError("missing field party_id (a string)")
        try:
            protocol_key = decode_protocol_key(key_text)
            # Mithril's decoder validates the points (key_validate) before any other check.
            decoded_key = check_protocol_key(protocol_key)
            signature = _optional_text(document, "verification_key_signature")
            opcert = _optional_text(document, "operational_certificate")
            return cls(
                epoch=epoch,
                protocol_key=protocol_key,
                kes_signature=None if signature is None else decode_kes_signature(signature),
                opcert=None if opcert is None else decode_opcert(opcert),
                kes_period=_optional_int(document, "kes_period"),
                party_id=party_id,
                decoded_key=decoded_key,
            )
        except (KesError, StmError) as failure:
            raise PayloadDecodeError(str(failure)) from None


def _optional_text(document: Mapping[str, object], field: str) -> str | None:
    value = document.get(field)
    if value is not None and not isinstance(value, str):
        raise PayloadDecodeError(f"{field} must be a hex string or null")
    return value


def _optional_int(document: Mapping[str, object], field: str) -> int | None:
    value = document.get(field)
    if value is not None and (type(value) is not int or not 0 <= value < 1 << 64):
        raise PayloadDecodeError(f"{field} must be an unsigned 64-bit integer, got {value!r}")
    return value
