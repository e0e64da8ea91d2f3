"""SPO diagnostics: KES keys, operational certificates, signatures (``inv kes.*``)."""

from __future__ import annotations

import binascii
import os
import subprocess
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from invoke import Context
from invoke.exceptions import Exit

from release.errors import ReleaseToolError
from release.tasks._cli import emit_json, reports_errors, required_non_negative, task


def _hex_argument(value: str, name: str, size: int | None = None) -> bytes:
    try:
        data = binascii.unhexlify(value.strip())
    except (binascii.Error, ValueError):
        raise ReleaseToolError(f"--{name} is not hexadecimal") from None
    if size is not None and len(data) != size:
        raise ReleaseToolError(
            f"--{name} must be {size} bytes ({2 * size} hex digits), got {len(data)} bytes"
        )
    return data


def _secret_key_path(out: str, default: str) -> str:
    """Where a secret key goes: ``--out``, or ``default`` unless git could pick it up there."""
    if out:
        return out
    try:
        inside = subprocess.run(
            ["git", "rev-parse", "--show-toplevel"], capture_output=True, text=True, check=False
        )
    except OSError:  # no git on this machine: no work tree to protect
        return default
    if inside.returncode != 0:
        return default
    ignored = subprocess.run(["git", "check-ignore", "-q", default], check=False)
    if ignored.returncode == 0:
        return default
    raise ReleaseToolError(
        f"the current directory is in the git work tree {inside.stdout.strip()}, where {default}"
        " could be committed: pass --out PATH (outside the repository, or ignored by git)"
    )


class _Output(NamedTuple):
    path: str
    text: str
    secret: bool = False


def _write(outputs: Sequence[_Output], *, force: bool, dry_run: bool) -> list[str]:
    """Write each file (secrets with mode 0600); the paths, for the report."""
    from release._fs import DATA_MODE, SECRET_FILE_MODE, atomic_write  # noqa: PLC0415

    if not dry_run:
        for output in outputs:
            mode = SECRET_FILE_MODE if output.secret else DATA_MODE
            atomic_write(Path(output.path), output.text, mode=mode, overwrite=force)
    return [output.path for output in outputs]


#: Help of the options every key generator has.
_KEYGEN_HELP = {
    "force": "replace existing files",
    "dry_run": "show what would be written, write nothing",
    "json": "print a JSON object",
}


