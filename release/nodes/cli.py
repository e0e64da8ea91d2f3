"""``mithril-signer`` and ``mithril-aggregator``: the packaged executables' entry points.

The executables carry the ``release`` files they need and the wheels of what those import
beyond the standard library (PyNaCl, cbor2, bech32, pyblst and theirs); ``--version
--verbose`` names the versions they carry. The flags mirror ``inv nodes.signer`` and
``inv nodes.aggregator``. Each entry point imports its own commands once its arguments are
parsed: ``--help`` and ``--version`` load nothing else, and the signer never loads the
aggregator.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from release.errors import ReleaseToolError
from release.nodes.api import BASE_PATH
from release.nodes.inspect import SUBCOMMAND, inspect_main
from release.nodes.profiles import AGGREGATOR_PROFILES, SIGNER_PROFILES

EXIT_REJECTED = 1
EXIT_ERROR = 2


class _Version(argparse.Action):
    """``--version``: the program's version; with ``--verbose`` too, the Python running it and
    the versions of the dependencies it carries (read from their own metadata)."""

    def __init__(
        self, option_strings: Sequence[str], dest: str, *, line: str, dependencies: Sequence[str]
    ) -> None:
        super().__init__(
            option_strings,
            dest,
            nargs=0,
            default=argparse.SUPPRESS,
            help="print the version and exit (with --verbose: Python and dependency versions)",
        )
        self.line, self.dependencies = line, dependencies

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: object,
        option_string: str | None = None,
    ) -> None:
        lines = [self.line]
        if "--verbose" in getattr(parser, "argv", ()):
            lines.append(f"Python {sys.version.split()[0]} ({sys.executable})")
            for name in self.dependencies:
                try:
                    lines.append(f"{name} {metadata.version(name)}")
                except metadata.PackageNotFoundError:
                    lines.append(f"{name} missing")
        print("\n".join(lines))
        parser.exit()


def _parser(
    prog: str,
    description: str,
    version: str,
    argv: list[str] | None,
    dependencies: Sequence[str],
) -> argparse.ArgumentParser:
    """A parser with what both executables take: ``--version`` and the clock's options."""
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.argv = sys.argv[1:] if argv is None else argv  # type: ignore[attr-defined]
    parser.add_argument(
        "--version", action=_Version, line=f"{prog} {version}", dependencies=dependencies
    )
    parser.add_argument(
        "--verbose", action="store_true", help="with --version: list the dependency versions"
    )
    clock = parser.add_mutually_exclusive_group()
    clock.add_argument("--slot", type=int, help="fix the clock at this absolute slot")
    clock.add_argument(
        "--at", metavar="TIME", help="fix the clock at this UTC time (2025-11-06T17:07:14Z)"
    )
    parser.add_argument(
        "--network", required=True, help="mainnet, preprod, preview or a custom network"
    )
    parser.add_argument(
        "--networks-file", type=Path, help="TOML/JSON file defining custom networks"
    )
    return parser


def _error(failure: Exception) -> int:
    print(f"error: {failure}", file=sys.stderr)
    return EXIT_ERROR


