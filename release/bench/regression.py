"""Regression-suite figures: the full default run (3 networks x 3 epochs, whole matrix, every
slot, every chain lag of the sweep, the signer's run loop) against the 30 s target, with its
throughput in slot cases (restart moments x lags) and its real KES work; and what the suite
spends beyond the cryptography it calls (each kind of call counted in a profiled run of the
same suite and timed once here)."""

from __future__ import annotations

import cProfile
import os
import pstats
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from hashlib import blake2b
from pathlib import Path
from typing import Any

from nacl import bindings

from release import kes, stm
from release.bench import Figure, per_call_seconds, ratio_figure
from release.distribution.build import build_for_this_machine
from release.regression import DEFAULT_EPOCHS, gate, run_suite

AREA = "regression"
TARGET_S = 30.0
#: Suite CPU / the CPU of its cryptographic calls.
OVERHEAD_TARGET = 3.0
#: The gate (the suite inside the built executables, then the incident over HTTP) / the
#: same suite in process.
GATE_TARGET = 1.2
_MESSAGE = bytes(range(192))  # a protocol key's size: what signers KES-sign


@dataclass(frozen=True)
class CryptoKind:
    """One kind of cryptographic call: how a profile names it, and one call to time."""

    name: str
    #: The ``pstats`` key of the function (a Python wrapper's code, or a C method's label).
    key: tuple[str, int, str]
    call: Callable[[], object]


def _code_key(function: Callable[..., object]) -> tuple[str, int, str]:
    code = function.__code__  # type: ignore[attr-defined]
    return code.co_filename, code.co_firstlineno, code.co_name


def crypto_kinds() -> list[CryptoKind]:
    """The calls the suite makes into PyNaCl, hashlib and the BLS binding, with a typical
    input each: a 192-byte message (the protocol key a KES key signs), a 64-byte hash input
    (a KES level's pair of keys)."""
    seed = bytes(range(32))
    public, secret = bindings.crypto_sign_seed_keypair(seed)
    signed = bindings.crypto_sign(_MESSAGE, secret)
    pair = bytes(64)
    protocol_key = stm.new_protocol_key(seed)
    return [
        CryptoKind(
            "ed25519 verify",
            _code_key(bindings.crypto_sign_open),
            lambda: bindings.crypto_sign_open(signed, public),
        ),
        CryptoKind(
            "ed25519 sign",
            _code_key(bindings.crypto_sign),
            lambda: bindings.crypto_sign(_MESSAGE, secret),
        ),
        CryptoKind(
            "ed25519 seed keypair",
            _code_key(bindings.crypto_sign_seed_keypair),
            lambda: bindings.crypto_sign_seed_keypair(seed),
        ),
        CryptoKind(
            "blake2b-256",
            ("~", 0, "<method 'digest' of '_blake2.blake2b' objects>"),
            lambda: blake2b(pair, digest_size=32).digest(),
        ),
        CryptoKind(
            "bls proof-of-possession check",
            _code_key(stm.verify_protocol_key),
            lambda: stm.verify_protocol_key(protocol_key),
        ),
        CryptoKind(
            "bls protocol key generation",
            _code_key(stm.new_protocol_key),
            lambda: stm.new_protocol_key(seed),
        ),
    ]


def count_calls(kinds: list[CryptoKind], run: Callable[[], object]) -> dict[str, int]:
    """How many times ``run`` calls each kind (profiled: the counts, never the times)."""
    profile = cProfile.Profile()
    profile.runcall(run)
    stats: dict[Any, Any] = pstats.Stats(profile).stats  # type: ignore[attr-defined]
    return {kind.name: stats[kind.key][1] if kind.key in stats else 0 for kind in kinds}


