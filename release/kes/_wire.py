"""Mithril's wire encodings: hex of compact JSON, with raw-bytes (or CBOR) hex as fallback.

Encoders reproduce the upstream strings exactly (serde_json's compact output, field order
sigma, lhs_pk, rhs_pk). Decoders accept both forms, as Mithril's do.
"""

from __future__ import annotations

import binascii
import json

from release.kes._errors import KesError, WireFormatError
from release.kes._opcert import OpCert
from release.kes._sum import DEPTH, ED25519_SIGNATURE_SIZE, SIGNATURE_SIZE, VERIFICATION_KEY_SIZE

PROTOCOL_KEY_PART_SIZE = 96
PROTOCOL_KEY_SIZE = 2 * PROTOCOL_KEY_PART_SIZE
#: Far above any honest value (a signature's JSON hex is about 4 KiB).
MAX_WIRE_TEXT = 64 * 1024


def _compact_hex(document: object) -> str:
    return json.dumps(document, separators=(",", ":")).encode().hex()


def _unhex(text: str, what: str) -> bytes:
    if not isinstance(text, str):
        raise WireFormatError(f"{what} is a hexadecimal string, got {type(text).__name__}")
    if len(text) > MAX_WIRE_TEXT:
        raise WireFormatError(
            f"{what} is {len(text)} characters, more than the {MAX_WIRE_TEXT} allowed"
        )
    try:
        return binascii.unhexlify(text)
    except (binascii.Error, ValueError):
        raise WireFormatError(f"{what} is not hexadecimal") from None


def _json_document(raw: bytes) -> object | None:
    """The JSON value ``raw`` holds, or None when it is not JSON (then it may be raw bytes)."""
    try:
        return json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):
        return None


def _byte_list(value: object, size: int, what: str) -> bytes:
    """``value`` as bytes when it is an array of exactly ``size`` JSON integers 0..255.

    An aggregator decodes about a thousand such integers per registration, so the checks run
    in C: one pass collects the element types (only ``int`` itself passes, so JSON ``true``
    and ``1.0`` are refused although ``bytes()`` would take the first), and ``bytes()``
    refuses values outside 0..255.
    """
    if isinstance(value, list) and len(value) == size and set(map(type, value)) <= {int}:
        try:
            return bytes(value)
        except ValueError:
            pass
    raise WireFormatError(f"{what} must be an array of {size} byte values (0..255)")


def _raw_bytes(raw: bytes, size: int, what: str) -> bytes:
    """The fallback form: hex that is not JSON must be the value's ``size`` raw bytes."""
    if len(raw) != size:
        raise WireFormatError(
            f"{what} is neither hex of JSON nor {size} raw bytes ({len(raw)} bytes)"
        )
    return raw


def encode_kes_signature(signature: bytes) -> str:
    """Hex of the serde JSON of a ``Sum6KesSig``: six nested ``{sigma, lhs_pk, rhs_pk}``."""
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise WireFormatError(f"a KES signature is {SIGNATURE_SIZE} bytes")
    document: object = list(signature[:ED25519_SIGNATURE_SIZE])
    for level in range(1, DEPTH + 1):
        pair = signature[64 * level : 64 * level + 64]
        document = {"sigma": document, "lhs_pk": list(pair[:32]), "rhs_pk": list(pair[32:])}
    return _compact_hex(document)


def decode_kes_signature(text: str) -> bytes:
    """The 448-byte signature from its wire form (JSON hex, or raw 448-byte hex)."""
    raw = _unhex(text, "the KES signature")
    document = _json_document(raw)
    if document is None:
        return _raw_bytes(raw, SIGNATURE_SIZE, "the KES signature")
    pairs = []
    for level in range(DEPTH, 0, -1):
        if not isinstance(document, dict) or set(document) != {"sigma", "lhs_pk", "rhs_pk"}:
            raise WireFormatError(
                f"KES signature level {level} must be an object with sigma, lhs_pk, rhs_pk"
            )
        lhs = _byte_list(
            document["lhs_pk"], VERIFICATION_KEY_SIZE, f"KES signature level {level} lhs_pk"
        )
        rhs = _byte_list(
            document["rhs_pk"], VERIFICATION_KEY_SIZE, f"KES signature level {level} rhs_pk"
        )
        pairs.append(lhs + rhs)
        document = document["sigma"]
    leaf = _byte_list(document, ED25519_SIGNATURE_SIZE, "the KES signature's Ed25519 sigma")
    return leaf + b"".join(reversed(pairs))


def encode_opcert(opcert: OpCert) -> str:
    """Hex of the serde JSON ``[[kes_vk, issue, start, sig], cold_vk]`` with byte arrays."""
    return _compact_hex(
        [
            [
                list(opcert.kes_vk),
                opcert.issue_number,
                opcert.start_kes_period,
                list(opcert.signature),
            ],
            list(opcert.cold_vk),
        ]
    )


def decode_opcert(text: str) -> OpCert:
    """The certificate from its wire form (JSON hex, or hex of its CBOR)."""
    raw = _unhex(text, "the operational certificate")
    document = _json_document(raw)
    if document is None:
        try:
            return OpCert.from_cbor(raw)
        except KesError as failure:
            raise WireFormatError(
                f"the operational certificate is neither hex of JSON nor of CBOR: {failure}"
            ) from None
    if (
        not isinstance(document, list)
        or len(document) != 2
        or not isinstance(document[0], list)
        or len(document[0]) != 4
    ):
        raise WireFormatError(
            "the operational certificate JSON must be [[kes_vk, issue, start, signature], cold_vk]"
        )
    (kes_vk, issue_number, start, signature), cold_vk = document
    try:
        return OpCert(
            _byte_list(kes_vk, VERIFICATION_KEY_SIZE, "the certificate's kes_vk"),
            issue_number,
            start,
            _byte_list(signature, ED25519_SIGNATURE_SIZE, "the certificate's signature"),
            _byte_list(cold_vk, VERIFICATION_KEY_SIZE, "the certificate's cold_vk"),
        )
    except KesError as failure:
        raise WireFormatError(str(failure)) from None


def encode_protocol_key(key: bytes) -> str:
    """Hex of ``{"vk":[96 bytes],"pop":[96 bytes]}``, the STM key's JSON shape."""
    if not isinstance(key, bytes) or len(key) != PROTOCOL_KEY_SIZE:
        raise WireFormatError(
            f"a protocol key is {PROTOCOL_KEY_SIZE} bytes (verification key, proof of possession)"
        )
    return _compact_hex(
        {"vk": list(key[:PROTOCOL_KEY_PART_SIZE]), "pop": list(key[PROTOCOL_KEY_PART_SIZE:])}
    )


def decode_protocol_key(text: str) -> bytes:
    """The 192 bytes a signer KES-signs: vk || pop (JSON hex, or raw 192-byte hex)."""
    raw = _unhex(text, "the protocol key")
    document = _json_document(raw)
    if document is None:
        return _raw_bytes(raw, PROTOCOL_KEY_SIZE, "the protocol key")
    if not isinstance(document, dict) or set(document) != {"vk", "pop"}:
        raise WireFormatError('the protocol key JSON must be {"vk": [...], "pop": [...]}')
    return _byte_list(document["vk"], PROTOCOL_KEY_PART_SIZE, "the protocol key's vk") + _byte_list(
        document["pop"], PROTOCOL_KEY_PART_SIZE, "the protocol key's pop"
    )
