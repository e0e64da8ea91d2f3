"""The fixed signer and aggregator, and the released behaviours (``inv nodes.*``)."""

from __future__ import annotations

import json as _json
import logging
import sys
from pathlib import Path

from invoke import Context
from invoke.exceptions import Exit

from release.errors import ReleaseToolError
from release.nodes.api import BASE_PATH
from release.nodes.profiles import AGGREGATOR_PROFILES, SIGNER_PROFILES
from release.tasks._cli import emit_json, non_negative, reports_errors, task

_CLOCK_HELP = {
    "slot": "fix the clock at this absolute slot (default: wall clock)",
    "at": "fix the clock at this UTC time, e.g. 2025-11-06T17:07:14Z (default: wall clock)",
    "network": "mainnet, preprod, preview, or a network of --networks-file",
    "networks_file": "TOML or JSON file defining custom networks",
}


def _path(value: str) -> Path | None:
    return Path(value) if value else None


@task(
    help={
        **_CLOCK_HELP,
        "verifier": f"KES window: {', '.join(AGGREGATOR_PROFILES)} (default fixed)",
        "stake": 'stake distribution, JSON {"pool1...": stake, ...}',
        "port": "port to listen on (0 picks a free one)",
        "host": "address to listen on",
        "db": "SQLite registration store (default: in memory, lost on exit)",
        "workers": "processes serving the port, sharing --db (default 1)",
        "base_path": "the API's path prefix (default /aggregator)",
        "dry_run": "check the settings and print them, do not serve",
        "json": "print the settings (with --dry-run) as JSON",
    }
)
@reports_errors
def aggregator(
    c: Context,
    network: str,
    stake: str,
    verifier: str = "fixed",
    slot: int | None = None,
    at: str = "",
    port: int = 8080,
    host: str = "127.0.0.1",
    db: str = "",
    networks_file: str = "",
    workers: int = 1,
    base_path: str = BASE_PATH,
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Serve Mithril's signer registration API until interrupted (prints the URL first)."""
    from release.nodes.commands import (  # noqa: PLC0415
        AggregatorRequest,
        check_aggregator,
        serve_aggregator,
    )

    request = AggregatorRequest(
        network=network,
        verifier=verifier,
        stake=Path(stake),
        networks_file=_path(networks_file),
        slot=non_negative(slot, "slot", "an absolute slot"),
        at=at or None,
        host=host,
        port=port,
        db=_path(db),
        base_path=base_path,
        workers=workers,
    )
    if dry_run:
        settings = check_aggregator(request)
        if json:
            emit_json(settings)
        else:
            for key, value in settings.items():
                sys.stdout.write(f"{key.replace('_', ' ')}: {value}\n")
        return
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(name)s: %(message)s"
    )
    try:
        serve_aggregator(request, lambda url: print(f"listening on {url}", flush=True))
    except OSError as failure:
        raise ReleaseToolError(f"cannot serve on {host}:{port}: {failure.strerror}") from None


@task(
    help={
        **_CLOCK_HELP,
        "kes_key": "KES signing key file (cardano-cli kes.skey, 608 or 612 bytes)",
        "opcert": "operational certificate file (node.cert)",
        "aggregator": "aggregator API root, e.g. http://127.0.0.1:8080/aggregator",
        "profile": f"signer behaviour: {', '.join(SIGNER_PROFILES)} (default fixed)",
        "store": "SQLite protocol key store; reuse it to act as a restarted signer "
        "(default: in memory)",
        "dry_run": "show what would be sent (never reports a registration); send nothing and "
        "leave the store unchanged",
        "json": "print a JSON object",
    }
)
@reports_errors
def signer(
    c: Context,
    kes_key: str,
    opcert: str,
    aggregator: str,
    network: str,
    profile: str = "fixed",
    slot: int | None = None,
    at: str = "",
    store: str = "",
    networks_file: str = "",
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Register a pool's signer once with an aggregator; exit 1 when it is refused."""
    from release.nodes.commands import SignerRequest, register_signer  # noqa: PLC0415

    report = register_signer(
        SignerRequest(
            kes_key=Path(kes_key),
            opcert=Path(opcert),
            aggregator=aggregator,
            network=network,
            profile=profile,
            networks_file=_path(networks_file),
            slot=non_negative(slot, "slot", "an absolute slot"),
            at=at or None,
            store=_path(store),
            dry_run=dry_run,
        )
    )
    if json:
        emit_json(report)
    else:
        sys.stdout.write(
            f"{report['pool_id']} on {report['network']}, epoch {report['recording_epoch']}, "
            f"evolutions {report['kes_evolutions']} ({report['profile']}): {report['status']} - "
            f"{report['message']}\n"
        )
        if report.get("would_send") is not None:
            sys.stdout.write(f"would send: {_json.dumps(report['would_send'])}\n")
    would_send = report["dry_run"] and report["status"] != "failed"
    if not (report["registered"] or would_send):
        raise Exit(code=1)
