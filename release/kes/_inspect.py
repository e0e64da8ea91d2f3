"""What a key or certificate file is, in terms an operator can check (``inv kes.inspect``)."""

from __future__ import annotations

from release.kes import _envelope as envelope
from release.kes._errors import EnvelopeError, KesError
from release.kes._opcert import OpCert, cold_verification_key, pool_id_from_cold_vk
from release.kes._sum import CLI_SECRET_KEY_SIZE, check_secret_key, period_of, verification_key


def _kes_signing_key(parsed: envelope.TextEnvelope, text: str) -> dict[str, object]:
    sk = envelope.kes_signing_key_from_envelope(text)
    stored = len(parsed.cbor_bytes())
    try:
        check_secret_key(sk)
        consistent, problem = True, None
    except KesError as failure:
        consistent, problem = False, str(failure)
    return {
        "form": "cardano-cli (no period)"
        if stored == CLI_SECRET_KEY_SIZE
        else "Mithril (with period)",
        "key_bytes": stored,
        "period": period_of(sk),
        "kes_vk": verification_key(sk).hex(),
        "consistent": consistent,
        **({"problem": problem} if problem else {}),
    }


def _opcert(opcert: OpCert) -> dict[str, object]:
    return {
        "kes_vk": opcert.kes_vk.hex(),
        "issue_number": opcert.issue_number,
        "start_kes_period": opcert.start_kes_period,
        "cold_vk": opcert.cold_vk.hex(),
        "pool_id": opcert.pool_id,
        "pool_id_hash": opcert.pool_id_hash,
        "signature_valid": opcert.validate(),
    }


def _cold_vk(cold_vk: bytes) -> dict[str, object]:
    return {"cold_vk": cold_vk.hex(), "pool_id": pool_id_from_cold_vk(cold_vk)}


def _issue_counter(text: str) -> dict[str, object]:
    next_issue, cold_vk = envelope.issue_counter_from_envelope(text)
    return {"next_issue_number": next_issue, **_cold_vk(cold_vk)}


def describe(text: str) -> dict[str, object]:
    """A JSON-able description of a KES key, cold key, certificate or counter file.

    Secret material is never included: for a signing key only what can be derived publicly.
    """
    parsed = envelope.TextEnvelope.parse(text)
    details: dict[str, object]
    if parsed.type.startswith("KesSigningKey_"):
        details = _kes_signing_key(parsed, text)
    elif parsed.type.startswith("KesVerificationKey_"):
        details = {"kes_vk": envelope.kes_verification_key_from_envelope(text).hex()}
    elif parsed.type == envelope.OPCERT_TYPE:
        details = _opcert(envelope.opcert_from_envelope(text))
    elif parsed.type in (envelope.COLD_SIGNING_KEY_TYPE, "GenesisDelegateSigningKey_ed25519"):
        details = _cold_vk(cold_verification_key(envelope.cold_signing_key_from_envelope(text)))
    elif parsed.type in (
        envelope.COLD_VERIFICATION_KEY_TYPE,
        "GenesisDelegateVerificationKey_ed25519",
    ):
        details = _cold_vk(envelope.cold_verification_key_from_envelope(text))
    elif parsed.type == envelope.ISSUE_COUNTER_TYPE:
        details = _issue_counter(text)
    else:
        raise EnvelopeError(
            f"unsupported envelope type {parsed.type!r}: expected a KES signing or verification "
            "key, a stake pool cold key, an operational certificate or an issue counter"
        )
    return {
        "type": parsed.type,
        "description": parsed.description,
        "cbor_bytes": len(parsed.cbor),
        **details,
    }