def run(quick: bool) -> list[Figure]:
    epochs = 1 if quick else DEFAULT_EPOCHS
    cpu_started = time.process_time()
    result = run_suite(epochs=epochs)
    suite_cpu = time.process_time() - cpu_started
    stats = result.stats
    detail = {
        "networks": result.parameters["network_names"],
        "epochs_per_network": epochs,
        "cells": len(result.cells),
        "slot_cases": stats.slot_cases,
        "cases_run": stats.runs,
        "kes_signatures": stats.kes_signatures,
        "kes_verifications": stats.kes_verifications,
        "bisected_classes": stats.bisected,
        "cases_reused_across_lags": stats.reused,
        "cases_translated_between_networks": stats.translated,
        "lags_seconds": result.parameters["lags_seconds"],
        "run_interval_seconds": result.parameters["run_interval_seconds"],
        "passed": result.passed,
    }
    figures = [
        Figure(
            AREA,
            f"suite wall time ({epochs} epoch(s) x 3 networks, whole matrix, every slot and lag)",
            round(stats.elapsed_s, 2),
            "s",
            target=None if quick else f"<= {TARGET_S:g}",
            meets_target=None if quick else stats.elapsed_s <= TARGET_S,
            detail=detail,
        ),
        Figure(
            AREA,
            "slots covered per second",
            round(stats.slots_per_second),
            "slot cases/s",
            detail=detail,
        ),
        Figure(AREA, "KES operations run", stats.kes_operations, "operations", detail=detail),
        _overhead(suite_cpu, stats.runs, epochs, quick),
        _cost_per_case(stats.elapsed_s / stats.runs, quick),
        _gate_figure(epochs, 1 if quick else 2),
    ]
    return figures


def _gate_figure(epochs: int, rounds: int) -> Figure:
    """The gate on executables built from this tree against the suite it runs, run in this
    process with its report written (interleaved, best of each)."""
    with tempfile.TemporaryDirectory(prefix="bench-gate-") as scratch:
        directory = Path(scratch)
        executables = build_for_this_machine(directory, version="bench")
        gate_walls, suite_walls, passed = [], [], []
        for number in range(rounds):
            started = time.perf_counter()
            run_suite(epochs=epochs, report_dir=directory / f"suite-{number}")
            suite_walls.append(time.perf_counter() - started)
            started = time.perf_counter()
            verdict = gate(executables, report_dir=directory / f"gate-{number}", epochs=epochs)
            gate_walls.append(time.perf_counter() - started)
            passed.append(verdict.passed)
    return ratio_figure(
        AREA,
        "gate wall / in-process suite wall (same networks and epochs, report written)",
        min(gate_walls),
        min(suite_walls),
        GATE_TARGET,
        gate_walls_s=[round(s, 2) for s in gate_walls],
        suite_walls_s=[round(s, 2) for s in suite_walls],
        gate_passed=all(passed),
        note="the gate runs the suite inside the built signer, then replays the incident "
        "over HTTP with 13 executable starts, one after the other",
    )


def _overhead(suite_cpu: float, cases: int, epochs: int, quick: bool) -> Figure:
    """Suite CPU per case against the CPU of the cryptographic calls a case makes: the
    calls of each kind counted in a profiled run of the same suite, each kind timed here in
    CPU seconds too (wall time on a shared machine would count other processes' turns)."""
    kinds = crypto_kinds()
    counts = count_calls(kinds, lambda: run_suite(epochs=epochs))
    min_time = 0.05 if quick else 0.3
    unit = {
        kind.name: per_call_seconds(kind.call, min_time=min_time, clock=time.process_time)
        for kind in kinds
    }
    crypto_cpu = sum(counts[name] * unit[name] for name in counts)
    return ratio_figure(
        AREA,
        "suite CPU per case / CPU of the cryptographic calls it makes",
        suite_cpu / cases,
        crypto_cpu / cases,
        OVERHEAD_TARGET,
        cases_run=cases,
        suite_cpu_s=round(suite_cpu, 3),
        crypto_cpu_s=round(crypto_cpu, 3),
        calls=counts,
        seconds_per_call={name: round(seconds, 9) for name, seconds in unit.items()},
    )


def _cost_per_case(seconds_per_case: float, quick: bool) -> Figure:
    """What one scenario case costs against the KES work at its core (one sign, one verify)."""
    secret_key, vk = kes.keygen(bytes(32))
    evolved = kes.evolve(secret_key, 20)
    message = os.urandom(kes.PROTOCOL_KEY_SIZE)
    signature = kes.sign(evolved, message)

    def sign_and_verify() -> None:
        kes.sign(evolved, message)
        kes.verify_window(vk, message, signature, 19, 21, hint=20)

    baseline = per_call_seconds(sign_and_verify, min_time=0.05 if quick else 0.3)
    return ratio_figure(
        AREA,
        "seconds per case run / (Sum6 sign + windowed verify)",
        seconds_per_case,
        baseline,
        None,
        note="a case runs a run loop or two (1 to ~10 registration attempts): opcert checks, "
        "store writes and the outcome check on top of the KES work",
    )