@task(
    help={
        "seed": "32-byte seed in hex (default: fresh random bytes; the seed is never printed)",
        "out": "KES signing key file to write (default kes.skey, refused in a git work tree"
        " unless git ignores it)",
        "vkey_out": "KES verification key file to write",
        "mithril": "write the signing key in Mithril's form (with its period), not cardano-cli's",
        **_KEYGEN_HELP,
    }
)
@reports_errors
def keygen(
    c: Context,
    seed: str = "",
    out: str = "",
    vkey_out: str = "kes.vkey",
    mithril: bool = False,
    force: bool = False,
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Generate a Sum6 KES key pair as cardano-cli text envelopes (signing key mode 0600)."""
    from release import kes  # noqa: PLC0415

    raw_seed = _hex_argument(seed, "seed", kes.SEED_SIZE) if seed else os.urandom(kes.SEED_SIZE)
    sk, vk = kes.keygen(raw_seed)
    written = _write(
        [
            _Output(
                _secret_key_path(out, "kes.skey"),
                kes.kes_signing_key_envelope(sk, mithril=mithril),
                secret=True,
            ),
            _Output(vkey_out, kes.kes_verification_key_envelope(vk)),
        ],
        force=force,
        dry_run=dry_run,
    )
    _report({"kes_vk": vk.hex(), "files": written, "dry_run": dry_run}, json)


@task(
    help={
        "out": "cold signing key file to write (default cold.skey, refused in a git work tree"
        " unless git ignores it)",
        "vkey_out": "cold verification key file to write",
        "counter_out": "issue counter file to write (next issue number 0)",
        **_KEYGEN_HELP,
    }
)
@reports_errors
def cold_keygen(
    c: Context,
    out: str = "",
    vkey_out: str = "cold.vkey",
    counter_out: str = "cold.counter",
    force: bool = False,
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Generate a stake pool cold key pair and issue counter (for test pools and drills)."""
    from release import kes  # noqa: PLC0415

    cold_seed = os.urandom(kes.SEED_SIZE)
    cold_vk = kes.cold_verification_key(cold_seed)
    written = _write(
        [
            _Output(
                _secret_key_path(out, "cold.skey"),
                kes.cold_signing_key_envelope(cold_seed),
                secret=True,
            ),
            _Output(vkey_out, kes.cold_verification_key_envelope(cold_vk)),
            _Output(counter_out, kes.issue_counter_envelope(0, cold_vk)),
        ],
        force=force,
        dry_run=dry_run,
    )
    _report(
        {"pool_id": kes.pool_id_from_cold_vk(cold_vk), "files": written, "dry_run": dry_run}, json
    )


@task(
    help={
        "kes_vkey": "KES verification key file",
        "cold_skey": "cold signing key file",
        "kes_period": "absolute KES period the certificate starts at",
        "counter_file": "issue counter file: its number is used, then bumped",
        "issue_number": "issue number to use when there is no counter file",
        "out": "certificate file to write",
        "force": "replace an existing certificate file",
        "dry_run": "show the certificate that would be issued, write nothing",
        "json": "print a JSON object",
    }
)
@reports_errors
def issue_opcert(
    c: Context,
    kes_vkey: str,
    cold_skey: str,
    kes_period: int | None = None,
    counter_file: str = "",
    issue_number: int | None = None,
    out: str = "node.cert",
    force: bool = False,
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Issue an operational certificate, as `cardano-cli node issue-op-cert` does."""
    from release import kes  # noqa: PLC0415
    from release._fs import atomic_write  # noqa: PLC0415

    start = required_non_negative(
        kes_period, "kes-period", "the absolute KES period the certificate starts at"
    )
    kes_vk = kes.load_envelope_file(
        kes_vkey, "KES verification key", kes.kes_verification_key_from_envelope
    )
    cold_seed = kes.load_envelope_file(
        cold_skey, "cold signing key", kes.cold_signing_key_from_envelope
    )
    if counter_file:
        number, counter_vk = kes.load_envelope_file(
            counter_file, "issue counter", kes.issue_counter_from_envelope
        )
        if counter_vk != kes.cold_verification_key(cold_seed):
            raise ReleaseToolError(f"the issue counter {counter_file} belongs to another cold key")
    elif issue_number is not None:
        number = required_non_negative(
            issue_number, "issue-number", "the certificate's issue number"
        )
    else:
        raise ReleaseToolError("give --counter-file or --issue-number")
    opcert = kes.OpCert.issue(kes_vk, cold_seed, number, start)
    written = _write([_Output(out, kes.opcert_envelope(opcert))], force=force, dry_run=dry_run)
    if counter_file and not dry_run:
        atomic_write(Path(counter_file), kes.issue_counter_envelope(number + 1, opcert.cold_vk))
        written.append(counter_file)
    _report(
        {
            "pool_id": opcert.pool_id,
            "issue_number": number,
            "start_kes_period": start,
            "files": written,
            "dry_run": dry_run,
        },
        json,
    )


@task(
    help={
        "file": "key, certificate or counter file (cardano-cli text envelope)",
        "json": "print JSON",
    }
)
@reports_errors
def inspect(c: Context, file: str, json: bool = False) -> None:
    """Describe a KES key, cold key, operational certificate or issue counter file."""
    from release import kes  # noqa: PLC0415

    _report({"file": file, **kes.load_envelope_file(file, "file", kes.describe)}, json)


@task(
    help={
        "vk": "KES verification key, 32 bytes hex",
        "period": "KES period (evolutions since the certificate's start), 0..63",
        "message": "signed message, hex",
        "signature": "signature: 448 bytes hex, or Mithril's hex-of-JSON wire form",
        "json": "print a JSON object",
    }
)
@reports_errors
def verify(
    c: Context,
    vk: str,
    message: str,
    signature: str,
    period: int | None = None,
    json: bool = False,
) -> None:
    """Verify a Sum6 KES signature at a period: exit 0 if valid, 1 if not."""
    from release import kes  # noqa: PLC0415

    at = required_non_negative(period, "period", "evolutions since the certificate's start")
    if at > kes.MAX_PERIOD:
        raise ReleaseToolError(f"--period {at} is past a Sum6 key's life: give 0..{kes.MAX_PERIOD}")
    key = _hex_argument(vk, "vk", kes.VERIFICATION_KEY_SIZE)
    data = _hex_argument(message, "message")
    try:
        sig = kes.decode_kes_signature(signature.strip())
    except kes.KesError as failure:
        raise ReleaseToolError(f"--signature: {failure}") from None
    valid = kes.verify(key, at, data, sig)
    signed_at = None if valid else kes.recover_period(key, data, sig)
    if json:
        emit_json({"valid": valid, "period": at, "signed_at_period": signed_at})
    else:
        sys.stdout.write(f"valid: {'yes' if valid else 'no'}\nperiod: {at}\n")
        if not valid:
            sys.stdout.write(f"signed at period: {_signed_at(signed_at)}\n")
    if not valid:
        raise Exit(code=1)


def _signed_at(period: int | None) -> str:
    """Where a signature that failed at the asked period was made, if anywhere."""
    from release import kes  # noqa: PLC0415

    if period is None:
        return f"none of 0..{kes.MAX_PERIOD} (another key or another message)"
    return str(period)


@task(
    help={
        "kes_key": "KES signing key file (cardano-cli or Mithril form)",
        "opcert": "operational certificate file (node.cert)",
        "network": "mainnet, preprod, preview, or a network of --networks-file",
        "at": "check at this time (ISO 8601, e.g. 2025-11-06T17:07:14Z) instead of now",
        "networks_file": "TOML or JSON file defining custom networks",
        "json": "print a JSON object",
    }
)
@reports_errors
def check(
    c: Context,
    kes_key: str,
    opcert: str,
    network: str = "mainnet",
    at: str = "",
    networks_file: str = "",
    json: bool = False,
) -> None:
    """Check a KES key and certificate: pool, match, periods, expiry; exit 1 if action is needed."""
    from release import kes  # noqa: PLC0415
    from release.chain import get_network, load_networks, parse_time  # noqa: PLC0415
    from release.diagnostics import check_operator_keys  # noqa: PLC0415

    custom = load_networks(networks_file) if networks_file else None
    moment = parse_time(at) if at else datetime.now(UTC)
    result = check_operator_keys(
        kes.load_envelope_file(kes_key, "KES signing key", kes.kes_signing_key_from_envelope),
        kes.load_envelope_file(opcert, "operational certificate", kes.opcert_from_envelope),
        get_network(network, custom),
        moment,
    )
    if json:
        emit_json(result.as_json())
    else:
        sys.stdout.write("".join(f"{line}\n" for line in result.report_lines()))
    if result.problems:
        raise Exit(code=1)


def _report(payload: dict[str, object], as_json: bool) -> None:
    if as_json:
        emit_json(payload)
        return
    for key, value in payload.items():
        shown = ", ".join(map(str, value)) if isinstance(value, list) else value
        sys.stdout.write(f"{key.replace('_', ' ')}: {shown}\n")
