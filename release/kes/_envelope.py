"""cardano-cli text envelopes: ``{"type", "description", "cborHex"}`` JSON files."""

from __future__ import annotations

import binascii
import json
from dataclasses import dataclass

import cbor2

from release.kes._cbor import decode_cbor
from release.kes._errors import EnvelopeError, KeyFormatError
from release.kes._opcert import OpCert, cold_verification_key
from release.kes._sum import (
    CLI_SECRET_KEY_SIZE,
    SECRET_KEY_SIZE,
    SEED_SIZE,
    VERIFICATION_KEY_SIZE,
    period_of,
)

KES_SIGNING_KEY_TYPE = "KesSigningKey_ed25519_kes_2^6"
KES_VERIFICATION_KEY_TYPE = "KesVerificationKey_ed25519_kes_2^6"
COLD_SIGNING_KEY_TYPE = "StakePoolSigningKey_ed25519"
COLD_VERIFICATION_KEY_TYPE = "StakePoolVerificationKey_ed25519"
OPCERT_TYPE = "NodeOperationalCertificate"
ISSUE_COUNTER_TYPE = "NodeOperationalCertificateIssueCounter"

#: Envelopes are small; anything bigger is not one of ours (and is not read into memory whole).
MAX_ENVELOPE_SIZE = 64 * 1024
_KES_BODY_SIZE_BY_DEPTH = {depth: SEED_SIZE + 96 * depth for depth in range(1, 10)}


@dataclass(frozen=True)
class TextEnvelope:
    type: str
    description: str
    #: The CBOR bytes (``cborHex`` decoded).
    cbor: bytes

    def to_text(self, *, compact: bool = False) -> str:
        """cardano-cli's layout (4-space indent, newline at the end), or Mithril's compact one."""
        document = {"type": self.type, "description": self.description, "cborHex": self.cbor.hex()}
        if compact:
            return json.dumps(document, separators=(",", ":"))
        return json.dumps(document, indent=4) + "\n"

    @classmethod
    def parse(cls, text: str | bytes) -> TextEnvelope:
        if len(text) > MAX_ENVELOPE_SIZE:
            raise EnvelopeError(
                f"a text envelope is at most {MAX_ENVELOPE_SIZE} bytes, got {len(text)}"
            )
        try:
            document = json.loads(text)
        except (ValueError, RecursionError) as failure:
            raise EnvelopeError(f"a text envelope is a JSON object: {failure}") from None
        if not isinstance(document, dict):
            raise EnvelopeError(
                "a text envelope is a JSON object with type, description and cborHex"
            )
        envelope_type = document.get("type")
        description = document.get("description", "")
        cbor_hex = document.get("cborHex")
        if not isinstance(envelope_type, str):
            raise EnvelopeError('the text envelope has no "type" string')
        if not isinstance(description, str):
            raise EnvelopeError('the text envelope\'s "description" is not a string')
        if not isinstance(cbor_hex, str):
            raise EnvelopeError('the text envelope has no "cborHex" string')
        try:
            payload = binascii.unhexlify(cbor_hex)
        except (binascii.Error, ValueError):
            raise EnvelopeError('the text envelope\'s "cborHex" is not hexadecimal') from None
        return cls(envelope_type, description, payload)

    def expect(self, *types: str) -> TextEnvelope:
        if self.type not in types:
            raise EnvelopeError(
                f"expected a text envelope of type {' or '.join(types)}, got {self.type!r}"
            )
        return self

    def cbor_bytes(self, size: int | None = None) -> bytes:
        """The envelope's payload when it is one CBOR byte string (of ``size`` bytes)."""
        value = decode_cbor(self.cbor, f"the {self.type} envelope's cborHex", EnvelopeError)
        if not isinstance(value, bytes):
            raise EnvelopeError(f"the {self.type} envelope should hold a CBOR byte string")
        if size is not None and len(value) != size:
            raise KeyFormatError(
                f"the {self.type} envelope holds {len(value)} bytes, expected {size}"
            )
        return value


def _bytes_envelope(envelope_type: str, description: str, payload: bytes) -> TextEnvelope:
    return TextEnvelope(envelope_type, description, cbor2.dumps(payload))


def kes_signing_key_envelope(sk: bytes, *, mithril: bool = False) -> str:
    """A KES signing key file: cardano-cli's 608-byte form, or Mithril's with the period.

    cardano-node can only read a key at period 0 (it evolves keys in memory), so an evolved
    key can only be written in Mithril's form.
    """
    period = period_of(sk)
    if mithril:
        body = sk[:CLI_SECRET_KEY_SIZE] + period.to_bytes(4, "big")
        return _bytes_envelope(KES_SIGNING_KEY_TYPE, "KES Signing Key", body).to_text(compact=True)
    if period != 0:
        raise KeyFormatError(
            f"the key is at period {period}: cardano-cli's format has no period, so only a "
            "period-0 key can be written in it (write Mithril's form instead)"
        )
    return _bytes_envelope(
        KES_SIGNING_KEY_TYPE, "KES Signing Key", sk[:CLI_SECRET_KEY_SIZE]
    ).to_text()


