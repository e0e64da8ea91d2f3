"""Regression-suite figures: the full default run (3 networks x 3 epochs, whole matrix, every
slot, every chain lag of the sweep, the signer's run loop) against the 30 s target, with its
throughput in slot cases (restart moments x lags) and its real KES work."""

from __future__ import annotations

import os

from release import kes
from release.bench import Figure, per_call_seconds, ratio_figure
from release.regression import DEFAULT_EPOCHS, run_suite

AREA = "regression"
TARGET_S = 30.0


def run(quick: bool) -> list[Figure]:
    epochs = 1 if quick else DEFAULT_EPOCHS
    result = run_suite(epochs=epochs)
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
    ]
    figures.append(_cost_per_case(stats.elapsed_s / stats.runs, quick))
    return figures


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
