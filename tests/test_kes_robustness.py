"""Hostile input: every parser raises only KesError subclasses, whatever it is fed."""

import contextlib
import json
import random
from collections.abc import Callable
from pathlib import Path

import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from release import kes

DATA = Path(__file__).parent / "data" / "kes"
MUTATIONS_PER_PARSER = 10_000


def valid_samples() -> dict[str, str]:
    sk, vk = kes.keygen(bytes(range(32)))
    opcert = kes.OpCert.issue(vk, bytes(32), 3, 800)
    signature = kes.sign(kes.evolve(sk, 9), b"x" * 192)
    return {
        "kes_skey": kes.kes_signing_key_envelope(sk),
        "kes_skey_mithril": kes.kes_signing_key_envelope(kes.evolve(sk, 2), mithril=True),
        "kes_vkey": kes.kes_verification_key_envelope(vk),
        "cold_skey": kes.cold_signing_key_envelope(bytes(32)),
        "cold_vkey": kes.cold_verification_key_envelope(opcert.cold_vk),
        "opcert": kes.opcert_envelope(opcert),
        "counter": kes.issue_counter_envelope(4, opcert.cold_vk),
        "opcert_cbor_hex": opcert.to_cbor().hex(),
        "opcert_wire": kes.encode_opcert(opcert),
        "signature_wire": kes.encode_kes_signature(signature),
        "signature_raw_hex": signature.hex(),
        "protocol_key_wire": kes.encode_protocol_key(bytes(range(192))),
    }


PARSERS: dict[str, Callable[[str], object]] = {
    "envelope": kes.TextEnvelope.parse,
    "kes_skey": kes.kes_signing_key_from_envelope,
    "kes_vkey": kes.kes_verification_key_from_envelope,
    "cold_skey": kes.cold_signing_key_from_envelope,
    "cold_vkey": kes.cold_verification_key_from_envelope,
    "opcert": kes.opcert_from_envelope,
    "counter": kes.issue_counter_from_envelope,
    "describe": kes.describe,
    "opcert_cbor": lambda text: kes.OpCert.from_cbor(
        bytes.fromhex(text) if _is_hex(text) else text.encode()
    ),
    "opcert_wire": kes.decode_opcert,
    "signature_wire": kes.decode_kes_signature,
    "protocol_key_wire": kes.decode_protocol_key,
}


def _is_hex(text: str) -> bool:
    return len(text) % 2 == 0 and all(c in "0123456789abcdefABCDEF" for c in text)


def mutate(rng: random.Random, text: str) -> str:
    """One of several structure-aware or blind mutations of a valid input."""
    choice = rng.choice([0, 1, 2, 3, 4, 4, 4, 4, 5, 5, 5, 6, 7])
    chars = list(text)
    if choice == 0 and chars:  # flip a character
        chars[rng.randrange(len(chars))] = rng.choice('0123456789abcdef{}[],:"xyz \\')
    elif choice == 1 and chars:  # truncate
        chars = chars[: rng.randrange(len(chars))]
    elif choice == 2:  # insert
        chars.insert(rng.randrange(len(chars) + 1), rng.choice('0f{[]},:"-e1 '))
    elif choice == 3 and chars:  # delete a slice
        start = rng.randrange(len(chars))
        del chars[start : start + rng.randrange(1, 8)]
    elif choice == 4:  # mutate the hex payload inside an envelope or wire value
        return _mutate_payload(rng, text)
    elif choice == 5:  # mutate the JSON structure itself
        return _mutate_json(rng, text)
    elif choice == 6:  # random bytes as latin-1 text
        return bytes(rng.randrange(256) for _ in range(rng.randrange(200))).decode("latin-1")
    else:  # splice two halves
        cut = rng.randrange(len(chars) + 1)
        chars = chars[cut:] + chars[:cut]
    return "".join(chars)


def _mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randrange(1, 4)):
        if buffer and rng.random() < 0.6:
            buffer[rng.randrange(len(buffer))] = rng.randrange(256)
        elif rng.random() < 0.5:
            buffer.insert(
                rng.randrange(len(buffer) + 1),
                rng.choice([0x00, 0x1B, 0x5B, 0x7F, 0x9F, 0xBF, 0xFF]),
            )
        elif buffer:
            del buffer[rng.randrange(len(buffer))]
    return bytes(buffer)


def _mutate_payload(rng: random.Random, text: str) -> str:
    try:
        document = json.loads(text)
    except ValueError:
        document = None
    if (
        isinstance(document, dict)
        and isinstance(document.get("cborHex"), str)
        and _is_hex(document["cborHex"])
    ):
        document["cborHex"] = _mutate_bytes(rng, bytes.fromhex(document["cborHex"])).hex()
        return json.dumps(document)
    if _is_hex(text):
        return _mutate_bytes(rng, bytes.fromhex(text)).hex()
    return text


