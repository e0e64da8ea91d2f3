"""Sum6 KES over Ed25519 and BLAKE2b-256, byte-compatible with cardano-base and the Rust crate.

Secret keys are kept in the Rust/Mithril form: the 608-byte key body followed by the period as
a big-endian u32. The body is, innermost first, the leaf Ed25519 seed then, for each level
k = 1..6, that level's right seed (zeroed once the level moved right) and its two child
verification keys. A signature is the leaf Ed25519 signature followed by each level's pair.
"""

from __future__ import annotations

from hashlib import blake2b

from nacl.bindings import crypto_sign, crypto_sign_open, crypto_sign_seed_keypair
from nacl.exceptions import BadSignatureError

from release.kes._errors import KeyFormatError, PeriodError, SignatureFormatError

DEPTH = 6
PERIODS = 1 << DEPTH
MAX_PERIOD = PERIODS - 1
SEED_SIZE = 32
VERIFICATION_KEY_SIZE = 32
ED25519_SIGNATURE_SIZE = 64
_LEVEL_SIZE = SEED_SIZE + 2 * VERIFICATION_KEY_SIZE
#: The key body as cardano-cli writes it (no period).
CLI_SECRET_KEY_SIZE = SEED_SIZE + _LEVEL_SIZE * DEPTH
_PERIOD_SIZE = 4
#: The Rust/Mithril form: key body + big-endian u32 period.
SECRET_KEY_SIZE = CLI_SECRET_KEY_SIZE + _PERIOD_SIZE
SIGNATURE_SIZE = ED25519_SIGNATURE_SIZE + 2 * VERIFICATION_KEY_SIZE * DEPTH

#: Offset of level k's right seed in the key body; its vk pair follows it.
_LEVEL_BASE = {level: SEED_SIZE + _LEVEL_SIZE * (level - 1) for level in range(1, DEPTH + 1)}
_ZERO_SEED = bytes(SEED_SIZE)


def _hash(data: bytes) -> bytes:
    return blake2b(data, digest_size=32).digest()


def _subtree(seed: bytes, depth: int) -> tuple[bytes, bytes]:
    """Key body at period 0 and verification key of a fresh Sum_depth key."""
    if depth == 0:
        return seed, crypto_sign_seed_keypair(seed)[0]
    right_seed = _hash(b"\x02" + seed)
    child, left_vk = _subtree(_hash(b"\x01" + seed), depth - 1)
    right_vk = _subtree(right_seed, depth - 1)[1]
    return child + right_seed + left_vk + right_vk, _hash(left_vk + right_vk)


def _require_seed(seed: bytes) -> None:
    if not isinstance(seed, bytes) or len(seed) != SEED_SIZE:
        raise KeyFormatError(f"a KES seed is {SEED_SIZE} bytes, got {_describe(seed)}")


