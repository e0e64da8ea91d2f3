"""Operational certificates: the cold key's endorsement of a KES key from a start period."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from hashlib import blake2b

import bech32
import cbor2
from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

from release.kes._cbor import decode_cbor
from release.kes._errors import KeyFormatError, OpCertError
from release.kes._sum import ED25519_SIGNATURE_SIZE, SEED_SIZE, VERIFICATION_KEY_SIZE

POOL_ID_HASH_SIZE = 28
POOL_ID_PREFIX = "pool"
_U64_LIMIT = 1 << 64


def cold_verification_key(cold_seed: bytes) -> bytes:
    """The Ed25519 verification key of a cold signing key (its 32-byte seed)."""
    if not isinstance(cold_seed, bytes) or len(cold_seed) != SEED_SIZE:
        raise KeyFormatError(f"a cold signing key is a {SEED_SIZE}-byte Ed25519 seed")
    return crypto_sign_seed_keypair(cold_seed)[0]


def pool_id_hash(cold_vk: bytes) -> bytes:
    """BLAKE2b-224 of the cold verification key: the pool's key hash."""
    return blake2b(cold_vk, digest_size=POOL_ID_HASH_SIZE).digest()


@functools.lru_cache(maxsize=256)
def pool_id_from_cold_vk(cold_vk: bytes) -> str:
    """The pool id (bech32, ``pool1...``) of a cold verification key (cached: a pure
    function that long scenario runs call on every registration)."""
    words = bech32.convertbits(pool_id_hash(cold_vk), 8, 5)
    return bech32.bech32_encode(POOL_ID_PREFIX, words)


def _require_bytes(value: object, size: int, field: str) -> bytes:
    if not isinstance(value, bytes) or len(value) != size:
        shown = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise OpCertError(
            f"operational certificate field {field} must be {size} bytes, got {shown}"
        )
    return value


def _require_u64(value: object, field: str) -> int:
    if type(value) is not int or not 0 <= value < _U64_LIMIT:
        raise OpCertError(
            f"operational certificate field {field} must be an unsigned 64-bit integer, "
            f"got {value!r}"
        )
    return value


@dataclass(frozen=True)
class OpCert:
    """An operational certificate with the cold verification key (cardano-cli's node.cert)."""

    kes_vk: bytes
    issue_number: int
    start_kes_period: int
    signature: bytes
    cold_vk: bytes

    def __post_init__(self) -> None:
        _require_bytes(self.kes_vk, VERIFICATION_KEY_SIZE, "kes_vk")
        _require_u64(self.issue_number, "issue_number")
        _require_u64(self.start_kes_period, "start_kes_period")
        _require_bytes(self.signature, ED25519_SIGNATURE_SIZE, "signature")
        _require_bytes(self.cold_vk, VERIFICATION_KEY_SIZE, "cold_vk")

    @staticmethod
    def signable(kes_vk: bytes, issue_number: int, start_kes_period: int) -> bytes:
        """The 48 bytes the cold key signs: kes_vk, issue and start as big-endian u64."""
        return kes_vk + issue_number.to_bytes(8, "big") + start_kes_period.to_bytes(8, "big")

    @property
    def signed_message(self) -> bytes:
        return self.signable(self.kes_vk, self.issue_number, self.start_kes_period)

    @classmethod
    def issue(
        cls, kes_vk: bytes, cold_seed: bytes, issue_number: int, start_kes_period: int
    ) -> OpCert:
        """Sign a certificate for ``kes_vk`` with the cold key, as cardano-cli issue-op-cert."""
        cold_vk = cold_verification_key(cold_seed)
        _require_bytes(kes_vk, VERIFICATION_KEY_SIZE, "kes_vk")
        message = cls.signable(
            kes_vk,
            _require_u64(issue_number, "issue_number"),
            _require_u64(start_kes_period, "start_kes_period"),
        )
        signature = crypto_sign(message, cold_seed + cold_vk)[:ED25519_SIGNATURE_SIZE]
        return cls(kes_vk, issue_number, start_kes_period, signature, cold_vk)

    def validate(self) -> bool:
        """Whether the cold key signed this certificate (the ledger's and Mithril's rule)."""
        try:
            crypto_sign_open(self.signature + self.signed_message, self.cold_vk)
        except BadSignatureError:
            return False
        return True

    @property
    def pool_id(self) -> str:
        return pool_id_from_cold_vk(self.cold_vk)

    @property
    def pool_id_hash(self) -> str:
        return pool_id_hash(self.cold_vk).hex()

    def to_cbor(self) -> bytes:
        """CBOR ``[[kes_vk, issue, start, signature], cold_vk]`` with minimal integers."""
        return cbor2.dumps(
            [[self.kes_vk, self.issue_number, self.start_kes_period, self.signature], self.cold_vk]
        )

    @classmethod
    def from_cbor(cls, data: bytes) -> OpCert:
        value = decode_cbor(data, "operational certificate", OpCertError)
        return cls.from_structure(value)

    @classmethod
    def from_structure(cls, value: object) -> OpCert:
        """Build from the decoded ``[[kes_vk, issue, start, sig], cold_vk]`` shape."""
        if not isinstance(value, list) or len(value) != 2:
            raise OpCertError(
                "an operational certificate is a 2-element array [certificate, cold_vk]"
            )
        inner, cold_vk = value
        if not isinstance(inner, list) or len(inner) != 4:
            raise OpCertError(
                "an operational certificate's first element is a 4-element array "
                "[kes_vk, issue_number, start_kes_period, signature]"
            )
        kes_vk, issue_number, start_kes_period, signature = inner
        return cls(kes_vk, issue_number, start_kes_period, signature, cold_vk)
