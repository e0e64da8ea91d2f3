"""``mithril-signer inspect``: what an operator's files say, with only the shipped signer.

The notes tell operators to find their pool id and to check their KES key with this command,
so it needs nothing but the executable they downloaded: no cardano-cli, no this tool.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

from release import kes
from release.chain import get_network, load_networks, parse_time
from release.diagnostics import check_operator_keys
from release.errors import ReleaseToolError

SUBCOMMAND = "inspect"
EXIT_ACTION_NEEDED = 1
EXIT_ERROR = 2


def inspect_main(argv: list[str]) -> int:
    """Print the pool id and certificate facts; with ``--kes-key``, the full key check
    (exit 1 when the operator must act, as ``inv kes.check``)."""
    parser = argparse.ArgumentParser(
        prog=f"mithril-signer {SUBCOMMAND}",
        description="Read an operational certificate (and a KES key): the pool id it names, "
        "and whether the key matches it and can sign now.",
    )
    parser.add_argument(
        "--opcert", required=True, type=Path, help="operational certificate file (node.cert)"
    )
    parser.add_argument(
        "--kes-key", type=Path, help="KES signing key file (kes.skey): check it too"
    )
    parser.add_argument(
        "--network", help="mainnet, preprod, preview or a custom one (needed with --kes-key)"
    )
    parser.add_argument(
        "--networks-file", type=Path, help="TOML/JSON file defining custom networks"
    )
    parser.add_argument("--at", metavar="TIME", help="check at this UTC time instead of now")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--pool-id", action="store_true", help="print only the pool id")
    output.add_argument("--json", action="store_true", help="print the facts as JSON")
    args = parser.parse_args(argv)
    if args.kes_key is not None and args.network is None:
        parser.error("--kes-key needs --network (the KES period depends on the chain)")
    try:
        opcert = kes.load_envelope_file(
            args.opcert, "operational certificate", kes.opcert_from_envelope
        )
        if args.pool_id:
            print(opcert.pool_id)
            return 0
        if args.kes_key is None:
            return _print(_certificate_facts(opcert), as_json=args.json)
        custom = load_networks(args.networks_file) if args.networks_file else None
        result = check_operator_keys(
            kes.load_envelope_file(
                args.kes_key, "KES signing key", kes.kes_signing_key_from_envelope
            ),
            opcert,
            get_network(args.network, custom),
            parse_time(args.at) if args.at else datetime.now(UTC),
        )
    except ReleaseToolError as failure:
        print(f"error: {failure}", file=sys.stderr)
        return EXIT_ERROR
    if args.json:
        print(json.dumps(result.as_json(), indent=2))
    else:
        print("\n".join(result.report_lines()))
    return EXIT_ACTION_NEEDED if result.problems else 0


#: What ``inspect --opcert`` prints: JSON key -> the label an operator reads.
_CERTIFICATE_LABELS = {
    "pool_id": "pool id",
    "start_kes_period": "certificate start KES period",
    "issue_number": "certificate issue number",
    "signed_by_cold_key": "certificate signed by the cold key",
}


def _certificate_facts(opcert: kes.OpCert) -> dict[str, object]:
    return {
        "pool_id": opcert.pool_id,
        "start_kes_period": opcert.start_kes_period,
        "issue_number": opcert.issue_number,
        "signed_by_cold_key": opcert.validate(),
    }


def _print(facts: dict[str, object], *, as_json: bool) -> int:
    if as_json:
        print(json.dumps(facts, indent=2))
    else:
        for key, value in facts.items():
            shown = ("yes" if value else "NO") if isinstance(value, bool) else value
            print(f"{_CERTIFICATE_LABELS[key]}: {shown}")
    return 0