def _mutate_json(rng: random.Random, text: str) -> str:
    inner = bytes.fromhex(text).decode("utf-8", "replace") if _is_hex(text) else text
    try:
        document = json.loads(inner)
    except ValueError:
        return text[::-1]
    replacement = rng.choice([None, True, -1, 256, 2**70, 1.5, "x", [], {}, [0] * 3, {"sigma": []}])
    document = _replace_somewhere(rng, document, replacement)
    if rng.random() < 0.3:
        document = cbor2.dumps(document).hex() if not isinstance(document, float) else document
    encoded = json.dumps(document, separators=(",", ":"))
    return encoded.encode().hex() if _is_hex(text) else encoded


def _replace_somewhere(rng: random.Random, node: object, replacement: object) -> object:
    if isinstance(node, list) and node and rng.random() < 0.8:
        index = rng.randrange(len(node))
        node[index] = _replace_somewhere(rng, node[index], replacement)
        return node
    if isinstance(node, dict) and node and rng.random() < 0.8:
        key = rng.choice(sorted(node))
        node[key] = _replace_somewhere(rng, node[key], replacement)
        return node
    return replacement


#: The sample each parser accepts; mutations start from it most of the time so they get past
#: the outer layers (JSON, hex, envelope type) into the deep checks.
OWN_SAMPLE = {
    "envelope": "kes_skey",
    "kes_skey": "kes_skey",
    "kes_vkey": "kes_vkey",
    "cold_skey": "cold_skey",
    "cold_vkey": "cold_vkey",
    "opcert": "opcert",
    "counter": "counter",
    "describe": "opcert",
    "opcert_cbor": "opcert_cbor_hex",
    "opcert_wire": "opcert_wire",
    "signature_wire": "signature_wire",
    "protocol_key_wire": "protocol_key_wire",
}


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_mutated_inputs_raise_only_kes_errors(name):
    rng = random.Random(f"kes-robustness-{name}")
    samples = valid_samples()
    parser = PARSERS[name]
    outcomes = {"accepted": 0, "rejected": 0}
    for _ in range(MUTATIONS_PER_PARSER):
        text = (
            samples[OWN_SAMPLE[name]] if rng.random() < 0.7 else rng.choice(list(samples.values()))
        )
        for _ in range(rng.randrange(1, 3)):
            text = mutate(rng, text)
        try:
            parser(text)
        except kes.KesError:
            outcomes["rejected"] += 1
        else:
            outcomes["accepted"] += 1
    assert sum(outcomes.values()) == MUTATIONS_PER_PARSER
    assert outcomes["rejected"] > MUTATIONS_PER_PARSER // 2, outcomes


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_valid_samples_of_each_kind_are_accepted_by_their_parser(name):
    PARSERS[name](valid_samples()[OWN_SAMPLE[name]])


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(st.text(max_size=400), st.binary(max_size=400).map(bytes.hex)))
def test_arbitrary_text_raises_only_kes_errors(text):
    for parser in PARSERS.values():
        with contextlib.suppress(kes.KesError):
            parser(text)


@settings(max_examples=300, deadline=None)
@given(
    value=st.recursive(
        st.one_of(
            st.none(), st.booleans(), st.integers(), st.binary(max_size=70), st.text(max_size=5)
        ),
        lambda children: st.lists(children, max_size=5),
        max_leaves=12,
    )
)
def test_arbitrary_cbor_values_raise_only_opcert_errors(value):
    with contextlib.suppress(kes.OpCertError):
        kes.OpCert.from_cbor(cbor2.dumps(value))


def test_error_messages_say_what_was_wrong():
    with pytest.raises(kes.KeyFormatError, match="32 bytes, got 31 bytes"):
        kes.keygen(bytes(31))
    with pytest.raises(kes.SignatureFormatError, match="448 bytes, got 447 bytes"):
        kes.verify(bytes(32), 0, b"", bytes(447))
    with pytest.raises(kes.OpCertError, match="2-element array"):
        kes.OpCert.from_cbor(cbor2.dumps([1, 2, 3]))
    with pytest.raises(kes.OpCertError, match="unexpected bytes after"):
        kes.OpCert.from_cbor(kes.OpCert.issue(bytes(32), bytes(32), 0, 0).to_cbor() + b"\x00")
    with pytest.raises(kes.OpCertError, match="kes_vk must be 32 bytes, got 31 bytes"):
        kes.OpCert.from_cbor(cbor2.dumps([[bytes(31), 0, 0, bytes(64)], bytes(32)]))
    with pytest.raises(
        kes.EnvelopeError, match="expected a text envelope of type NodeOperationalCertificate"
    ):
        kes.opcert_from_envelope(kes.kes_verification_key_envelope(bytes(32)))
    with pytest.raises(kes.WireFormatError, match="not hexadecimal"):
        kes.decode_kes_signature("zz")
    with pytest.raises(kes.WireFormatError, match="level 6 must be an object"):
        kes.decode_kes_signature(json.dumps([1]).encode().hex())
    with pytest.raises(kes.KeyFormatError, match="period suffix is 64"):
        kes.period_of(bytes(608) + (64).to_bytes(4, "big"))