def kes_signing_key_from_envelope(text: str | bytes) -> bytes:
    """The 612-byte secret key from a cardano-cli (period 0) or Mithril (with period) key file."""
    envelope = TextEnvelope.parse(text)
    if not envelope.type.startswith("KesSigningKey_"):
        raise EnvelopeError(
            f"expected a KES signing key envelope ({KES_SIGNING_KEY_TYPE}), got {envelope.type!r}"
        )
    body = envelope.cbor_bytes()
    if envelope.type != KES_SIGNING_KEY_TYPE and len(body) in (
        CLI_SECRET_KEY_SIZE,
        SECRET_KEY_SIZE,
    ):
        raise KeyFormatError(
            f"the envelope's type {envelope.type!r} does not match its key: {len(body)} bytes"
            f" is a Sum6 (2^6-period) key, whose type is {KES_SIGNING_KEY_TYPE!r}"
        )
    if len(body) == CLI_SECRET_KEY_SIZE:
        return body + bytes(4)
    if len(body) == SECRET_KEY_SIZE:
        period_of(body)
        return body
    depth = next((d for d, size in _KES_BODY_SIZE_BY_DEPTH.items() if size == len(body)), None)
    kind = f" (a {depth}-level, 2^{depth}-period KES key)" if depth else ""
    raise KeyFormatError(
        f"the KES signing key holds {len(body)} bytes{kind}; a Sum6 key is "
        f"{CLI_SECRET_KEY_SIZE} bytes, or {SECRET_KEY_SIZE} in Mithril's form with its period"
    )


def kes_verification_key_envelope(vk: bytes) -> str:
    _require_vk(vk, "KES")
    return _bytes_envelope(KES_VERIFICATION_KEY_TYPE, "KES Verification Key", vk).to_text()


def kes_verification_key_from_envelope(text: str | bytes) -> bytes:
    envelope = TextEnvelope.parse(text).expect(KES_VERIFICATION_KEY_TYPE)
    return envelope.cbor_bytes(VERIFICATION_KEY_SIZE)


def cold_signing_key_envelope(cold_seed: bytes) -> str:
    cold_verification_key(cold_seed)
    return _bytes_envelope(
        COLD_SIGNING_KEY_TYPE, "Stake Pool Operator Signing Key", cold_seed
    ).to_text()


def cold_signing_key_from_envelope(text: str | bytes) -> bytes:
    envelope = TextEnvelope.parse(text).expect(
        COLD_SIGNING_KEY_TYPE, "GenesisDelegateSigningKey_ed25519"
    )
    return envelope.cbor_bytes(SEED_SIZE)


def cold_verification_key_envelope(cold_vk: bytes) -> str:
    _require_vk(cold_vk, "cold")
    description = "Stake Pool Operator Verification Key"
    return _bytes_envelope(COLD_VERIFICATION_KEY_TYPE, description, cold_vk).to_text()


def cold_verification_key_from_envelope(text: str | bytes) -> bytes:
    envelope = TextEnvelope.parse(text).expect(
        COLD_VERIFICATION_KEY_TYPE, "GenesisDelegateVerificationKey_ed25519"
    )
    return envelope.cbor_bytes(VERIFICATION_KEY_SIZE)


def opcert_envelope(opcert: OpCert) -> str:
    return TextEnvelope(OPCERT_TYPE, "", opcert.to_cbor()).to_text()


def opcert_from_envelope(text: str | bytes) -> OpCert:
    return OpCert.from_cbor(TextEnvelope.parse(text).expect(OPCERT_TYPE).cbor)


def issue_counter_envelope(next_issue_number: int, cold_vk: bytes) -> str:
    """The counter file ``issue-op-cert`` reads and bumps: ``[next issue number, cold_vk]``."""
    _require_vk(cold_vk, "cold")
    description = f"Next certificate issue number: {next_issue_number}"
    payload = cbor2.dumps([next_issue_number, cold_vk])
    return TextEnvelope(ISSUE_COUNTER_TYPE, description, payload).to_text()


def issue_counter_from_envelope(text: str | bytes) -> tuple[int, bytes]:
    envelope = TextEnvelope.parse(text).expect(ISSUE_COUNTER_TYPE)
    value = decode_cbor(envelope.cbor, "the issue counter", EnvelopeError)
    if (
        not isinstance(value, list)
        or len(value) != 2
        or type(value[0]) is not int
        or value[0] < 0
        or not isinstance(value[1], bytes)
        or len(value[1]) != VERIFICATION_KEY_SIZE
    ):
        raise EnvelopeError(
            "an issue counter holds [next issue number, 32-byte cold verification key]"
        )
    return value[0], value[1]


def _require_vk(vk: bytes, kind: str) -> None:
    if not isinstance(vk, bytes) or len(vk) != VERIFICATION_KEY_SIZE:
        raise KeyFormatError(f"a {kind} verification key is {VERIFICATION_KEY_SIZE} bytes")
