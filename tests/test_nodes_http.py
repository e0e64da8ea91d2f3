"""The HTTP aggregator: Mithril's real payloads, wire encodings, status codes, limits and
the published API's shape (base path /aggregator, openapi 0.1.54), over real sockets on
127.0.0.1. Abuse at the socket level is in test_nodes_http_abuse.py."""

from __future__ import annotations

import http.client
import json
import socket
from concurrent.futures import ThreadPoolExecutor

import pytest
from nodes_support import PREVIEW, VECTORS, vector_aggregator, vector_body

from release.chain import ManualClock
from release.kes import OpCert, encode_kes_signature, encode_opcert, encode_protocol_key, keygen
from release.nodes import Aggregator, KesCredentials, RegistrationStore
from release.nodes.http_server import AggregatorServer
from release.stm import new_protocol_key


@pytest.fixture
def server(tmp_path):
    aggregator = vector_aggregator(tmp_path, stake=lambda n: 1000 + n)
    server = AggregatorServer(aggregator, request_deadline=1.0)
    server.serve_in_background()
    yield server
    server.stop()
    aggregator.store.close()


BASE = "/aggregator"


def exchange(server, method, path, body=None, headers=None):
    """One request under the base path: the response and its parsed body."""
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    payload = body if isinstance(body, bytes | None) else json.dumps(body).encode()
    connection.request(
        method,
        BASE + path,
        body=payload,
        headers={"Content-Type": "application/json"} if headers is None else headers,
    )
    response = connection.getresponse()
    data = response.read()
    connection.close()
    return response, json.loads(data) if data else None


def request(server, method, path, body=None, headers=None):
    response, document = exchange(server, method, path, body, headers)
    return response.status, document


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
    assert request(server, "GET", "/signers/registered/latest")[1] == listed
    assert request(server, "GET", "/signers/registered/latest-0")[1] == listed
    status, settings = request(server, "GET", "/epoch-settings")
    assert status == 200
    # EpochSettingsMessage: epoch, the protocol, this epoch's and the next one's signers.
    assert set(settings) == {
        "epoch",
        "signer_registration_protocol",
        "current_signers",
        "next_signers",
    }
    assert settings["epoch"] == 0 and settings["current_signers"] == []
    assert {signer["party_id"] for signer in settings["next_signers"]} == {
        vector["pool_id_from_cold_vk_bech32__DERIVED"] for vector in VECTORS
    }
    by_pool = {signer["party_id"]: signer for signer in settings["next_signers"]}
    for vector in VECTORS:
        listed_signer = by_pool[vector["pool_id_from_cold_vk_bech32__DERIVED"]]
        assert listed_signer["verification_key"] == vector["raw_json_hex"]["verification_key"]
        assert listed_signer["kes_period"] == 0


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
        ({"verification_key": "00" * 192}, DECODE),  # right size, not curve points
        ({"party_id": None}, DECODE),
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
    assert request(server, "POST", "/register-signer", vector_body(vector, epoch=2))[0] == 500
    assert request(server, "POST", "/register-signer", vector_body(vector, epoch=7))[0] == 500
    server.aggregator.round_open = lambda: False  # between its epoch-change steps
    status, reply = request(server, "POST", "/register-signer", vector_body(vector))
    assert status == 550 and set(reply) == {"label", "message"}
    server.aggregator.round_open = lambda: True
    secret_key, vk = keygen(b"\x05" * 32)
    stranger = KesCredentials(secret_key, OpCert.issue(vk, b"\x06" * 32, 0, 0))
    key = new_protocol_key(b"\x07" * 32)
    body = {
        "epoch": 1,
        "party_id": stranger.pool_id,
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
            b"POST /aggregator/register-signer HTTP/1.1\r\nHost: x\r\n"
            b"Content-Length: 100000000\r\n\r\n"
        )
        reply = raw.recv(4096).decode()
    assert reply.startswith("HTTP/1.1 413")
    assert request(server, "POST", "/register-signer", b"x" * (64 * 1024 + 1))[0] == 413


def test_bodies_need_a_length(server):
    host, port = server.server_address[:2]
    with socket.create_connection((host, port), timeout=5) as raw:
        raw.sendall(
            b"POST /aggregator/register-signer HTTP/1.1\r\nHost: x\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        )
        assert raw.recv(4096).startswith(b"HTTP/1.1 411")


def test_unknown_routes_and_methods(server):
    assert request(server, "GET", "/nothing")[0] == 404
    response, body = exchange(server, "POST", "/signers/registered/1", {})
    assert response.status == 405 and response.getheader("Allow") == "GET"
    assert body["label"] == "method_not_allowed"
    for method in ("PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"):
        assert request(server, method, "/register-signer", None, {})[0] == 405, method
    assert request(server, "GET", "/register-signer")[0] == 405
    # Every public URL carries the base path: the bare paths are not routes.
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=10)
    connection.request("GET", "/epoch-settings")
    assert connection.getresponse().status == 404
    connection.close()


def test_every_reply_carries_the_api_version(server):
    for method, path, body in (
        ("GET", "/", None),
        ("GET", "/epoch-settings", None),
        ("GET", "/signers/registered/9", None),
        ("GET", "/signers/registered/x", None),
        ("POST", "/register-signer", vector_body(VECTORS[0])),
        ("POST", "/register-signer", b"{"),
        ("PUT", "/", None),
        ("GET", "/nothing", None),
    ):
        response, _ = exchange(server, method, path, body)
        assert response.getheader("mithril-api-version") == "0.1.54", (method, path)


