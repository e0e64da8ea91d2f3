"""minisign keys and signatures with PyNaCl, in minisign's own file formats.

Secret key file (what ``minisign -G`` writes; ``minisign -S`` reads ours), line 2 is the
base64 of: ``"Ed"`` | KDF ``"Sc"`` (scrypt) or two zero bytes (unencrypted) | ``"B2"`` |
salt[32] | opslimit[8 LE] | memlimit[8 LE] | key id[8] + Ed25519 secret key[64] +
BLAKE2b-256 checksum[32], those last 104 bytes XORed with scrypt(password) when encrypted.
Signatures are prehashed (``"ED"``: Ed25519 over BLAKE2b-512 of the file) and carry no
timestamp, so signing the same file with the same comment gives the same bytes.

The secret key lives only in the key file and in memory: no message, repr or other file
ever contains it.
"""

from __future__ import annotations

import base64
import binascii
import secrets
import struct
from dataclasses import dataclass
from pathlib import Path

import nacl.exceptions
import nacl.hashlib
import nacl.pwhash.scrypt
import nacl.signing

from release._fs import SECRET_FILE_MODE, atomic_write
from release.distribution.errors import SigningKeyError, SigningPasswordError

SIGNATURE_ALGORITHM = b"Ed"
PREHASHED_ALGORITHM = b"ED"
KDF_SCRYPT = b"Sc"
KDF_NONE = b"\x00\x00"
CHECKSUM_ALGORITHM = b"B2"
UNTRUSTED_PREFIX = "untrusted comment: "
TRUSTED_PREFIX = "trusted comment: "
#: minisign's defaults ("sensitive" scrypt limits: about 1 GiB and a few seconds).
DEFAULT_OPSLIMIT = nacl.pwhash.scrypt.OPSLIMIT_SENSITIVE
DEFAULT_MEMLIMIT = nacl.pwhash.scrypt.MEMLIMIT_SENSITIVE
#: A key file asking for more scrypt memory than this is refused rather than tried.
MAX_MEMLIMIT = 4 * DEFAULT_MEMLIMIT

_KEY_ID_SIZE = 8
_SALT_SIZE = nacl.pwhash.scrypt.SALTBYTES
_KEYNUM_SIZE = _KEY_ID_SIZE + 64 + 32
_HEADER = struct.Struct(f"<2s2s2s{_SALT_SIZE}sQQ")
_SECRET_FILE_SIZE = _HEADER.size + _KEYNUM_SIZE


@dataclass(frozen=True)
class MinisignPublicKey:
    key_id: bytes
    key: bytes

    @property
    def key_id_hex(self) -> str:
        """The id minisign prints: the 8 id bytes as a little-endian number, ``%016X``."""
        return f"{int.from_bytes(self.key_id, 'little'):016X}"

    @property
    def base64(self) -> str:
        """The ``RW...`` string users pass to ``minisign -P``."""
        return base64.b64encode(SIGNATURE_ALGORITHM + self.key_id + self.key).decode()

    def file_text(self) -> str:
        return f"{UNTRUSTED_PREFIX}minisign public key {self.key_id_hex}\n{self.base64}\n"


class MinisignSecretKey:
    """A loaded secret key: signs, shows its public half, never shows itself."""

    __slots__ = ("_signing_key", "key_id")

    def __init__(self, signing_key: nacl.signing.SigningKey, key_id: bytes) -> None:
        self._signing_key = signing_key
        self.key_id = key_id

    def __repr__(self) -> str:
        return f"MinisignSecretKey(id={self.public_key.key_id_hex})"

    @property
    def public_key(self) -> MinisignPublicKey:
        return MinisignPublicKey(self.key_id, bytes(self._signing_key.verify_key))

    def sign_prehashed(self, prehash: bytes, trusted_comment: str) -> str:
        """The ``.minisig`` text for a file whose BLAKE2b-512 is ``prehash``."""
        if len(prehash) != 64:
            raise ValueError("a minisign prehash is the 64-byte BLAKE2b-512 of the file")
        if any(character in trusted_comment for character in "\r\n"):
            raise ValueError("a trusted comment is one line")
        signature = self._signing_key.sign(prehash).signature
        global_signature = self._signing_key.sign(signature + trusted_comment.encode()).signature
        return (
            f"{UNTRUSTED_PREFIX}signature from minisign secret key\n"
            f"{_b64(PREHASHED_ALGORITHM + self.key_id + signature)}\n"
            f"{TRUSTED_PREFIX}{trusted_comment}\n"
            f"{_b64(global_signature)}\n"
        )


def generate_minisign_key(
    secret_path: Path,
    public_path: Path,
    *,
    password: str | None = None,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
) -> str:
    """Create a key pair in minisign's formats (secret file mode 0600); return the key id.

    Without ``password`` the secret key is stored unencrypted (as ``minisign -G -W`` does).
    An existing secret key file is never overwritten.
    """
    if secret_path.exists():
        raise SigningKeyError(f"{secret_path} already exists; a signing key is never overwritten")
    if password == "":
        raise SigningPasswordError("an empty password would not protect the key; omit it instead")
    signing_key = nacl.signing.SigningKey.generate()
    key_id = secrets.token_bytes(_KEY_ID_SIZE)
    secret = bytes(signing_key) + bytes(signing_key.verify_key)
    keynum = key_id + secret + _checksum(key_id, secret)
    if password is None:
        header = _HEADER.pack(
            SIGNATURE_ALGORITHM, KDF_NONE, CHECKSUM_ALGORITHM, bytes(_SALT_SIZE), 0, 0
        )
        comment = "minisign unencrypted secret key"
    else:
        salt = secrets.token_bytes(_SALT_SIZE)
        header = _HEADER.pack(
            SIGNATURE_ALGORITHM, KDF_SCRYPT, CHECKSUM_ALGORITHM, salt, opslimit, memlimit
        )
        keynum = _xor(keynum, _key_stream(password, salt, opslimit, memlimit))
        comment = "minisign encrypted secret key"
    text = f"{UNTRUSTED_PREFIX}{comment}\n{_b64(header + keynum)}\n"
    try:
        atomic_write(secret_path, text, mode=SECRET_FILE_MODE)
        public = MinisignPublicKey(key_id, bytes(signing_key.verify_key))
        atomic_write(public_path, public.file_text())
    except OSError as failure:
        raise SigningKeyError(
            f"cannot write the key pair: {failure.strerror} ({failure.filename})"
        ) from None
    return public.key_id_hex