def signer_main(
    argv: list[str] | None = None,
    *,
    version: str = "dev",
    profile: str = "fixed",
    dependencies: Sequence[str] = (),
) -> int:
    """Register once with an aggregator; exit 0 when registered, 1 when refused, 2 on bad input.

    ``mithril-signer inspect ...`` reads the operator's files instead (see ``--help``)."""
    arguments = sys.argv[1:] if argv is None else argv
    if arguments[:1] == [SUBCOMMAND]:
        return inspect_main(arguments[1:])
    parser = _parser(
        "mithril-signer",
        "Register this pool's Mithril signer with an aggregator (one attempt; run it again "
        "with the same --store to act as a restarted signer).",
        f"{version} (behaviour {profile})",
        argv,
        dependencies,
    )
    parser.add_argument(
        "--kes-key", required=True, type=Path, help="KES signing key file (cardano-cli kes.skey)"
    )
    parser.add_argument(
        "--opcert", required=True, type=Path, help="operational certificate file (node.cert)"
    )
    parser.add_argument(
        "--aggregator",
        required=True,
        metavar="URL",
        help="aggregator API root, http://host:port/aggregator",
    )
    parser.add_argument(
        "--profile", choices=SIGNER_PROFILES, default=profile, help=f"behaviour (default {profile})"
    )
    parser.add_argument("--store", type=Path, help="SQLite protocol key store (default: in memory)")
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="show what would be sent; send and store nothing (never reports a registration)",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.epilog = (
        f"`mithril-signer {SUBCOMMAND} --opcert node.cert [--kes-key kes.skey --network NAME]` "
        "prints the pool id and checks the KES key instead."
    )
    args = parser.parse_args(arguments)
    from release.nodes.commands import SignerRequest, register_signer  # noqa: PLC0415

    request = SignerRequest(
        kes_key=args.kes_key,
        opcert=args.opcert,
        aggregator=args.aggregator,
        network=args.network,
        profile=args.profile,
        networks_file=args.networks_file,
        slot=args.slot,
        at=args.at,
        store=args.store,
        dry_run=args.dry_run,
        version=version,
    )
    try:
        report = register_signer(request)
    except ReleaseToolError as failure:
        return _error(failure)
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        print(
            f"{report['pool_id']} epoch {report['recording_epoch']} (evolutions "
            f"{report['kes_evolutions']}): "
            f"{report['status']} - {report['message']}"
        )
        if report.get("would_send") is not None:
            print(f"would send: {json.dumps(report['would_send'])}")
    would_send = report["dry_run"] and report["status"] != "failed"
    return 0 if report["registered"] or would_send else EXIT_REJECTED


def aggregator_main(
    argv: list[str] | None = None,
    *,
    version: str = "dev",
    verifier: str = "fixed",
    dependencies: Sequence[str] = (),
) -> int:
    """Serve the registration API until interrupted; prints ``listening on URL`` first."""
    parser = _parser(
        "mithril-aggregator",
        "Serve Mithril's signer registration API (register-signer, signers/registered, "
        "epoch-settings) with a chosen KES verification window.",
        f"{version} (verifier {verifier})",
        argv,
        dependencies,
    )
    parser.add_argument(
        "--verifier", choices=AGGREGATOR_PROFILES, default=verifier, help=f"default {verifier}"
    )
    parser.add_argument("--stake", required=True, type=Path, help='JSON {"pool1...": stake, ...}')
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=int, default=8080, help="port (0 picks a free one; default 8080)"
    )
    parser.add_argument(
        "--base-path", default=BASE_PATH, help=f"the API's path prefix (default {BASE_PATH})"
    )
    parser.add_argument("--db", type=Path, help="SQLite registration store (default: in memory)")
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="processes serving the port, sharing --db (default 1; 2 uses both cores)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="check the settings and print them, do not serve"
    )
    parser.add_argument("--quiet", action="store_true", help="log warnings only")
    args = parser.parse_args(argv)
    from release.nodes.commands import (  # noqa: PLC0415
        AggregatorRequest,
        check_aggregator,
        serve_aggregator,
    )

    request = AggregatorRequest(
        network=args.network,
        verifier=args.verifier,
        stake=args.stake,
        networks_file=args.networks_file,
        slot=args.slot,
        at=args.at,
        host=args.host,
        port=args.port,
        db=args.db,
        base_path=args.base_path,
        workers=args.workers,
    )
    logging.basicConfig(
        level=logging.WARNING if args.quiet else logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        if args.dry_run:
            print(json.dumps(check_aggregator(request), indent=2))
            return 0
        serve_aggregator(request, lambda url: print(f"listening on {url}", flush=True))
    except (ReleaseToolError, OSError) as failure:
        return _error(failure)
    return 0
