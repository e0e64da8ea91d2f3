"""BLS12-381 protocol keys as mithril-stm 2543.0 makes and checks them, on blst (pyblst).

"min-sig": the verification key is in G2 (96 bytes compressed), signatures and the proof of
possession's two halves in G1 (48 bytes each). The protocol key a signer registers is
``vk || k1 || k2`` (192 bytes), with ``k1 = sk * H("PoP")`` and ``k2 = sk * g1``, ``H`` the
RFC 9380 hash to G1 with an empty domain separation tag.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass, field
from typing import Any

import pyblst

from release.stm._errors import (
    BadPointError,
    BadProofError,
    KeyLengthError,
    NotInSubgroupError,
    PointAtInfinityError,
)

SEED_SIZE = 32
SECRET_KEY_SIZE = 32
G1_SIZE = 48
VERIFICATION_KEY_SIZE = 96
PROOF_SIZE = 2 * G1_SIZE
PROTOCOL_KEY_SIZE = VERIFICATION_KEY_SIZE + PROOF_SIZE

#: The order of G1 and G2.
GROUP_ORDER = 0x73EDA753299D7D483339D80809A1D80553BDA402FFFE5BFEFFFFFFFF00000001
#: What the proof of possession hashes, and the (empty) domain separation tag it uses.
POP_MESSAGE = b"PoP"
_DST = b""
_G1 = pyblst.BlstP1Element.uncompress(
    bytes.fromhex(
        "97f1d3a73197d7942695638c4fa9ac0fc3688c4f9774b905a14e3a3f171bac586c55e83ff97a1aeffb3af00a"
        "db22c6bb"
    )
)
_G2 = pyblst.BlstP2Element.uncompress(
    bytes.fromhex(
        "93e02b6052719f607dacd3a088274f65596bd0d09920b61ab5da61bbdc7f5049334cf11213945d57e5ac7d05"
        "5d042b7e024aa2b2f08f0a91260805272dc51051c6e47ad4fa403b02b4510b647ae3d1770bac0326a805bbef"
        "d48056c8c121bdb8"
    )
)
_H_POP = pyblst.BlstP1Element.hash_to_group(POP_MESSAGE, _DST)
#: Compressed-encoding flag of the point at infinity.
_INFINITY_FLAG = 0x40
#: Bits of the random coefficient that folds the two proof equations into one (2^-128 odds
#: that a wrong proof passes).
_COMBINATION_BITS = 128


def keygen(seed: bytes) -> bytes:
    """The 32-byte secret key (big-endian scalar) from 32 bytes of randomness: the IETF BLS
    KeyGen with empty key info, as blst ``key_gen`` computes it."""
    if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
        raise KeyLengthError(f"a key seed is {SEED_SIZE} bytes")
    salt = b"BLS-SIG-KEYGEN-SALT-"
    scalar = 0
    while scalar == 0:
        salt = hashlib.sha256(salt).digest()
        prk = hmac.new(salt, seed + b"\0", hashlib.sha256).digest()
        block, okm = b"", b""
        for counter in (1, 2):  # HKDF-Expand to L = 48 bytes (two SHA-256 blocks)
            block = hmac.new(prk, block + b"\0\x30" + bytes([counter]), hashlib.sha256).digest()
            okm += block
        scalar = int.from_bytes(okm[:48], "big") % GROUP_ORDER
    return scalar.to_bytes(SECRET_KEY_SIZE, "big")


def _scalar(secret_key: bytes) -> int:
    if not isinstance(secret_key, bytes) or len(secret_key) != SECRET_KEY_SIZE:
        raise KeyLengthError(f"a secret key is {SECRET_KEY_SIZE} bytes")
    scalar = int.from_bytes(secret_key, "big")
    if not 0 < scalar < GROUP_ORDER:
        raise KeyLengthError("a secret key is a scalar in 1..r-1")
    return scalar


def verification_key(secret_key: bytes) -> bytes:
    """``sk * g2``, compressed (96 bytes)."""
    return _G2.scalar_mul(_scalar(secret_key)).compress()


def proof_of_possession(secret_key: bytes) -> bytes:
    """``k1 || k2`` = ``sk * H("PoP") || sk * g1`` (96 bytes)."""
    scalar = _scalar(secret_key)
    return _H_POP.scalar_mul(scalar).compress() + _G1.scalar_mul(scalar).compress()


def sign(secret_key: bytes, message: bytes) -> bytes:
    """``sk * H(message)`` in G1 (48 bytes), the single signature mithril-stm makes."""
    return (
        pyblst.BlstP1Element.hash_to_group(message, _DST).scalar_mul(_scalar(secret_key)).compress()
    )


def protocol_key(secret_key: bytes) -> bytes:
    """The 192 bytes a signer registers: verification key, then proof of possession."""
    return verification_key(secret_key) + proof_of_possession(secret_key)


def new_protocol_key(seed: bytes | None = None) -> bytes:
    """A fresh protocol key (from ``seed``, or from the OS's randomness)."""
    return protocol_key(keygen(os.urandom(SEED_SIZE) if seed is None else seed))


def _point(kind: Any, data: bytes, what: str) -> Any:
    if data[0] & _INFINITY_FLAG:
        try:
            kind.uncompress(data)
        except ValueError:
            raise BadPointError(f"{what} is not a compressed curve point") from None
        raise PointAtInfinityError(f"{what} is the point at infinity")
    try:
        return kind.uncompress(data)
    except ValueError as failure:
        if "NOT_IN_GROUP" in str(failure):
            raise NotInSubgroupError(f"{what} is not in the prime-order subgroup") from None
        raise BadPointError(f"{what} is not a compressed curve point") from None


def _points(key: bytes) -> tuple[Any, Any, Any]:
    if not isinstance(key, bytes) or len(key) != PROTOCOL_KEY_SIZE:
        size = len(key) if isinstance(key, bytes | bytearray) else type(key).__name__
        raise KeyLengthError(
            f"a protocol key is {PROTOCOL_KEY_SIZE} bytes (verification key {VERIFICATION_KEY_SIZE}"
            f", proof of possession {PROOF_SIZE}), got {size}"
        )
    vk = _point(pyblst.BlstP2Element, key[:VERIFICATION_KEY_SIZE], "the verification key")
    k1 = _point(pyblst.BlstP1Element, key[VERIFICATION_KEY_SIZE:-G1_SIZE], "the proof's k1")
    k2 = _point(pyblst.BlstP1Element, key[-G1_SIZE:], "the proof's k2")
    return vk, k1, k2


@dataclass(frozen=True, eq=False)
class ProtocolKey:
    """A protocol key whose three points decoded (size, curve, subgroup, not at infinity):
    what a decoder keeps so the proof check later does not decode them again."""

    raw: bytes
    _vk: Any = field(repr=False)
    _k1: Any = field(repr=False)
    _k2: Any = field(repr=False)

    @classmethod
    def decode(cls, key: bytes) -> ProtocolKey:
        return cls(key, *_points(key))

    def verify_proof(self) -> None:
        """One two-pairing product for both equations (see :func:`verify_protocol_key`)."""
        r = secrets.randbits(_COMBINATION_BITS) | 1
        left = pyblst.miller_loop(self._k1 + self._k2.scalar_mul(r), _G2)
        right = pyblst.miller_loop(_H_POP + _G1.scalar_mul(r), self._vk)
        if not pyblst.final_verify(left, right):
            raise BadProofError("the proof of possession does not match the verification key")


def check_protocol_key(key: bytes) -> ProtocolKey:
    """Decode the three points: right size, on the curve, in the subgroup, none at infinity.

    This is what Mithril's decoder refuses before any other check (``key_validate``).
    """
    return ProtocolKey.decode(key)


def verify_protocol_key(key: bytes | ProtocolKey) -> None:
    """Check the points (unless already decoded) and the proof of possession.

    ``e(k1, g2) = e(H, vk)`` and ``e(g1, vk) = e(k2, g2)`` hold together exactly when
    ``e(k1 + r*k2, g2) = e(H + r*g1, vk)`` for a random ``r`` (but with odds 2^-128): two
    Miller loops and one final exponentiation instead of four and two.
    """
    (key if isinstance(key, ProtocolKey) else ProtocolKey.decode(key)).verify_proof()


def verify_protocol_key_plainly(key: bytes) -> None:
    """The same check as two separate pairing equations (mithril-stm's way; the benchmark's
    reference for :func:`verify_protocol_key`)."""
    vk, k1, k2 = _points(key)
    first = pyblst.final_verify(pyblst.miller_loop(k1, _G2), pyblst.miller_loop(_H_POP, vk))
    if not (
        first and pyblst.final_verify(pyblst.miller_loop(_G1, vk), pyblst.miller_loop(k2, _G2))
    ):
        raise BadProofError("the proof of possession does not match the verification key")
