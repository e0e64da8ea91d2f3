"""The HTTP aggregator: Mithril's real payloads, wire encodings, status codes, limits,
concurrency and slow clients, over real sockets on 127.0.0.1."""

from __future__ import annotations

import http.client
import json
import socket
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from release.chain import NETWORKS, ManualClock
from release.kes import OpCert, encode_kes_signature, encode_opcert, encode_protocol_key, keygen
from release.nodes import Aggregator, KesCredentials, RegistrationStore
from release.nodes.http_server import AggregatorServer

VECTORS = json.loads(
    (Path(__file__).parent / "data" / "nodes" / "signer_registrations_period0.json").read_text()
)
PREVIEW = NETWORKS["preview"]  # KES period 0 lasts 1.5 days from the start: the vectors' period


@pytest.fixture
def server(tmp_path):
    stake = {
        vector["pool_id_from_cold_vk_bech32__DERIVED"]: 1000 + n for n, vector in enumerate(VECTORS)
    }
    aggregator = Aggregator(
        PREVIEW,
        "fixed",
        stake,
        RegistrationStore(tmp_path / "agg.sqlite3"),
        ManualClock(PREVIEW, 100),
    )
    server = AggregatorServer(aggregator, client_timeout=1.0)
    server.serve_in_background()
    yield server
    server.stop()
    aggregator.store.close()


def request(server, method, path, body=None, headers=None):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    payload = body if isinstance(body, bytes | None) else json.dumps(body).encode()
    connection.request(
        method, path, body=payload, headers=headers or {"Content-Type": "application/json"}
    )
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response.status, json.loads(data) if data else None


def vector_body(vector, **changes):
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


def test_mithril_payloads_register_and_are_listed(server):
    for vector in VECTORS:
        assert request(server, "POST", "/register-signer", vector_body(vector)) == (201, None)
    status, listed = request(server, "GET", "/signers/registered/0")
    assert status == 200
    assert listed["registered_at"] == 0 and listed["signing_at"] == 2
    assert {entry["party_id"] for entry in listed["registrations"]} == {
        vector["pool_id_from_cold_vk_bech32__DERIVED"] for vector in VECTORS
    }
    assert request(server, "GET", "/signers/registered/5") == (404, None)
    status, settings = request(server, "GET", "/epoch-settings")
    assert status == 200
    assert (settings["epoch"], settings["registration_round_epoch"], settings["kes_period"]) == (
        0,
        1,
        0,
    )


def test_raw_byte_fallback_encodings_are_accepted(server):
    vector = VECTORS[0]
    decoded = vector["decoded__DERIVED"]
    body = vector_body(
        vector,
        verification_key=decoded["kes_signed_message_192_hex"],
        verification_key_signature=decoded["kes_signature_448_hex"],
        operational_certificate=decoded["opcert"]["opcert_cbor_hex"],
    )
    assert request(server, "POST", "/register-signer", body)[0] == 201


DECODE = "Could not decode signer payload"


@pytest.mark.parametrize(
    ("change", "label"),
    [
        ({"verification_key": "zz"}, DECODE),
        ({"verification_key": "00" * 191}, DECODE),
        ({"verification_key_signature": "00" * 447}, DECODE),
        ({"verification_key_signature": json.dumps({"sigma": [1]}).encode().hex()}, DECODE),
        ({"operational_certificate": "a0"}, DECODE),
        ({"epoch": "one"}, DECODE),
        ({"epoch": -1}, DECODE),
        ({"kes_period": 1.5}, DECODE),
        ({"verification_key_signature": None}, "failed_signer_registration"),
    ],
)
def test_bad_payloads_get_400_with_the_spec_labels(server, change, label):
    status, body = request(server, "POST", "/register-signer", vector_body(VECTORS[0], **change))
    assert status == 400
    assert body["label"] == label
    assert body["message"]


def test_malformed_json_and_non_objects(server):
    assert request(server, "POST", "/register-signer", b"{not json")[1]["label"] == DECODE
    assert request(server, "POST", "/register-signer", b"[1, 2]")[1]["label"] == DECODE
    missing = vector_body(VECTORS[0])
    del missing["epoch"]
    status, body = request(server, "POST", "/register-signer", missing)
    assert (status, body["message"]) == (400, "missing field epoch")