def test_root_describes_the_aggregator(server):
    status, features = request(server, "GET", "/")
    assert status == 200 and features["open_api_version"] == "0.1.54"
    assert features["capabilities"]["aggregate_signature_type"] == "Concatenation"
    assert request(server, "GET", "")[0] == 200  # /aggregator without the slash


@pytest.mark.parametrize(
    "epoch", ["x", "latest-", "latest-x", "-1", "1.5", "9223372036854775808", "%D9%A1", "latest-1"]
)
def test_invalid_epochs_get_400_invalid_epoch(server, epoch):
    # The clock is in epoch 0, so latest-1 would be before epoch 0.
    status, body = request(server, "GET", f"/signers/registered/{epoch}")
    assert (status, body["label"]) == (400, "invalid_epoch")


def test_largest_epoch_is_a_plain_404(server):
    assert request(server, "GET", "/signers/registered/9223372036854775807") == (404, None)


def test_query_strings_are_ignored(server):
    assert request(server, "POST", "/register-signer?x=1&y", vector_body(VECTORS[0]))[0] == 201
    assert request(server, "GET", "/signers/registered/0?limit=5")[0] == 200
    assert request(server, "GET", "/epoch-settings?")[0] == 200


def test_content_type_must_be_json_when_given(server):
    body = vector_body(VECTORS[0])
    status, reply = request(
        server, "POST", "/register-signer", body, {"Content-Type": "text/plain"}
    )
    assert status == 415 and reply["message"]
    assert request(server, "POST", "/register-signer", body, {})[0] == 201  # none given
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert request(server, "POST", "/register-signer", body, charset)[0] == 201


def test_concurrent_duplicate_registrations_keep_one_row(server):
    secret_key, vk = keygen(b"\x08" * 32)
    vector_pool = VECTORS[0]["pool_id_from_cold_vk_bech32__DERIVED"]
    creds = KesCredentials(secret_key, OpCert.issue(vk, b"\x09" * 32, 0, 0))
    server.aggregator.stake[creds.pool_id] = 5
    keys = [new_protocol_key(bytes([n]) * 32) for n in range(32)]
    bodies = [
        {
            "epoch": 1,
            "party_id": creds.pool_id,
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
    patient = AggregatorServer(aggregator, request_deadline=60.0)
    patient.serve_in_background()
    try:
        host, port = patient.server_address[:2]
        silent = socket.create_connection((host, port), timeout=5)
        silent.sendall(
            b"POST /aggregator/register-signer HTTP/1.1\r\nHost: x\r\n"
        )  # headers never end
        half_body = socket.create_connection((host, port), timeout=5)
        half_body.sendall(
            b"POST /aggregator/register-signer HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"
        )
        broken = socket.create_connection((host, port), timeout=5)
        broken.sendall(
            b"POST /aggregator/register-signer HTTP/1.1\r\nContent-Length: 9000\r\n\r\nabc"
        )
        broken.close()
        assert request(patient, "POST", "/register-signer", vector_body(VECTORS[0]))[0] == 201
        silent.close()
        half_body.close()
    finally:
        patient.stop()
        store.close()


def test_stuck_connections_are_dropped_after_the_request_deadline(server):
    host, port = server.server_address[:2]
    half_body = socket.create_connection((host, port), timeout=5)
    half_body.sendall(
        b"POST /aggregator/register-signer HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{"
    )
    # The server drops it after its request deadline (1 s here), well before ours (5 s).
    assert half_body.recv(1024) == b""
    half_body.close()


def test_keep_alive_connections_serve_several_requests(server):
    host, port = server.server_address[:2]
    connection = http.client.HTTPConnection(host, port, timeout=5)
    for _ in range(3):
        connection.request(
            "POST", BASE + "/register-signer", body=json.dumps(vector_body(VECTORS[1])).encode()
        )
        response = connection.getresponse()
        assert response.status == 201
        response.read()
    connection.close()


def test_tampered_proofs_are_refused_as_mithril_does(server):
    # The KES signature covers the tampered bytes, so only the proof check can refuse them;
    # Mithril answers 400 failed_signer_registration (KeyRegistration::register).
    secret_key, vk = keygen(b"\x0a" * 32)
    creds = KesCredentials(secret_key, OpCert.issue(vk, b"\x0b" * 32, 0, 0))
    server.aggregator.stake[creds.pool_id] = 7
    key, other = new_protocol_key(b"\x0c" * 32), new_protocol_key(b"\x0d" * 32)

    def body(protocol_key):
        return {
            "epoch": 1,
            "party_id": creds.pool_id,
            "verification_key": encode_protocol_key(protocol_key),
            "verification_key_signature": encode_kes_signature(creds.sign(protocol_key, 0)),
            "operational_certificate": encode_opcert(creds.opcert),
            "kes_period": 0,
        }

    for tampered in (key[:96] + key[144:] + key[96:144], key[:96] + other[96:]):
        status, reply = request(server, "POST", "/register-signer", body(tampered))
        assert (status, reply["label"]) == (400, "failed_signer_registration")
        assert "proof of possession does not match" in reply["message"]
    assert server.aggregator.store.get(1, creds.pool_id) is None
    # The same good key twice for the same round: both accepted (insert or replace).
    assert request(server, "POST", "/register-signer", body(key))[0] == 201
    assert request(server, "POST", "/register-signer", body(key))[0] == 201
    assert server.aggregator.store.get(1, creds.pool_id).protocol_key == key