def load_minisign_key(path: Path, password: str | None = None) -> MinisignSecretKey:
    """Read a minisign secret key file (decrypting it with ``password`` when encrypted)."""
    raw = _decode_key_file(path)
    algorithm, kdf, checksum_algorithm, salt, opslimit, memlimit = _HEADER.unpack_from(raw)
    keynum = raw[_HEADER.size :]
    if algorithm != SIGNATURE_ALGORITHM:
        raise SigningKeyError(
            f"{path}: unsupported signature algorithm {algorithm!r} (expected Ed)"
        )
    if checksum_algorithm != CHECKSUM_ALGORITHM:
        raise SigningKeyError(f"{path}: unsupported checksum algorithm {checksum_algorithm!r}")
    if kdf == KDF_SCRYPT:
        if password is None:
            raise SigningPasswordError(f"{path} is encrypted: a password is needed to use it")
        if memlimit > MAX_MEMLIMIT:
            raise SigningKeyError(
                f"{path}: scrypt memory limit {memlimit} bytes is implausibly high"
            )
        keynum = _xor(keynum, _key_stream(password, salt, opslimit, memlimit))
    elif kdf != KDF_NONE:
        raise SigningKeyError(f"{path}: unsupported key derivation {kdf!r} (expected Sc or none)")
    key_id, secret, checksum = keynum[:8], keynum[8:72], keynum[72:]
    # minisign -W leaves the checksum of an unencrypted key zeroed; anything else is checked.
    unchecked = kdf == KDF_NONE and checksum == bytes(len(checksum))
    if not unchecked and not secrets.compare_digest(checksum, _checksum(key_id, secret)):
        if kdf == KDF_SCRYPT:
            raise SigningPasswordError(f"{path}: wrong password (the key checksum does not match)")
        raise SigningKeyError(f"{path}: corrupted key (the checksum does not match)")
    signing_key = nacl.signing.SigningKey(secret[:32])
    if bytes(signing_key.verify_key) != secret[32:]:
        raise SigningKeyError(f"{path}: corrupted key (its public half does not match)")
    return MinisignSecretKey(signing_key, key_id)


def read_minisign_public_key(path: Path) -> MinisignPublicKey:
    """A ``minisign.pub`` file (comment line, then ``RW...``)."""
    try:
        lines = path.read_text(encoding="ascii").splitlines()
    except (OSError, UnicodeDecodeError) as failure:
        raise SigningKeyError(
            f"{path}: cannot be read as a minisign public key ({failure})"
        ) from None
    try:
        raw = base64.b64decode(lines[1].strip(), validate=True)
    except (IndexError, binascii.Error):
        raw = b""
    if len(raw) != 42 or raw[:2] != SIGNATURE_ALGORITHM:
        raise SigningKeyError(f"{path}: not a minisign public key (line 2 must be the RW... key)")
    return MinisignPublicKey(raw[2:10], raw[10:])


def _decode_key_file(path: Path) -> bytes:
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        raise SigningKeyError(f"{path}: no such minisign secret key file") from None
    except (OSError, UnicodeDecodeError) as failure:
        raise SigningKeyError(
            f"{path}: not a minisign secret key file ({failure.__class__.__name__})"
        ) from None
    lines = text.splitlines()
    if len(lines) < 2 or not lines[0].startswith(UNTRUSTED_PREFIX):
        raise SigningKeyError(
            f"{path}: not a minisign secret key file (expected an '{UNTRUSTED_PREFIX}' line, "
            "then the base64 key)"
        )
    try:
        raw = base64.b64decode(lines[1].strip(), validate=True)
    except binascii.Error:
        raise SigningKeyError(
            f"{path}: not a minisign secret key file (line 2 is not base64)"
        ) from None
    if len(raw) != _SECRET_FILE_SIZE:
        raise SigningKeyError(
            f"{path}: not a minisign secret key file ({len(raw)} bytes of key data, "
            f"expected {_SECRET_FILE_SIZE})"
        )
    return raw


def _checksum(key_id: bytes, secret: bytes) -> bytes:
    return nacl.hashlib.blake2b(SIGNATURE_ALGORITHM + key_id + secret, digest_size=32).digest()


def _key_stream(password: str, salt: bytes, opslimit: int, memlimit: int) -> bytes:
    """libsodium's crypto_pwhash_scryptsalsa208sha256, as minisign derives its key stream."""
    try:
        return nacl.pwhash.scrypt.kdf(_KEYNUM_SIZE, password.encode(), salt, opslimit, memlimit)
    except (nacl.exceptions.ValueError, nacl.exceptions.RuntimeError, MemoryError) as failure:
        raise SigningKeyError(
            f"scrypt key derivation failed ({failure.__class__.__name__})"
        ) from None


def _xor(data: bytes, stream: bytes) -> bytes:
    return bytes(a ^ b for a, b in zip(data, stream, strict=True))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()
