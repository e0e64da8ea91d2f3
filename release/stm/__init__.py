"""Mithril's protocol keys: BLS12-381 verification key with proof of possession
(mithril-stm 2543.0), on the blst binding ``pyblst``. Bytes in, bytes out; every defect is a
:class:`StmError` subclass named after it."""

from release.stm._bls import (
    G1_SIZE,
    POP_MESSAGE,
    PROOF_SIZE,
    PROTOCOL_KEY_SIZE,
    SECRET_KEY_SIZE,
    SEED_SIZE,
    VERIFICATION_KEY_SIZE,
    ProtocolKey,
    check_protocol_key,
    keygen,
    new_protocol_key,
    proof_of_possession,
    protocol_key,
    sign,
    verification_key,
    verify_protocol_key,
    verify_protocol_key_plainly,
)
from release.stm._errors import (
    BadPointError,
    BadProofError,
    KeyLengthError,
    NotInSubgroupError,
    PointAtInfinityError,
    StmError,
)

__all__ = [
    "G1_SIZE",
    "POP_MESSAGE",
    "PROOF_SIZE",
    "PROTOCOL_KEY_SIZE",
    "SECRET_KEY_SIZE",
    "SEED_SIZE",
    "VERIFICATION_KEY_SIZE",
    "BadPointError",
    "BadProofError",
    "KeyLengthError",
    "NotInSubgroupError",
    "PointAtInfinityError",
    "ProtocolKey",
    "StmError",
    "check_protocol_key",
    "keygen",
    "new_protocol_key",
    "proof_of_possession",
    "protocol_key",
    "sign",
    "verification_key",
    "verify_protocol_key",
    "verify_protocol_key_plainly",
]
