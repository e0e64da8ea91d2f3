"""KES figures: each Sum6 operation against the raw PyNaCl Ed25519 operation it is built on."""

from __future__ import annotations

import itertools

from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair

from release import kes
from release.bench import Figure, per_call_seconds, ratio_figure

AREA = "kes"
_MESSAGE = bytes(range(192))  # a protocol key's size: what signers KES-sign


def run(quick: bool) -> list[Figure]:
    min_time = 0.05 if quick else 0.3
    seed = bytes(range(32))
    sk, vk = kes.keygen(seed)
    leaf_pk, leaf_sk = crypto_sign_seed_keypair(seed)
    ed_signature = crypto_sign(_MESSAGE, leaf_sk)[:64]

    def measure(func: object) -> float:
        return per_call_seconds(func, min_time=min_time)  # type: ignore[arg-type]

    ed_verify = measure(lambda: crypto_sign_open(ed_signature + _MESSAGE, leaf_pk))
    ed_sign = measure(lambda: crypto_sign(_MESSAGE, leaf_sk))
    ed_keygen = measure(lambda: crypto_sign_seed_keypair(seed))

    keys = [kes.evolve(sk, period) for period in range(kes.PERIODS)]
    signed = [(period, kes.sign(key, _MESSAGE)) for period, key in enumerate(keys)]
    at_period = itertools.cycle(signed)
    sum6_verify = measure(lambda: kes.verify(vk, *_period_and_signature(at_period)))
    unhinted = itertools.cycle(signed)
    window = measure(lambda: kes.verify_window(vk, _MESSAGE, next(unhinted)[1], 0, kes.MAX_PERIOD))
    hinted = itertools.cycle(signed)

    def window_with_hint() -> None:
        period, signature = next(hinted)
        kes.verify_window(vk, _MESSAGE, signature, 0, kes.MAX_PERIOD, hint=period)

    window_hinted = measure(window_with_hint)
    even = itertools.cycle(signed[0::2])
    window_even = measure(lambda: kes.verify_window(vk, _MESSAGE, next(even)[1], 0, kes.MAX_PERIOD))

    opcert = kes.OpCert.issue(vk, seed, 1, 800)
    cert_message = opcert.signed_message
    cert_signature = crypto_sign(cert_message, leaf_sk)[:64]
    ed_verify_48 = measure(lambda: crypto_sign_open(cert_signature + cert_message, leaf_pk))
    sign_key = keys[37]
    return [
        ratio_figure(
            AREA,
            "sum6 verify / ed25519 verify",
            sum6_verify,
            ed_verify,
            1.15,
            baseline="nacl.bindings.crypto_sign_open, 192-byte message",
        ),
        ratio_figure(
            AREA,
            "window verify 0..63 / sum6 verify at a known period",
            window,
            sum6_verify,
            1.25,
            note="signatures at all 64 periods, no hint: odd periods need a second Ed25519 "
            "verification (the leaf bit is not in the hash chain)",
        ),
        ratio_figure(
            AREA,
            "window verify 0..63 with hint / sum6 verify at a known period",
            window_hinted,
            sum6_verify,
            1.25,
            note="hint = the signing period, as a signer's kes_period field gives",
        ),
        ratio_figure(
            AREA,
            "window verify 0..63, even periods / sum6 verify at a known period",
            window_even,
            sum6_verify,
            1.25,
            note="even periods: the first leaf tried is the right one",
        ),
        ratio_figure(
            AREA,
            "keygen / 64 ed25519 keygens",
            measure(lambda: kes.keygen(seed)),
            64 * ed_keygen,
            1.3,
            baseline="nacl.bindings.crypto_sign_seed_keypair",
        ),
        ratio_figure(
            AREA,
            "sign / ed25519 sign",
            measure(lambda: kes.sign(sign_key, _MESSAGE)),
            ed_sign,
            1.2,
            baseline="nacl.bindings.crypto_sign with a ready 64-byte secret key",
        ),
        ratio_figure(
            AREA,
            "opcert validate / ed25519 verify",
            measure(opcert.validate),
            ed_verify_48,
            1.1,
            baseline="crypto_sign_open of the same 48-byte message",
        ),
        Figure(AREA, "ed25519 verify (baseline)", round(ed_verify * 1e6, 2), "us"),
    ]


def _period_and_signature(cycle: itertools.cycle) -> tuple[int, bytes, bytes]:
    period, signature = next(cycle)
    return period, _MESSAGE, signature
