"""GPG as Mithril uses it: ``CHECKSUM.asc`` (a clear-signed ``sha256sum`` list), ``public-key.gpg``.

Runs the ``gpg`` binary in batch mode with the caller's environment (``GNUPGHOME`` and the
agent decide which keys exist); secret keys stay inside gpg.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from release.distribution.errors import GpgError


def _gpg(arguments: Sequence[str], *, stdin: bytes | None = None, what: str) -> bytes:
    executable = shutil.which("gpg")
    if executable is None:
        raise GpgError(f"{what}: gpg is not installed (a GPG key is configured in [signing])")
    completed = subprocess.run(
        [executable, "--batch", "--no-tty", *arguments],
        input=stdin,
        capture_output=True,
        check=False,
    )
    if completed.returncode != 0:
        detail = completed.stderr.decode(errors="replace").strip().splitlines()
        raise GpgError(f"{what}: gpg failed: {' / '.join(detail[-3:]) or 'no message'}")
    return completed.stdout


def clearsign(text: str, key: str) -> bytes:
    """``text`` clear-signed by ``key`` (ASCII armour)."""
    return _gpg(
        ["--local-user", key, "--armor", "--clearsign"],
        stdin=text.encode(),
        what=f"clear-signing with key {key}",
    )


def signed_text(document: bytes) -> str | None:
    """The text of a clear-signed document whose signature verifies; None when it does not."""
    try:
        return _gpg(["--decrypt"], stdin=document, what="verifying").decode()
    except (GpgError, UnicodeDecodeError):
        return None


def export_public_key(key: str) -> bytes:
    """The armoured public key of ``key``: what users import to check ``CHECKSUM.asc``."""
    exported = _gpg(["--armor", "--export", key], what=f"exporting key {key}")
    if not exported.strip():
        raise GpgError(f"exporting key {key}: no such public key in the keyring")
    return exported
