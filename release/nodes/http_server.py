"""The aggregator's HTTP API: ``POST /register-signer``, ``GET /signers/registered/{epoch}``,
``GET /epoch-settings``.

One thread per connection with a per-connection socket timeout: a slow or silent client
holds only its own thread until the timeout, never the others. Bodies are read only after
their announced size was checked against the limit (413 otherwise, without reading them).
"""

from __future__ import annotations

import json
import logging
import re
import socket
import threading
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from release.nodes.aggregator import Aggregator
from release.nodes.errors import PayloadDecodeError
from release.nodes.messages import Registration

log = logging.getLogger("release.nodes.http")

#: Far above an honest registration (about 8 KiB of hex JSON).
MAX_BODY_BYTES = 64 * 1024
CLIENT_TIMEOUT_S = 10.0
_REGISTERED_PATH = re.compile(r"/signers/registered/(\d{1,19})")


class AggregatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        aggregator: Aggregator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        max_body: int = MAX_BODY_BYTES,
        client_timeout: float = CLIENT_TIMEOUT_S,
    ) -> None:
        self.aggregator = aggregator
        self.max_body = max_body
        self.client_timeout = client_timeout
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"

    def serve_in_background(self) -> threading.Thread:
        thread = threading.Thread(
            target=self.serve_forever,
            kwargs={"poll_interval": 0.05},  # stop() returns within 50 ms
            name="aggregator-http",
            daemon=True,
        )
        thread.start()
        return thread

    def stop(self) -> None:
        self.shutdown()
        self.server_close()

    def handle_error(self, request: object, client_address: object) -> None:
        log.warning("connection from %s failed", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AggregatorServer

    def setup(self) -> None:
        self.timeout = self.server.client_timeout
        super().setup()
        # Headers and body go out in separate writes: without this, Nagle's algorithm
        # holds the body until the client's delayed ACK (about 40 ms per reply).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_POST(self) -> None:
        if self.path != "/register-signer":
            self._reply(
                HTTPStatus.NOT_FOUND,
                {"label": "not_found", "message": f"no route POST {self.path}"},
            )
            return
        body = self._read_body()
        if body is None:
            return
        try:
            registration = Registration.from_wire(_json(body))
        except PayloadDecodeError as failure:
            self._reply(failure.status, {"label": failure.label, "message": str(failure)})
            return
        reply = self.server.aggregator.handle_registration(registration)
        self._reply(
            reply.status,
            None if reply.accepted else {"label": reply.label, "message": reply.message},
        )

    def do_GET(self) -> None:
        aggregator = self.server.aggregator
        if self.path == "/epoch-settings":
            self._reply(HTTPStatus.OK, aggregator.epoch_settings_message())
            return
        match = _REGISTERED_PATH.fullmatch(self.path)
        if match is None:
            self._reply(
                HTTPStatus.NOT_FOUND, {"label": "not_found", "message": f"no route GET {self.path}"}
            )
            return
        message = aggregator.registrations_message(int(match.group(1)))
        if message is None:
            self._reply(HTTPStatus.NOT_FOUND, None)
        else:
            self._reply(HTTPStatus.OK, message)

    def _read_body(self) -> bytes | None:
        """The request body, or None once an error was answered (and the connection closed)."""
        if self.headers.get("Transfer-Encoding") is not None:
            return self._refuse(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        announced = self.headers.get("Content-Length")
        if announced is None:
            return self._refuse(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        if not announced.strip().isdigit():
            return self._refuse(
                HTTPStatus.BAD_REQUEST, f"Content-Length {announced!r} is not a size"
            )
        size = int(announced)
        if size > self.server.max_body:
            return self._refuse(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the body is {size} bytes; the limit is {self.server.max_body}",
            )
        try:
            body = self.rfile.read(size)
        except TimeoutError:
            self.close_connection = True
            return None
        if len(body) < size:  # the client went away mid-body
            self.close_connection = True
            return None
        return body

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        self.close_connection = True
        self._reply(status, {"label": status.phrase, "message": message})

    def _reply(self, status: int, document: dict[str, Any] | None) -> None:
        payload = b"" if document is None else json.dumps(document).encode()
        self.send_response(status)
        if document is not None:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(payload)


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as failure:
        raise PayloadDecodeError(f"the body is not JSON: {failure}") from None
