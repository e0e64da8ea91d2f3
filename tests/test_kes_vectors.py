"""Byte compatibility with Haskell cardano-base, the Rust KES crate, Mithril and cardano-cli."""

import json
from pathlib import Path

import pytest

from release import kes
from release.kes._sum import _subtree

DATA = Path(__file__).parent / "data" / "kes"


def load(name: str) -> dict:
    return json.loads((DATA / name).read_text())


def hexfile(name: str) -> bytes:
    return bytes.fromhex((DATA / "kes-crate" / name).read_text().strip())


@pytest.fixture(scope="module")
def haskell() -> dict:
    vectors = load("kes-crate/vectors.json")
    vectors["seed"] = bytes.fromhex(vectors["seed_hex"])
    vectors["message"] = bytes.fromhex(vectors["message_hex"])
    return vectors


def test_haskell_keys_at_periods_0_1_5_are_byte_identical(haskell):
    sk, vk = kes.keygen(haskell["seed"])
    assert sk[:608] == hexfile("key6.hex")
    assert sk[608:] == bytes(4)
    assert vk.hex() == "9b527f5907bd9ba20956d5b1db91d679b666b0c7e4c3a336eb6165ac58f99501"
    after_one = kes.update(sk)
    assert after_one[:608] == hexfile("key6update1.hex")
    assert kes.period_of(after_one) == 1
    after_five = sk
    for _ in range(5):
        after_five = kes.update(after_five)
    assert after_five[:608] == hexfile("key6update5.hex")
    assert kes.evolve(sk, 5) == after_five
    assert after_five[608:] == (5).to_bytes(4, "big")


def test_compact_variant_shares_the_secret_key_bytes(haskell):
    sk, _ = kes.keygen(haskell["seed"])
    assert sk[:608] == hexfile("compactkey6.hex")
    assert kes.evolve(sk, 5)[:608] == hexfile("compactkey6update5.hex")


@pytest.mark.parametrize(("period", "name"), [(0, "key6Sig.hex"), (5, "key6Sig5.hex")])
def test_haskell_signatures_are_reproduced_and_verify_only_at_their_period(haskell, period, name):
    sk, vk = kes.keygen(haskell["seed"])
    expected = hexfile(name)
    assert kes.sign(kes.evolve(sk, period), haskell["message"]) == expected
    verifying = [p for p in range(64) if kes.verify(vk, p, haskell["message"], expected)]
    assert verifying == [period]
    assert kes.recover_period(vk, haskell["message"], expected) == period


def test_sum0_and_sum1_building_blocks(haskell):
    # Sum0's secret is the seed itself; Sum1's body is Sum0 || right seed || vk0 || vk1.
    assert hexfile("key0.hex") == haskell["seed"]
    assert _subtree(haskell["seed"], 0)[0] == hexfile("key0.hex")
    assert _subtree(haskell["seed"], 1)[0] == hexfile("key1.hex")


def test_mithril_precomputed_keys():
    entries = load("mithril/precomputed_kes_keys.json")["entries"]
    assert len(entries) == 5
    for entry in entries:
        sk, vk = kes.keygen(bytes.fromhex(entry["seed"]))
        assert sk.hex() == entry["sum6_sk_612"]
        assert vk.hex() == entry["kes_vk"]
        assert kes.verification_key(sk) == vk


def test_mithril_opcert_unit_test_is_byte_identical():
    vector = load("mithril/opcert_unit_test.json")
    _, kes_vk = kes.keygen(bytes.fromhex(vector["inputs"]["kes_seed_hex"]))
    assert kes_vk.hex() == vector["kes_vk_hex"]
    cold_seed = bytes.fromhex(vector["cold_secret_seed_hex__DERIVED"])
    opcert = kes.OpCert.issue(kes_vk, cold_seed, 0, 0)
    assert opcert.signed_message.hex() == vector["message_signed_by_cold_key_hex__DERIVED"]
    assert opcert.to_cbor().hex() == vector["full_opcert_cbor_hex__DERIVED"]
    assert (
        opcert.to_cbor()[1:]
        .hex()
        .startswith(vector["expected_cbor_without_cold_vk_hex (from repo)"])
    )
    assert opcert.validate()
    assert opcert.pool_id == vector["expected_pool_id_bech32 (from repo)"]
    assert opcert.pool_id_hash == vector["expected_pool_id_hash_hex (from repo)"]
    envelope_text = (DATA / "mithril/opcert_unit_test.node.cert__DERIVED.json").read_text()
    assert kes.opcert_from_envelope(envelope_text) == opcert
    assert kes.opcert_envelope(opcert).rstrip("\n") == envelope_text.rstrip("\n")


def test_mithril_codec_key_reads_as_period_zero():
    text = (DATA / "mithril/codec_haskell_kes.skey").read_text()
    sk = kes.kes_signing_key_from_envelope(text)
    vector = load("mithril/codec_haskell_kes_skey.json")
    mithril_form = vector[
        "cbor_hex_612__DERIVED (Mithril Sum6KesBytes form: header 59 0264, +4 byte BE period 0)"
    ]
    assert "590264" + sk.hex() == mithril_form
    assert kes.period_of(sk) == 0
    vkey = (DATA / "mithril/codec_haskell_kes.vkey__DERIVED").read_text()
    assert kes.verification_key(sk) == kes.kes_verification_key_from_envelope(vkey)
    kes.check_secret_key(sk)
    # Written back in cardano-cli's form, the envelope is the same document.
    assert json.loads(kes.kes_signing_key_envelope(sk)) == json.loads(text)
    assert json.loads(kes.kes_signing_key_envelope(sk, mithril=True))["cborHex"] == mithril_form