def test_round_unknown_pool_and_kes_refusals(server):
    vector = VECTORS[0]
    assert request(server, "POST", "/register-signer", vector_body(vector, epoch=2))[0] == 550
    assert request(server, "POST", "/register-signer", vector_body(vector, epoch=7))[0] == 500
    secret_key, vk = keygen(b"\x05" * 32)
    stranger = KesCredentials(secret_key, OpCert.issue(vk, b"\x06" * 32, 0, 0))
    key = b"\x07" * 192
    body = {
        "epoch": 1,
        "verification_key": encode_protocol_key(key),
        "verification_key_signature": encode_kes_signature(stranger.sign(key, 0)),
        "operational_certificate": encode_opcert(stranger.opcert),
        "kes_period": 0,
    }
    status, reply = request(server, "POST", "/register-signer", body)
    assert (status, reply["label"]) == (400, "failed_signer_registration")
    assert stranger.pool_id in reply["message"]
    # A valid signature for a key other than the one sent: KES verification fails.
    swapped = vector_body(vector, verification_key=VECTORS[1]["raw_json_hex"]["verification_key"])
    status, reply = request(server, "POST", "/register-signer", swapped)
    assert status == 400 and "CurrentKesPeriod=0, StartKesPeriod=0" in reply["message"]


def test_huge_bodies_get_413_without_being_read(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(
            b"POST /register-signer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n"
        )
        reply = raw.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 413")
    assert request(server, "POST", "/register-signer", b"x" * (64 * 1024 + 1))[0] == 413


def test_bodies_need_a_length(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(
            b"POST /register-signer HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        assert raw.recv(4096).startswith(b"HTTP/1.1 411")


def test_unknown_routes(server):
    assert request(server, "GET", "/nothing")[0] == 404
    assert request(server, "POST", "/signers/registered/1", {})[0] == 404


def test_concurrent_duplicate_registrations_keep_one_row(server):
    secret_key, vk = keygen(b"\x08" * 32)
    vector_pool = VECTORS[0]["pool_id_from_cold_vk_bech32__DERIVED"]
    creds = KesCredentials(secret_key, OpCert.issue(vk, b"\x09" * 32, 0, 0))
    server.aggregator.stake[creds.pool_id] = 5
    keys = [bytes([n]) * 192 for n in range(32)]
    bodies = [
        {
            "epoch": 1,
            "verification_key": encode_protocol_key(key),
            "verification_key_signature": encode_kes_signature(creds.sign(key, 0)),
            "operational_certificate": encode_opcert(creds.opcert),
            "kes_period": 0,
        }
        for key in keys
    ]
    with ThreadPoolExecutor(16) as pool:
        statuses = list(
            pool.map(lambda body: request(server, "POST", "/register-signer", body)[0], bodies)
        )
    assert statuses == [201] * len(keys)
    store = server.aggregator.store
    assert [r.party_id for r in store.for_epoch(1)] == [creds.pool_id]
    assert store.get(1, creds.pool_id).protocol_key in keys
    assert store.get(1, vector_pool) is None


def test_slow_and_broken_clients_do_not_stall_others(tmp_path):
    # Stuck clients are only dropped after a minute here: if they could hold the server,
    # the registration below would hang until its own 10 s client timeout and fail.
    stake = {VECTORS[0]["pool_id_from_cold_vk_bech32__DERIVED"]: 1000}
    store = RegistrationStore(tmp_path / "patient.sqlite3")
    aggregator = Aggregator(PREVIEW, "fixed", stake, store, ManualClock(PREVIEW, 100))
    patient = AggregatorServer(aggregator, client_timeout=60.0)
    patient.serve_in_background()
    try:
        host, port = patient.server_address[:2]
        silent = socket.create_connection((host, port), timeout=5)
        silent.sendall(b"POST /register-signer HTTP/1.1\r\nHost: x\r\n")  # headers never end
        half_body = socket.create_connection((host, port), timeout=5)
        half_body.sendall(
            b"POST /register-signer HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"
        )
        broken = socket.create_connection((host, port), timeout=5)
        broken.sendall(b"POST /register-signer HTTP/1.1\r\nContent-Length: 9000\r\n\r\nabc")
        broken.close()
        assert request(patient, "POST", "/register-signer", vector_body(VECTORS[0]))[0] == 201
        silent.close()
        half_body.close()
    finally:
        patient.stop()
        store.close()


def test_stuck_connections_are_dropped_after_the_client_timeout(server):
    host, port = server.server_address[:2]
    half_body = socket.create_connection((host, port), timeout=5)
    half_body.sendall(b"POST /register-signer HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{")
    # The server drops it after its client timeout (1 s here), well before ours (5 s).
    assert half_body.recv(1024) == b""
    half_body.close()


def test_keep_alive_connections_serve_several_requests(server):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=5)
    for _ in range(3):
        connection.request(
            "POST", "/register-signer", body=json.dumps(vector_body(VECTORS[1])).encode()
        )
        response = connection.getresponse()
        assert response.status == 201
        response.read()
    connection.close()
