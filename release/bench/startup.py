"""Start-up figures, each side by side with its baseline in interleaved runs (best of each):
``inv --list`` against importing invoke; one real registration by the shipped signer (the
pex this tree builds for this machine, run as the gate runs it) against the same
registration from this tool's installed venv; what the shipped signer imports against what
its dependencies cost to import; and how long the aggregator takes to stop on SIGTERM."""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from hashlib import blake2b
from pathlib import Path

from release import kes
from release.bench import Figure, ratio_figure
from release.chain import NETWORKS, ManualClock
from release.distribution.build import build_for_this_machine
from release.nodes import Aggregator, RegistrationStore
from release.nodes.http_server import AggregatorServer

AREA = "startup"
#: The project root: where ``inv`` finds ``tasks.py``.
ROOT = Path(__file__).resolve().parents[2]
NETWORK = NETWORKS["preprod"]
SLOT = NETWORK.epoch_first_slot(250) + 3600
_SIGNER = (
    "import sys; from release.nodes.cli import signer_main; sys.exit(signer_main(sys.argv[1:]))"
)
#: What a registration needs beyond the ``release`` package: the bindings and the standard
#: library modules the signer's path uses.
_DEPENDENCIES = (
    "import argparse, dataclasses, datetime, hashlib, http.client, json, sqlite3; "
    "import bech32, cbor2, nacl.bindings, pyblst"
)
#: The signer's modules, imported by the shipped signer run as an interpreter (PEX_INTERPRETER).
_SIGNER_IMPORTS = "import release.nodes.cli, release.nodes.commands"
_AGGREGATOR = (
    "import sys; from release.nodes.cli import aggregator_main; "
    "sys.exit(aggregator_main(sys.argv[1:]))"
)


def _seconds(command: Sequence[str], **options: object) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, **options)  # type: ignore[call-overload]
    return time.perf_counter() - started


def _side_by_side(
    measured: Callable[[], float], baseline: Callable[[], float], rounds: int
) -> tuple[float, float]:
    """Best of ``rounds`` interleaved runs of each: load on the machine weighs on both."""
    pairs = [(measured(), baseline()) for _ in range(rounds)]
    return min(p[0] for p in pairs), min(p[1] for p in pairs)


def _inv() -> str:
    return shutil.which("inv", path=str(Path(sys.executable).parent)) or "inv"


def _operator_files(directory: Path) -> tuple[Path, Path, str]:
    secret_key, vk = kes.keygen(blake2b(b"bench:startup", digest_size=32).digest())
    opcert = kes.OpCert.issue(vk, bytes(32), 0, NETWORK.kes_period_of(SLOT) - 20)
    (directory / "kes.skey").write_text(kes.kes_signing_key_envelope(secret_key))
    (directory / "node.cert").write_text(kes.opcert_envelope(opcert))
    return directory / "kes.skey", directory / "node.cert", opcert.pool_id


def _signer_figures(rounds: int) -> tuple[Figure, Figure]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        directory = Path(scratch)
        kes_key, opcert, pool_id = _operator_files(directory)
        (built,) = build_for_this_machine(directory, version="bench").values()
        signer = built["signer"]
        # As the gate runs it: python -I, its pex root of its own (made on the first start).
        python = getattr(sys, "_base_executable", None) or sys.executable
        shipped_environment = {"PEX_ROOT": str(directory / "pex-root")}
        aggregator = Aggregator(
            NETWORK, "fixed", {pool_id: 1}, RegistrationStore(), ManualClock(NETWORK, SLOT)
        )
        server = AggregatorServer(aggregator)
        server.serve_in_background()
        arguments = [
            "--network", NETWORK.name, "--slot", str(SLOT), "--aggregator", server.url,
            "--kes-key", str(kes_key), "--opcert", str(opcert),
        ]  # fmt: skip
        _seconds([python, "-I", str(signer), "--version"], env=shipped_environment)
        imports, dependencies = _side_by_side(
            lambda: _seconds(
                [python, "-I", str(signer), "-c", _SIGNER_IMPORTS],
                env={**shipped_environment, "PEX_INTERPRETER": "1"},
            ),
            lambda: _seconds([sys.executable, "-c", _DEPENDENCIES]),
            rounds,
        )
        try:
            shipped, installed = _side_by_side(
                lambda: _seconds([python, "-I", str(signer), *arguments], env=shipped_environment),
                lambda: _seconds([sys.executable, "-c", _SIGNER, *arguments]),
                rounds,
            )
            registered = aggregator.store.count()
        finally:
            server.stop()
            aggregator.store.close()
    started = ratio_figure(
        AREA,
        "the shipped signer's imports / its dependencies' imports (interpreter start included)",
        imports,
        dependencies,
        None,
        note="the pex's own start (it re-executes itself in the venv it made) included",
    )
    return started, ratio_figure(
        AREA,
        "one registration by the shipped signer / the same from the installed venv",
        shipped,
        installed,
        1.5,
        registrations_stored=registered,
        shipped="the pex this tree builds, run with python -I and a pex root of its own, "
        "its venv made (as the gate runs it)",
        installed="python -c 'from release.nodes.cli import signer_main ...' in this venv",
    )


def _stop_after_sigterm(stake: Path) -> float:
    process = subprocess.Popen(
        [sys.executable, "-c", _AGGREGATOR, "--network", NETWORK.name, "--slot", str(SLOT),
         "--port", "0", "--quiet", "--stake", str(stake)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.startswith("listening on "):
        process.kill()
        process.wait()
        raise RuntimeError("the aggregator did not start")
    # One answered request, then a pause: the server is waiting in serve_forever's poll when
    # the signal comes (a SIGTERM before the loop starts stops any server at once).
    with urllib.request.urlopen(line.removeprefix("listening on ").strip() + "/") as answer:
        answer.read()
    time.sleep(0.1)
    started = time.perf_counter()
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    process.stdout.close()
    return time.perf_counter() - started


def run(quick: bool) -> list[Figure]:
    rounds = 3 if quick else 10
    listed, imported = _side_by_side(
        lambda: _seconds([_inv(), "--list"], cwd=ROOT),
        lambda: _seconds([sys.executable, "-c", "import invoke"]),
        rounds,
    )
    figures = [
        ratio_figure(
            AREA,
            "inv --list / python -c 'import invoke'",
            listed,
            imported,
            1.5,
        ),
        *_signer_figures(rounds),
    ]
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as scratch:
        stake = Path(scratch) / "stake.json"
        stake.write_text(json.dumps({"pool1" + "q" * 51: 1}))
        stop = min(_stop_after_sigterm(stake) for _ in range(rounds))
    figures.append(
        Figure(
            AREA,
            "aggregator: SIGTERM to exit",
            round(stop, 4),
            "s",
            detail={
                "runs": rounds,
                "note": "best of the runs, each signalled while serving; serve_forever's poll "
                "interval is 0.5 s",
            },
        )
    )
    return figures