def _describe(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        return f"{len(value)} bytes"
    return type(value).__name__


def _split_secret_key(sk: bytes) -> tuple[bytes, int]:
    """Key body and period, accepting the 612-byte Mithril form and the 608-byte cli form."""
    if not isinstance(sk, bytes):
        raise KeyFormatError(f"a Sum6 secret key is bytes, got {type(sk).__name__}")
    if len(sk) == CLI_SECRET_KEY_SIZE:
        return sk, 0
    if len(sk) != SECRET_KEY_SIZE:
        raise KeyFormatError(
            f"a Sum6 secret key is {SECRET_KEY_SIZE} bytes (Mithril form, with period) or "
            f"{CLI_SECRET_KEY_SIZE} bytes (cardano-cli form), got {len(sk)} bytes"
        )
    period = int.from_bytes(sk[CLI_SECRET_KEY_SIZE:], "big")
    if period > MAX_PERIOD:
        raise KeyFormatError(f"the secret key's period suffix is {period}, outside 0..{MAX_PERIOD}")
    return sk[:CLI_SECRET_KEY_SIZE], period


def keygen(seed: bytes) -> tuple[bytes, bytes]:
    """Secret key (612-byte Mithril form, period 0) and verification key from a 32-byte seed."""
    _require_seed(seed)
    body, vk = _subtree(seed, DEPTH)
    return body + bytes(_PERIOD_SIZE), vk


def period_of(sk: bytes) -> int:
    """The period a secret key is at (0 for the cardano-cli form)."""
    return _split_secret_key(sk)[1]


def verification_key(sk: bytes) -> bytes:
    """The key's verification key; it never changes as the key evolves."""
    body, _ = _split_secret_key(sk)
    top = _LEVEL_BASE[DEPTH] + SEED_SIZE
    return _hash(body[top : top + 2 * VERIFICATION_KEY_SIZE])


def evolve(sk: bytes, period: int) -> bytes:
    """The key at a later ``period``, as if :func:`update` had been applied repeatedly.

    Jumps straight there: each level that must move to its right half regenerates its child
    from the level's right seed once, then forgets that seed, which is exactly the state the
    step-by-step evolution reaches (and costs at most one key generation in total).
    """
    body, current = _split_secret_key(sk)
    if not isinstance(period, int) or not current <= period <= MAX_PERIOD:
        raise PeriodError(
            f"cannot evolve a key at period {current} to period {period}: "
            f"a Sum6 key only moves forward, within 0..{MAX_PERIOD}"
        )
    for level in range(DEPTH, 0, -1):
        half = 1 << (level - 1)
        if period & half and not current & half:
            base = _LEVEL_BASE[level]
            right_seed = body[base : base + SEED_SIZE]
            if right_seed == _ZERO_SEED:
                raise KeyFormatError(
                    f"level {level}'s right seed is already erased although the key is at "
                    f"period {current}: the key is corrupt"
                )
            child, _ = _subtree(right_seed, level - 1)
            body = child + _ZERO_SEED + body[base + SEED_SIZE :]
            current = (current | half) & ~(half - 1)
    return body + period.to_bytes(_PERIOD_SIZE, "big")


def update(sk: bytes) -> bytes:
    """The key at the next period; a key at period 63 cannot be updated."""
    period = period_of(sk)
    if period == MAX_PERIOD:
        raise PeriodError(f"the key is at period {MAX_PERIOD}, the last one: it cannot be updated")
    return evolve(sk, period + 1)


def sign(sk: bytes, message: bytes) -> bytes:
    """Sum6 signature (448 bytes) of ``message`` at the key's current period."""
    body, period = _split_secret_key(sk)
    # libsodium takes the 64-byte seed || public-key form; the leaf's public key is already in
    # the key (level 1's pair), so no scalar multiplication is spent re-deriving it.
    leaf_vk_offset = _LEVEL_BASE[1] + SEED_SIZE + (period & 1) * VERIFICATION_KEY_SIZE
    leaf = body[:SEED_SIZE] + body[leaf_vk_offset : leaf_vk_offset + VERIFICATION_KEY_SIZE]
    signature = crypto_sign(bytes(message), leaf)[:ED25519_SIGNATURE_SIZE]
    pairs = b"".join(body[base + SEED_SIZE : base + _LEVEL_SIZE] for base in _LEVEL_BASE.values())
    return signature + pairs


def check_secret_key(sk: bytes) -> None:
    """Raise :class:`KeyFormatError` if the key's stored verification keys do not fit together.

    A key made by :func:`keygen` and :func:`update` always passes; a corrupted or hand-edited
    file fails here instead of producing signatures nobody can verify.
    """
    body, period = _split_secret_key(sk)
    expected = crypto_sign_seed_keypair(body[:SEED_SIZE])[0]
    for level in range(1, DEPTH + 1):
        pair_at = _LEVEL_BASE[level] + SEED_SIZE
        side = (period >> (level - 1)) & 1
        stored = body[pair_at + side * VERIFICATION_KEY_SIZE : pair_at + (side + 1) * 32]
        if stored != expected:
            raise KeyFormatError(
                f"level {level} of the secret key does not match the key below it "
                f"(period {period}): the key is corrupt"
            )
        expected = _hash(body[pair_at : pair_at + 2 * VERIFICATION_KEY_SIZE])


def _require_signature_inputs(vk: bytes, signature: bytes) -> None:
    if not isinstance(vk, bytes) or len(vk) != VERIFICATION_KEY_SIZE:
        raise KeyFormatError(
            f"a Sum6 verification key is {VERIFICATION_KEY_SIZE} bytes, got {_describe(vk)}"
        )
    if not isinstance(signature, bytes) or len(signature) != SIGNATURE_SIZE:
        raise SignatureFormatError(
            f"a Sum6 signature is {SIGNATURE_SIZE} bytes, got {_describe(signature)}"
        )


def _ed25519_valid(public_key: bytes, message: bytes, signature: bytes) -> bool:
    try:
        crypto_sign_open(signature + message, public_key)
    except BadSignatureError:
        return False
    return True


def _pair(signature: bytes, level: int) -> bytes:
    start = ED25519_SIGNATURE_SIZE * level
    return signature[start : start + 2 * VERIFICATION_KEY_SIZE]


#: (start, end, bit) of each level's vk pair in a signature, top level first: the path
#: verification walks, precomputed because verification is the aggregator's hot loop.
_PATH = tuple(
    (ED25519_SIGNATURE_SIZE * level, ED25519_SIGNATURE_SIZE * (level + 1), level - 1)
    for level in range(DEPTH, 0, -1)
)


def verify(vk: bytes, period: int, message: bytes, signature: bytes) -> bool:
    """Whether ``signature`` is valid for ``message`` at ``period`` under ``vk``.

    Periods outside 0..63 raise :class:`PeriodError` rather than being folded onto 63 as the
    Rust crate does: a caller asking about period 64 has a bug worth hearing about.
    """
    _require_signature_inputs(vk, signature)
    if not isinstance(period, int) or not 0 <= period <= MAX_PERIOD:
        raise PeriodError(f"a Sum6 period is within 0..{MAX_PERIOD}, got {period!r}")
    node = vk
    for start, end, bit in _PATH:
        pair = signature[start:end]
        if blake2b(pair, digest_size=32).digest() != node:
            return False
        node = pair[VERIFICATION_KEY_SIZE:] if period >> bit & 1 else pair[:VERIFICATION_KEY_SIZE]
    return _ed25519_valid(node, bytes(message), signature[:ED25519_SIGNATURE_SIZE])


def verify_window(
    vk: bytes,
    message: bytes,
    signature: bytes,
    lo: int,
    hi: int,
    hint: int | None = None,
) -> int | None:
    """The period in ``[lo, hi]`` (clamped to 0..63) at which ``signature`` verifies, or None.

    The hash chain fixes the path: each level's child hash must equal one of the pair above
    it, which gives every period bit but the last from six BLAKE2b checks. The last bit picks
    the leaf; only leaves whose period falls in the window are tried, ``hint`` first (the
    period the caller expects, e.g. the signer's claimed evolutions), so an honest signature
    costs one Ed25519 verification and an odd period without a hint costs two.
    """
    _require_signature_inputs(vk, signature)
    lo, hi = max(lo, 0), min(hi, MAX_PERIOD)
    if lo > hi:
        return None
    hashes = {level: _hash(_pair(signature, level)) for level in range(1, DEPTH + 1)}
    if hashes[DEPTH] != vk:
        return None
    prefixes = [0]
    for level in range(DEPTH, 1, -1):
        pair, child = _pair(signature, level), hashes[level - 1]
        sides = [side for side in (0, 1) if pair[side * 32 : (side + 1) * 32] == child]
        if not sides:
            return None
        prefixes = [prefix | side << (level - 1) for prefix in prefixes for side in sides]
    candidates = sorted(
        (period for prefix in prefixes for period in (prefix, prefix | 1) if lo <= period <= hi),
        key=lambda period: (
            hint is not None and period != hint,
            hint is not None and (period ^ hint) & 1,
            period,
        ),
    )
    leaves, ed25519_signature, tried = _pair(signature, 1), signature[:64], {}
    message = bytes(message)
    for period in candidates:
        leaf = leaves[(period & 1) * 32 : (period & 1) * 32 + 32]
        if leaf not in tried:
            tried[leaf] = _ed25519_valid(leaf, message, ed25519_signature)
        if tried[leaf]:
            return period
    return None


def recover_period(vk: bytes, message: bytes, signature: bytes) -> int | None:
    """The period ``signature`` verifies at (the lowest, for a degenerate key), or None."""
    return verify_window(vk, message, signature, 0, MAX_PERIOD)
