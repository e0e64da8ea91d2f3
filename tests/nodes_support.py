"""Helpers of the node tests: the real Mithril registrations (period 0) and an aggregator on
preview that knows their pools."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from release.chain import NETWORKS, ManualClock
from release.nodes import Aggregator, RegistrationStore

DATA = Path(__file__).parent / "data" / "nodes"
VECTORS = json.loads((DATA / "signer_registrations_period0.json").read_text())
PREVIEW = NETWORKS["preview"]  # KES period 0 lasts 1.5 days from the start: the vectors' period


def vector_body(vector: dict, **changes: object) -> dict:
    """A registration as a signer sends it, from a real vector (fields replaced by ``changes``)."""
    raw = vector["raw_json_hex"]
    body = {
        "epoch": 1,
        "party_id": vector["party_id_field_in_source"],
        "verification_key": raw["verification_key"],
        "verification_key_signature": raw["verification_key_signature"],
        "operational_certificate": raw["operational_certificate"],
        "kes_period": 0,
    }
    return {**body, **changes}


def vector_aggregator(tmp_path: Path, stake: Callable[[int], int] = lambda n: 1000) -> Aggregator:
    """A fixed aggregator at preview slot 100 whose stake distribution holds every vector's
    pool (the n-th with ``stake(n)``), on a SQLite store in ``tmp_path``."""
    stakes = {v["pool_id_from_cold_vk_bech32__DERIVED"]: stake(n) for n, v in enumerate(VECTORS)}
    return Aggregator(
        PREVIEW,
        "fixed",
        stakes,
        RegistrationStore(tmp_path / "agg.sqlite3"),
        ManualClock(PREVIEW, 100),
    )
