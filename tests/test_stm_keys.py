"""BLS protocol keys against mithril-stm's golden bytes and real registrations, and every
kind of damaged key refused with its own error."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from release import stm
from release.kes import decode_protocol_key, encode_protocol_key

DATA = Path(__file__).parent / "data"
GOLDEN = json.loads((DATA / "stm" / "mithril-stm-golden.json").read_text())
REGISTRATIONS = json.loads((DATA / "nodes" / "signer_registrations_period0.json").read_text())
#: ChaCha20Rng seeded with 32 zero bytes: the first 32 bytes of the all-zero key's keystream
#: (RFC 8439, section 2.4.2's test block), what mithril-stm's golden test feeds key_gen.
CHACHA20_ZERO_SEED_BYTES = bytes.fromhex(
    "76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7"
)
P = int(
    "1a0111ea397fe69a4b1ba7b6434bacd764774b84f38512bf6730d2a0f6b0f6241eabfffeb153ffffb9feffffffffaaab",
    16,
)
SECRET = bytes.fromhex(GOLDEN["sk_hex"])
KEY = stm.protocol_key(SECRET)
OTHER = stm.new_protocol_key(b"\x01" * 32)


def test_golden_key_proof_signature_and_wire_form():
    assert stm.keygen(CHACHA20_ZERO_SEED_BYTES) == SECRET
    assert stm.verification_key(SECRET).hex() == GOLDEN["vk_g2_compressed_hex"]
    assert stm.proof_of_possession(SECRET).hex() == GOLDEN["pop_k1_k2_hex"]
    assert stm.sign(SECRET, bytes(32)).hex() == GOLDEN["signature_over_32_zero_bytes_hex"]
    assert encode_protocol_key(KEY) == GOLDEN["wire_verification_key_hex_of_json"]
    assert decode_protocol_key(GOLDEN["wire_verification_key_hex_of_json"]) == KEY
    stm.verify_protocol_key(KEY)
    stm.verify_protocol_key_plainly(KEY)


@pytest.mark.parametrize("vector", REGISTRATIONS, ids=lambda v: v["party_id_field_in_source"])
def test_real_registrations_proofs_verify(vector):
    key = decode_protocol_key(vector["raw_json_hex"]["verification_key"])
    assert key.hex() == vector["decoded__DERIVED"]["kes_signed_message_192_hex"]
    stm.verify_protocol_key(key)
    stm.verify_protocol_key_plainly(key)


def test_fresh_keys_verify_and_differ():
    first, second = stm.new_protocol_key(), stm.new_protocol_key()
    assert first != second and len(first) == stm.PROTOCOL_KEY_SIZE
    stm.verify_protocol_key(first)
    assert stm.new_protocol_key(b"\x05" * 32) == stm.new_protocol_key(b"\x05" * 32)


def _g1_point_outside_the_subgroup() -> bytes:
    x = 0
    while True:
        x += 1
        rhs = (x**3 + 4) % P
        y = pow(rhs, (P + 1) // 4, P)
        if y * y % P == rhs:
            encoded = bytearray(x.to_bytes(48, "big"))
            encoded[0] |= 0x80
            return bytes(encoded)


def _g2_point_outside_the_subgroup() -> bytes:
    """A point of y^2 = x^3 + 4(1+u) over Fp2 with x = x0 in Fp (its cofactor makes it
    almost surely outside the subgroup). In Fp2, a is a square exactly when its norm
    a0^2 + a1^2 is a square in Fp."""
    x0 = 0
    while True:
        x0 += 1
        a0, a1 = (x0**3 + 4) % P, 4  # x^3 + 4 + 4u
        if pow((a0 * a0 + a1 * a1) % P, (P - 1) // 2, P) == 1:
            encoded = bytearray(bytes(48) + x0.to_bytes(48, "big"))  # x1 || x0
            encoded[0] |= 0x80
            return bytes(encoded)


INFINITY_G1 = b"\xc0" + bytes(47)
INFINITY_G2 = b"\xc0" + bytes(95)


@pytest.mark.parametrize(
    ("key", "error"),
    [
        (KEY[:-1], stm.KeyLengthError),
        (KEY + b"\0", stm.KeyLengthError),
        (b"", stm.KeyLengthError),
        (bytes(192), stm.BadPointError),  # no compression flag
        (b"\xff" * 192, stm.BadPointError),
        (KEY[:96] + b"\x80" + b"\xff" * 47 + KEY[144:], stm.BadPointError),  # x >= p
        (INFINITY_G2 + KEY[96:], stm.PointAtInfinityError),
        (KEY[:96] + INFINITY_G1 + KEY[144:], stm.PointAtInfinityError),
        (KEY[:144] + INFINITY_G1, stm.PointAtInfinityError),
        (_g2_point_outside_the_subgroup() + KEY[96:], stm.NotInSubgroupError),
        (KEY[:96] + _g1_point_outside_the_subgroup() + KEY[144:], stm.NotInSubgroupError),
        (KEY[:144] + _g1_point_outside_the_subgroup(), stm.NotInSubgroupError),
        (KEY[:96] + KEY[144:] + KEY[96:144], stm.BadProofError),  # swapped halves
        (KEY[:96] + OTHER[96:], stm.BadProofError),  # another key's proof
        (OTHER[:96] + KEY[96:], stm.BadProofError),
        (KEY[:96] + KEY[96:144] + OTHER[144:], stm.BadProofError),  # half of another's
    ],
)
def test_each_defect_has_its_own_error(key, error):
    for check in (stm.verify_protocol_key, stm.verify_protocol_key_plainly):
        with pytest.raises(error):
            check(key)
    if error is not stm.BadProofError:
        with pytest.raises(error):
            stm.check_protocol_key(key)
    else:
        stm.check_protocol_key(key)  # the points are fine; only the proof is wrong


def test_ten_thousand_mutated_keys_raise_only_the_projects_errors():
    rng = random.Random(2543)
    kinds: dict[str, int] = {}
    for _ in range(10_000):
        key = bytearray(KEY)
        mutation = rng.randrange(4)
        if mutation == 0:  # flip one bit
            bit = rng.randrange(len(key) * 8)
            key[bit // 8] ^= 1 << (bit % 8)
        elif mutation == 1:  # overwrite a byte
            key[rng.randrange(len(key))] = rng.randrange(256)
        elif mutation == 2:  # cut or extend
            key = key[: rng.randrange(len(key))] if rng.random() < 0.5 else key + b"\0"
        else:  # random bytes in one of the three points
            start, size = rng.choice([(0, 96), (96, 48), (144, 48)])
            key[start : start + size] = rng.randbytes(size)
        try:
            stm.verify_protocol_key(bytes(key))
        except stm.StmError as failure:
            kinds[type(failure).__name__] = kinds.get(type(failure).__name__, 0) + 1
        else:
            assert bytes(key) == KEY, "a damaged key verified"
    assert {"KeyLengthError", "BadPointError", "NotInSubgroupError"} <= set(kinds)


def test_non_bytes_are_refused_with_the_projects_error():
    with pytest.raises(stm.KeyLengthError):
        stm.verify_protocol_key("00" * 192)  # type: ignore[arg-type]
    with pytest.raises(stm.KeyLengthError):
        stm.keygen(b"short")
    with pytest.raises(stm.KeyLengthError):
        stm.verification_key(bytes(32))  # the zero scalar is no key
