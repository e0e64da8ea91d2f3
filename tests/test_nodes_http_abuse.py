"""The aggregator's HTTP server under abuse, at the socket level on 127.0.0.1: smuggled
requests, out-of-range numbers, trickling clients, a connection flood, ``Expect:
100-continue``, requests cut short and clients that vanish."""

from __future__ import annotations

import json
import logging
import socket
import time

import pytest
from nodes_support import VECTORS, vector_aggregator, vector_body

from release.nodes.http_server import AggregatorServer

REGISTER = b"/aggregator/register-signer"


def registration_body(vector=VECTORS[0]) -> bytes:
    return json.dumps(vector_body(vector)).encode()


def make_server(tmp_path, **options) -> AggregatorServer:
    aggregator = vector_aggregator(tmp_path)
    server = AggregatorServer(aggregator, **{"request_deadline": 2.0, **options})
    server.serve_in_background()
    return server


@pytest.fixture
def server(tmp_path):
    server = make_server(tmp_path)
    yield server
    server.stop()
    server.aggregator.store.close()


def connect(server) -> socket.socket:
    return socket.create_connection(server.server_address[:2], timeout=10)


def read_all(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection."""
    chunks = []
    while chunk := connection.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def post(path: bytes, body: bytes, *extra: bytes, media: bytes = b"application/json") -> bytes:
    headers = b"".join(header + b"\r\n" for header in extra)
    return (
        b"POST " + path + b" HTTP/1.1\r\nHost: x\r\nContent-Type: " + media + b"\r\n"
        + headers + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body
    )  # fmt: skip


SMUGGLED = post(REGISTER, registration_body())


@pytest.mark.parametrize(
    "carrier",
    [
        post(b"/aggregator/nothing", SMUGGLED),  # unknown path: its body is never read
        post(b"/aggregator/epoch-settings", SMUGGLED),  # wrong method: 405
        b"GET /aggregator/epoch-settings HTTP/1.1\r\nHost: x\r\nContent-Length: "
        + str(len(SMUGGLED)).encode()
        + b"\r\n\r\n"
        + SMUGGLED,  # a GET with a body
        post(REGISTER, SMUGGLED, media=b"text/plain"),  # 415, body unread
    ],
)
def test_an_unread_body_is_never_parsed_as_the_next_request(server, carrier):
    with connect(server) as connection:
        connection.sendall(carrier)
        replies = read_all(connection)
    assert replies.count(b"HTTP/1.1 ") == 1  # one reply, then the connection was closed
    assert b"Connection: close" in replies
    assert server.aggregator.store.count() == 0  # the smuggled registration never ran


def test_a_registration_on_a_kept_alive_connection_still_serves_the_next_request(server):
    with connect(server) as connection:
        connection.sendall(SMUGGLED + b"GET /aggregator/epoch-settings HTTP/1.1\r\nHost: x\r\n\r\n")
        time.sleep(0.2)
        connection.shutdown(socket.SHUT_WR)
        replies = read_all(connection)
    assert replies.startswith(b"HTTP/1.1 201") and b"HTTP/1.1 200" in replies


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (
            b"GET /aggregator/signers/registered/9223372036854775808 HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
        ),
        (
            b"GET /aggregator/signers/registered/" + b"9" * 400 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
            400,
        ),
        (
            post(
                REGISTER,
                registration_body().replace(b'"epoch": 1', b'"epoch": 18446744073709551616'),
            ),
            400,
        ),
        (
            post(REGISTER, registration_body().replace(b'"kes_period": 0', b'"kes_period": 1e400')),
            400,
        ),
        (
            post(
                REGISTER,
                registration_body().replace(b'"epoch": 1', b'"epoch": 9223372036854775808'),
            ),
            500,
        ),
        (post(REGISTER, b"[" * 100_000 + b"]" * 100_000), 413),
        (post(REGISTER, b"[" * 30_000 + b"]" * 30_000), 400),
    ],
)
def test_out_of_range_numbers_and_deep_json_are_answered_not_dropped(server, request_bytes, status):
    with connect(server) as connection:
        connection.sendall(request_bytes)
        reply = connection.recv(65536)
    assert reply.startswith(f"HTTP/1.1 {status} ".encode()), reply[:200]
    assert b"mithril-api-version: 0.1.54" in reply


def test_a_client_trickling_bytes_is_cut_off_at_the_request_deadline(tmp_path):
    # Each byte arrives well within any per-read timeout; the whole request never does.
    server = make_server(tmp_path, request_deadline=1.0)
    try:
        with connect(server) as connection:
            request_bytes = post(REGISTER, registration_body())
            sent = 0
            try:
                for byte in request_bytes[:40]:
                    connection.sendall(bytes([byte]))
                    sent += 1
                    time.sleep(0.1)
                closed = connection.recv(1024) == b""
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        assert closed
        assert sent < 40  # it was cut off before it had sent 40 bytes
    finally:
        server.stop()
        server.aggregator.store.close()


def test_connections_over_the_cap_get_503_and_a_freed_slot_serves_again(tmp_path):
    server = make_server(tmp_path, max_connections=2, request_deadline=30.0)
    get = b"GET /aggregator/epoch-settings HTTP/1.1\r\nHost: x\r\n\r\n"
    try:
        idle = [connect(server), connect(server)]
        for connection in idle:  # one exchange each, so both are surely being served
            connection.sendall(get)
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        with connect(server) as third:
            third.sendall(get)
            reply = read_all(third)
        assert reply.startswith(b"HTTP/1.1 503")
        assert json.loads(reply.split(b"\r\n\r\n", 1)[1])["label"] == "too_many_connections"
        for connection in idle:
            connection.close()
        for _ in range(100):  # the server notices the closes on its next read
            with connect(server) as again:
                again.sendall(get)
                reply = again.recv(65536)
            if reply.startswith(b"HTTP/1.1 200"):
                break
            time.sleep(0.05)
        assert reply.startswith(b"HTTP/1.1 200")
    finally:
        server.stop()
        server.aggregator.store.close()


def test_100_continue_only_once_the_headers_pass(server):
    body = registration_body()
    head = post(REGISTER, body, b"Expect: 100-continue")[: -len(body)]
    with connect(server) as connection:
        connection.sendall(head)
        assert connection.recv(1024) == b"HTTP/1.1 100 Continue\r\n\r\n"
        connection.sendall(body)
        assert connection.recv(65536).startswith(b"HTTP/1.1 201")
    refused_heads = [
        post(REGISTER, body, b"Expect: 100-continue", media=b"text/plain")[: -len(body)],
        head.replace(b"register-signer", b"nothing"),
        head.replace(str(len(body)).encode(), b"999999"),
    ]
    for refused in refused_heads:
        with connect(server) as connection:
            connection.sendall(refused)
            reply = read_all(connection)
        assert not reply.startswith(b"HTTP/1.1 100"), reply[:80]
        assert reply.split(b" ")[1] in {b"415", b"404", b"413"}


@pytest.mark.parametrize(
    "cut",
    [
        post(REGISTER, registration_body())[:60],  # inside the headers
        post(REGISTER, registration_body()).split(b"\r\n\r\n")[0] + b"\r\n",  # no blank line
        post(REGISTER, registration_body())[:-10],  # inside the body
        b"GET /aggregator/epoch-settings HTTP/1.1",  # a request line without its end
    ],
)
def test_requests_cut_short_are_dropped_unprocessed_with_one_log_line(server, cut, caplog):
    caplog.set_level(logging.DEBUG, logger="release.nodes.http")
    with connect(server) as connection:
        connection.sendall(cut)
        connection.shutdown(socket.SHUT_WR)
        assert read_all(connection) == b""  # no reply to half a request
    for _ in range(100):
        records = [r for r in caplog.records if r.levelno >= logging.INFO]
        if records:
            break
        time.sleep(0.02)
    assert len(records) == 1 and "cut short" in records[0].getMessage()
    assert records[0].exc_info is None
    assert server.aggregator.store.count() == 0


def test_a_client_that_vanishes_mid_reply_costs_one_log_line(server, caplog):
    caplog.set_level(logging.INFO, logger="release.nodes.http")
    with connect(server) as connection:
        connection.setsockopt(
            socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00"
        )
        connection.sendall(
            b"POST /aggregator/register-signer HTTP/1.1\r\nContent-Length: 900\r\n\r\n{"
        )
    # closed with a reset (linger 0): the server's read fails
    for _ in range(100):
        if caplog.records:
            break
        time.sleep(0.02)
    assert len(caplog.records) == 1
    assert caplog.records[0].exc_info is None and caplog.records[0].levelno == logging.INFO


def test_an_idle_kept_alive_connection_is_closed_quietly(tmp_path, caplog):
    caplog.set_level(logging.INFO, logger="release.nodes.http")
    server = make_server(tmp_path, request_deadline=0.5)
    try:
        with connect(server) as connection:
            connection.sendall(b"GET /aggregator/epoch-settings HTTP/1.1\r\nHost: x\r\n\r\n")
            assert read_all(connection).startswith(b"HTTP/1.1 200")  # closed once idle
        # The server logs before it closes the connection, so the log is complete here.
        assert [r for r in caplog.records if r.levelno >= logging.INFO] == []
    finally:
        server.stop()
        server.aggregator.store.close()
