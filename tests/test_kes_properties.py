"""Properties of Sum6 KES over random keys: periods, recovery, windows, round-trips."""

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from release import kes

seeds = st.binary(min_size=32, max_size=32)
messages = st.binary(max_size=300)
periods = st.integers(min_value=0, max_value=63)


@cache
def signatures_at_every_period(seed: bytes, message: bytes) -> tuple[bytes, list[bytes]]:
    sk, vk = kes.keygen(seed)
    signatures = []
    for period in range(64):
        signatures.append(kes.sign(sk, message))
        if period < 63:
            sk = kes.update(sk)
    return vk, signatures


@settings(max_examples=12, deadline=None)
@given(seed=seeds, message=messages)
def test_a_signature_verifies_at_its_period_only_and_is_recovered(seed, message):
    vk, signatures = signatures_at_every_period(seed, message)
    for period, signature in enumerate(signatures):
        assert [p for p in range(64) if kes.verify(vk, p, message, signature)] == [period]
        assert kes.recover_period(vk, message, signature) == period


@settings(max_examples=200, deadline=None)
@given(
    seed=st.sampled_from([bytes([i]) * 32 for i in range(3)]),
    message=st.sampled_from([b"", b"m"]),
    period=periods,
    lo=st.integers(-5, 70),
    hi=st.integers(-5, 70),
    hint=st.one_of(st.none(), st.integers(-2, 66)),
)
def test_window_verification_agrees_with_a_brute_force_loop(seed, message, period, lo, hi, hint):
    vk, signatures = signatures_at_every_period(seed, message)
    signature = signatures[period]
    brute = [p for p in range(max(lo, 0), min(hi, 63) + 1) if kes.verify(vk, p, message, signature)]
    assert kes.verify_window(vk, message, signature, lo, hi, hint=hint) == (
        brute[0] if brute else None
    )


@settings(max_examples=30, deadline=None)
@given(seed=seeds, period=periods)
def test_evolving_in_one_jump_equals_updating_step_by_step(seed, period):
    sk, vk = kes.keygen(seed)
    stepped = sk
    for _ in range(period):
        stepped = kes.update(stepped)
    assert kes.evolve(sk, period) == stepped
    assert kes.period_of(stepped) == period
    assert kes.verification_key(stepped) == vk
    kes.check_secret_key(stepped)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, start=periods, later=periods)
def test_evolution_only_moves_forward(seed, start, later):
    sk = kes.evolve(kes.keygen(seed)[0], start)
    if later < start:
        with pytest.raises(kes.PeriodError):
            kes.evolve(sk, later)
    else:
        assert kes.period_of(kes.evolve(sk, later)) == later


@settings(max_examples=50, deadline=None)
@given(seed=seeds, period=periods, mithril=st.booleans())
def test_signing_key_envelopes_round_trip(seed, period, mithril):
    sk = kes.evolve(kes.keygen(seed)[0], period)
    if mithril:
        assert (
            kes.kes_signing_key_from_envelope(kes.kes_signing_key_envelope(sk, mithril=True)) == sk
        )
    elif period == 0:
        assert kes.kes_signing_key_from_envelope(kes.kes_signing_key_envelope(sk)) == sk
    else:
        with pytest.raises(kes.KeyFormatError, match=r"only a period-0 key"):
            kes.kes_signing_key_envelope(sk)


@settings(max_examples=100, deadline=None)
@given(
    kes_vk=seeds, cold_seed=seeds, issue=st.integers(0, 2**64 - 1), start=st.integers(0, 2**64 - 1)
)
def test_opcerts_round_trip_through_cbor_json_and_envelopes(kes_vk, cold_seed, issue, start):
    opcert = kes.OpCert.issue(kes_vk, cold_seed, issue, start)  # any 32 bytes stand for a KES vk
    assert opcert.validate()
    assert kes.OpCert.from_cbor(opcert.to_cbor()) == opcert
    assert kes.decode_opcert(kes.encode_opcert(opcert)) == opcert
    assert kes.decode_opcert(opcert.to_cbor().hex()) == opcert
    assert kes.opcert_from_envelope(kes.opcert_envelope(opcert)) == opcert
    assert opcert.pool_id.startswith("pool1")
    assert kes.pool_id_from_cold_vk(kes.cold_verification_key(cold_seed)) == opcert.pool_id


@settings(max_examples=100, deadline=None)
@given(signature=st.binary(min_size=448, max_size=448), key=st.binary(min_size=192, max_size=192))
def test_wire_values_round_trip(signature, key):
    assert kes.decode_kes_signature(kes.encode_kes_signature(signature)) == signature
    assert kes.decode_protocol_key(kes.encode_protocol_key(key)) == key


def test_the_last_period_cannot_be_updated():
    sk = kes.evolve(kes.keygen(bytes(32))[0], 63)
    with pytest.raises(kes.PeriodError, match="period 63, the last one"):
        kes.update(sk)
    with pytest.raises(kes.PeriodError, match=r"within 0\.\.63"):
        kes.verify(kes.verification_key(sk), 64, b"", kes.sign(sk, b""))


def test_every_single_bit_flip_of_a_signature_fails():
    sk, vk = kes.keygen(bytes(range(32)))
    sk = kes.evolve(sk, 37)
    message = b"protocol key"
    signature = kes.sign(sk, message)
    assert kes.verify(vk, 37, message, signature)
    for bit in range(len(signature) * 8):
        flipped = bytearray(signature)
        flipped[bit // 8] ^= 1 << (bit % 8)
        flipped = bytes(flipped)
        assert not kes.verify(vk, 37, message, flipped), bit
        assert kes.recover_period(vk, message, flipped) is None, bit


def test_a_tampered_secret_key_is_detected():
    sk = bytearray(kes.evolve(kes.keygen(bytes(32))[0], 3))
    sk[100] ^= 0x01  # inside level 1's verification key pair
    with pytest.raises(kes.KeyFormatError, match=r"level 1 .* does not match"):
        kes.check_secret_key(bytes(sk))