@pytest.mark.parametrize("index", [0, 1])
def test_real_signer_registrations(index):
    registration = load("mithril/signer_registrations_period0.json")[index]
    wire = registration["raw_json_hex"]
    decoded = registration["decoded__DERIVED"]
    opcert = kes.decode_opcert(wire["operational_certificate"])
    assert opcert.to_cbor().hex() == decoded["opcert"]["opcert_cbor_hex"]
    assert opcert.validate()
    assert opcert.pool_id == registration["party_id_field_in_source"]
    signature = kes.decode_kes_signature(wire["verification_key_signature"])
    assert signature.hex() == decoded["kes_signature_448_hex"]
    message = kes.decode_protocol_key(wire["verification_key"])
    assert message.hex() == decoded["kes_signed_message_192_hex"]
    assert [p for p in range(64) if kes.verify(opcert.kes_vk, p, message, signature)] == [0]
    assert kes.recover_period(opcert.kes_vk, message, signature) == 0
    # Encoders give back the exact upstream strings.
    assert kes.encode_opcert(opcert) == wire["operational_certificate"]
    assert kes.encode_kes_signature(signature) == wire["verification_key_signature"]
    assert kes.encode_protocol_key(message) == wire["verification_key"]
    # The raw-bytes / CBOR fallbacks decode to the same values.
    assert kes.decode_kes_signature(signature.hex()) == signature
    assert kes.decode_opcert(opcert.to_cbor().hex()) == opcert
    assert kes.decode_protocol_key(message.hex()) == message


def test_cardano_cli_seven_level_key_is_rejected_clearly():
    text = (DATA / "cardano-cli/keys_kes_keys_signing_key").read_text()
    with pytest.raises(kes.KeyFormatError, match=r"704 bytes \(a 7-level, 2\^7-period KES key\)"):
        kes.kes_signing_key_from_envelope(text)


def test_cardano_cli_golden_certificate_parses_but_does_not_validate():
    notes = load("cardano-cli/notes.json")["operational_certificate"]["decoded"]
    opcert = kes.opcert_from_envelope(
        (DATA / "cardano-cli/certificates_operational_certificate").read_text()
    )
    assert opcert.kes_vk.hex() == notes["kes_vk_hex"]
    assert opcert.start_kes_period == 1000
    assert opcert.cold_vk.hex() == notes["cold_vk_hex"]
    assert opcert.validate() is False
    assert opcert.pool_id == "pool1sxqu4my5wwjyfslu3l9q9c2e2hwgqcyy98fsat2khtw7spu5hm5"


def test_cardano_cli_issue_op_cert_inputs_give_the_derived_certificate():
    cold_seed = kes.cold_signing_key_from_envelope(
        (DATA / "cardano-cli/keys_genesis_delegate_keys_signing_key").read_text()
    )
    node_cold = kes.cold_signing_key_from_envelope(
        (DATA / "cardano-cli/transaction-sign_node-cold.skey").read_text()
    )
    assert cold_seed == node_cold
    cold_vk = kes.cold_verification_key_from_envelope(
        (DATA / "cardano-cli/keys_genesis_delegate_keys_verification_key").read_text()
    )
    assert kes.cold_verification_key(cold_seed) == cold_vk
    assert (
        kes.pool_id_from_cold_vk(cold_vk)
        == "pool1eu7fhwhewz5tvkzmh8nwm9qkdxpj8u70vvypp74vgcvdy52j0t6"
    )
    kes_vk = kes.kes_verification_key_from_envelope(
        (DATA / "cardano-cli/keys_kes_keys_verification_key").read_text()
    )
    opcert = kes.OpCert.issue(kes_vk, cold_seed, 0, 0)
    expected = (DATA / "cardano-cli/issue_op_cert_inputs.node.cert__DERIVED.json").read_text()
    assert kes.opcert_envelope(opcert).rstrip("\n") == expected.rstrip("\n")
    next_issue, counter_vk = kes.issue_counter_from_envelope(
        (
            DATA / "cardano-cli/keys_genesis_delegate_keys_operational_certificate_counter"
        ).read_text()
    )
    assert (next_issue, counter_vk) == (0, cold_vk)


def test_operator_vkey_pool_id():
    vk = kes.cold_verification_key_from_envelope(
        (DATA / "cardano-cli/node-pool_operator.vkey").read_text()
    )
    assert (
        kes.pool_id_from_cold_vk(vk) == "pool1gyj2ps463fa6qkpyk00j8acx58ytxgu5g643vuy6apd2zmszdzp"
    )


def test_envelopes_are_written_as_cardano_cli_writes_them(haskell):
    sk, vk = kes.keygen(haskell["seed"])
    text = kes.kes_verification_key_envelope(vk)
    assert text == (
        "{\n"
        '    "type": "KesVerificationKey_ed25519_kes_2^6",\n'
        '    "description": "KES Verification Key",\n'
        f'    "cborHex": "5820{vk.hex()}"\n'
        "}\n"
    )
    assert kes.kes_signing_key_envelope(sk).startswith(
        '{\n    "type": "KesSigningKey_ed25519_kes_2^6",'
    )
