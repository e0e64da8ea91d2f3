"""Mithril's published API description (openapi 0.1.54 at 2543.0, copied unmodified into
tests/data/nodes) checked by schemathesis against the running aggregator: response schemas,
status codes, content types and response headers on the four registration endpoints."""

from __future__ import annotations

import subprocess
import sys

from nodes_support import DATA, VECTORS, vector_aggregator

from release.kes import decode_kes_signature, decode_opcert, decode_protocol_key
from release.nodes import Registration
from release.nodes.http_server import AggregatorServer

SCHEMA = DATA / "mithril-aggregator-api-2543.0.json"
CHECKS = (
    "response_schema_conformance",
    "status_code_conformance",
    "content_type_conformance",
    "response_headers_conformance",
)


def test_schemathesis_passes_on_the_four_endpoints(tmp_path):
    aggregator = vector_aggregator(tmp_path)
    # Real registrations in the store, so /epoch-settings lists signers and
    # /signers/registered/0 answers 200 with content, not only 404s.
    for vector in VECTORS:
        raw = vector["raw_json_hex"]
        registration = Registration(
            1,
            decode_protocol_key(raw["verification_key"]),
            decode_kes_signature(raw["verification_key_signature"]),
            decode_opcert(raw["operational_certificate"]),
            0,
            vector["party_id_field_in_source"],
        )
        assert aggregator.handle_registration(registration).accepted
    server = AggregatorServer(aggregator)
    server.serve_in_background()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "schemathesis.cli", "run", str(SCHEMA), "--url", server.url,
             "--checks", ",".join(CHECKS), "--max-examples", "60", "--seed", "2543",
             "--workers", "2"],
            capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
        )  # fmt: skip
    finally:
        server.stop()
        aggregator.store.close()
    assert completed.returncode == 0, completed.stdout[-4000:] + completed.stderr[-2000:]
    assert "4 passed" in completed.stdout
