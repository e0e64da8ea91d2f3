"""Checksums and signatures of a built distribution.

Order matters and is fixed: public keys first (they are distribution files too), then
``CHECKSUM`` over every file, then a minisign signature of ``CHECKSUM`` and of each archive
(from the digests already computed: no file is read twice), then, with GPG configured,
``CHECKSUM.asc`` listing every file but itself as Mithril does. Files already holding the
right bytes are not rewritten, so signing twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from release._fs import write_if_changed
from release.distribution import gpg
from release.distribution.checksums import (
    CHECKSUM_FILE,
    FileDigest,
    checksum_text,
    digest_bytes,
    digest_files,
)
from release.distribution.errors import ArtifactError
from release.distribution.minisign import (
    MinisignPublicKey,
    MinisignSecretKey,
    generate_minisign_key,
    load_minisign_key,
    read_minisign_public_key,
)
from release.distribution.versions import DistributionVersion

__all__ = [
    "GPG_CHECKSUM_FILE",
    "GPG_PUBLIC_KEY_FILE",
    "MINISIGN_PUBLIC_KEY_FILE",
    "SIGNATURE_SUFFIX",
    "MinisignPublicKey",
    "MinisignSecretKey",
    "SignedDistribution",
    "generate_minisign_key",
    "load_minisign_key",
    "planned_files",
    "read_minisign_public_key",
    "sign_distribution",
    "trusted_comment",
]

MINISIGN_PUBLIC_KEY_FILE = "minisign.pub"
SIGNATURE_SUFFIX = ".minisig"
GPG_CHECKSUM_FILE = "CHECKSUM.asc"
GPG_PUBLIC_KEY_FILE = "public-key.gpg"
ARCHIVE_SUFFIX = ".tar.gz"
_SIGNING_OUTPUTS = (CHECKSUM_FILE, GPG_CHECKSUM_FILE)


@dataclass(frozen=True)
class SignedDistribution:
    #: Every file the signing step owns (keys, CHECKSUM, signatures), sorted by name.
    files: tuple[Path, ...]
    #: Those it wrote this time; empty on a re-run over an unchanged distribution.
    written: tuple[Path, ...]
    public_key: MinisignPublicKey


def trusted_comment(version: DistributionVersion, name: str) -> str:
    """Signed with the file: which release and which file, and no timestamp (reproducible)."""
    return f"version:{version} file:{name}"


def planned_files(archives: Sequence[str], *, gpg_key: str | None) -> list[str]:
    """Names of the files :func:`sign_distribution` writes beside ``archives`` (dry runs)."""
    names = [MINISIGN_PUBLIC_KEY_FILE, CHECKSUM_FILE, f"{CHECKSUM_FILE}{SIGNATURE_SUFFIX}"]
    names += [f"{archive}{SIGNATURE_SUFFIX}" for archive in archives]
    if gpg_key:
        names += [GPG_PUBLIC_KEY_FILE, GPG_CHECKSUM_FILE]
    return sorted(names)


def public_key_file(dist_dir: Path) -> Path:
    return dist_dir / MINISIGN_PUBLIC_KEY_FILE


def write_public_key(dist_dir: Path, key: MinisignSecretKey) -> Path:
    """``minisign.pub`` beside the archives (before the signatures: the notes quote its id)."""
    path = public_key_file(dist_dir)
    write_if_changed(path, key.public_key.file_text().encode())
    return path


def sign_distribution(
    dist_dir: Path,
    key: MinisignSecretKey,
    version: DistributionVersion,
    *,
    gpg_key: str | None = None,
    workers: int | None = None,
) -> SignedDistribution:
    """Write public keys, ``CHECKSUM``, ``.minisig`` files and (GPG) ``CHECKSUM.asc``."""
    # Checked before anything is written: signing an unbuilt distribution leaves no trace.
    if not any(path.name.endswith(ARCHIVE_SUFFIX) for path in _payload_files(dist_dir)):
        raise ArtifactError(f"{dist_dir}: no *{ARCHIVE_SUFFIX} archive to sign (build first)")
    outputs: dict[Path, bytes] = {public_key_file(dist_dir): key.public_key.file_text().encode()}
    if gpg_key:
        outputs[dist_dir / GPG_PUBLIC_KEY_FILE] = gpg.export_public_key(gpg_key)
    written = [path for path, data in outputs.items() if write_if_changed(path, data)]
    digests = digest_files(_payload_files(dist_dir), workers=workers)
    checksum = checksum_text(digests).encode()
    signed = [digest_bytes(dist_dir / CHECKSUM_FILE, checksum)]
    signed += [digest for digest in digests if digest.name.endswith(ARCHIVE_SUFFIX)]
    signatures = {
        digest.path.with_name(digest.name + SIGNATURE_SUFFIX): key.sign_prehashed(
            digest.blake2b, trusted_comment(version, digest.name)
        ).encode()
        for digest in signed
    }
    new_files = {dist_dir / CHECKSUM_FILE: checksum, **signatures}
    written += [path for path, data in new_files.items() if write_if_changed(path, data)]
    files = [*outputs, *new_files]
    if gpg_key:
        listed = [*digests, *(digest_bytes(path, data) for path, data in new_files.items())]
        asc = dist_dir / GPG_CHECKSUM_FILE
        files.append(asc)
        if _write_gpg_checksums(asc, listed, gpg_key):
            written.append(asc)
    return SignedDistribution(_by_name(files), _by_name(written), key.public_key)


def _by_name(paths: Sequence[Path]) -> tuple[Path, ...]:
    return tuple(sorted(paths, key=lambda path: path.name))


def _payload_files(dist_dir: Path) -> list[Path]:
    """The files ``CHECKSUM`` covers: everything but the signing step's own outputs."""
    if not dist_dir.is_dir():
        raise ArtifactError(f"{dist_dir}: no such distribution directory (build first)")
    return sorted(
        path
        for path in dist_dir.iterdir()
        if path.is_file()
        and not path.name.startswith(".")
        and path.name not in _SIGNING_OUTPUTS
        and not path.name.endswith(SIGNATURE_SUFFIX)
    )


def _write_gpg_checksums(path: Path, digests: Sequence[FileDigest], gpg_key: str) -> bool:
    """``CHECKSUM.asc``: ``./<file>`` lines, clear-signed; kept when it already signs them.

    GPG signatures carry a time, so re-signing would always change the file: an existing
    one that verifies and lists exactly these digests is left as it is.
    """
    text = checksum_text(digests, prefix="./")
    try:
        existing = path.read_bytes()
    except FileNotFoundError:
        existing = None
    if existing is not None and gpg.signed_text(existing) == text:
        return False
    return write_if_changed(path, gpg.clearsign(text, gpg_key))
