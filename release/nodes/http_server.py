"""The aggregator's HTTP API under Mithril's base path (``/aggregator``): ``GET /``,
``GET /epoch-settings``, ``POST /register-signer``, ``GET /signers/registered/{epoch}``.

Built for clients that misbehave. Each connection has its own thread, and at most
``max_connections`` are served at once (503 beyond). A request must arrive whole within
``request_deadline`` seconds of its first read, counted across every read (a client
trickling a byte a second is cut off), and the connection is dropped otherwise. A body is
read in full or the connection is closed after the reply, so unread bytes are never parsed
as the next request. ``100 Continue`` goes out only once the method, path, Content-Type and
length passed. A request cut short (headers or body) is dropped without being processed, and
a client that goes away costs one log line.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
import re
import socket
import threading
import time
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote, urlsplit

from release.nodes.aggregator import Aggregator
from release.nodes.api import API_VERSION, API_VERSION_HEADER, BASE_PATH, MAX_BODY_BYTES
from release.nodes.errors import EpochParameterError, PayloadDecodeError
from release.nodes.messages import Registration

log = logging.getLogger("release.nodes.http")

REQUEST_DEADLINE_S = 10.0
MAX_CONNECTIONS = 64
_MAX_LINE = 65536
_REGISTERED = re.compile(r"/signers/registered/([^/]*)")
_PHRASES = {550: "Registration Round Not Yet Opened"}


class AggregatorServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def __init__(
        self,
        aggregator: Aggregator,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        base_path: str = BASE_PATH,
        max_body: int = MAX_BODY_BYTES,
        request_deadline: float = REQUEST_DEADLINE_S,
        max_connections: int = MAX_CONNECTIONS,
    ) -> None:
        self.aggregator = aggregator
        self.base_path = "/" + base_path.strip("/") if base_path.strip("/") else ""
        self.max_body = max_body
        self.request_deadline = request_deadline
        self.max_connections = max_connections
        self._active = 0
        self._active_lock = threading.Lock()
        super().__init__((host, port), _Handler)

    @property
    def url(self) -> str:
        """The API's root, base path included (what signers are given as ``--aggregator``)."""
        host, port = self.server_address[:2]
        return f"http://{host}:{port}{self.base_path}"

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

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._active_lock:
            admitted = self._active < self.max_connections
            if admitted:
                self._active += 1
        if admitted:
            super().process_request(request, client_address)
        else:
            log.info(
                "%s: turned away with 503, %s connections open", client_address[0], self._active
            )
            _turn_away(request)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._active_lock:
                self._active -= 1

    def handle_error(self, request: object, client_address: object) -> None:
        log.warning("connection from %s failed", client_address, exc_info=True)


def _turn_away(connection: socket.socket) -> None:
    """503 on a connection over the cap, from the accepting thread, without waiting on it."""
    payload = json.dumps(
        {"label": "too_many_connections", "message": "the aggregator is at its connection cap"}
    ).encode()
    try:
        connection.setblocking(False)
        # What already arrived, so that closing does not reset the connection under it.
        with contextlib.suppress(OSError):
            connection.recv(_MAX_LINE)
        connection.send(_response(503, payload, close=True))
        connection.shutdown(socket.SHUT_WR)
    except OSError:
        pass
    finally:
        connection.close()


def _response(
    status: int, payload: bytes, *, close: bool, headers: dict[str, str] | None = None
) -> bytes:
    phrase = _PHRASES.get(status) or HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {phrase}"]
    if payload:
        lines.append("Content-Type: application/json")
    lines.append(f"Content-Length: {len(payload)}")
    lines.append(f"{API_VERSION_HEADER}: {API_VERSION}")
    lines.extend(f"{name}: {value}" for name, value in (headers or {}).items())
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + payload


class _DeadlineReader(io.RawIOBase):
    """The socket's input, each read bounded by what is left of the request's deadline."""

    def __init__(self, connection: socket.socket) -> None:
        self.connection = connection
        self.deadline = math.inf
        self.eof = False
        #: Bytes received since the deadline was last set (0: the connection sat idle).
        self.received = 0

    def start(self, seconds: float) -> None:
        self.deadline = time.monotonic() + seconds
        self.received = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("the request deadline passed")
        self.connection.settimeout(remaining)
        count = self.connection.recv_into(buffer)
        if count == 0:
            self.eof = True
        self.received += count
        return count


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: AggregatorServer

    def setup(self) -> None:
        self.connection = self.request
        # Replies are single writes, but keep small ones from waiting on delayed ACKs.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._input = _DeadlineReader(self.connection)
        self.rfile = io.BufferedReader(self._input)

    def finish(self) -> None:
        self.rfile.close()

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def handle(self) -> None:
        self.close_connection = True
        try:
            self.handle_one_request()
            while not self.close_connection:
                self.handle_one_request()
        except TimeoutError:
            if self._input.received:
                log.info(
                    "%s: dropped, no complete request within %s s",
                    self.address_string(),
                    self.server.request_deadline,
                )
            else:  # a kept-alive connection left idle: closing it is routine
                log.debug("%s: idle connection closed", self.address_string())
        except OSError as failure:
            log.info("%s: client went away (%s)", self.address_string(), failure)

    def handle_one_request(self) -> None:
        self._input.start(self.server.request_deadline)
        self._body_pending = False
        self.requestline = ""
        self.close_connection = True
        line = self.rfile.readline(_MAX_LINE + 1)
        if not line:
            return  # closed between requests: the normal end of a kept-alive connection
        if len(line) > _MAX_LINE:
            self._reply(HTTPStatus.REQUEST_URI_TOO_LONG, _error("uri_too_long", "line too long"))
            return
        if not line.endswith(b"\n"):
            self._cut_short("request line")
            return
        self.raw_requestline = line
        self.request_version = "HTTP/0.9"
        if not self.parse_request():
            return
        if self._input.eof:
            self._cut_short("headers")
            return
        self._body_pending = bool(
            self.headers.get("Transfer-Encoding")
            or self.headers.get("Content-Length", "0").strip() not in {"", "0"}
        )
        self._dispatch()

    def handle_expect_100(self) -> bool:
        """Deferred: ``100 Continue`` is sent only once the request passed its checks."""
        return True

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """parse_request's refusals (bad request line, too many headers...) as JSON."""
        self.close_connection = True
        status = HTTPStatus(code)
        self._reply(status, _error(status.phrase, message or status.description))

    def _cut_short(self, what: str) -> None:
        log.info("%s: dropped, the %s was cut short", self.address_string(), what)
        self.close_connection = True

    # -- routing ------------------------------------------------------------------------

    def _dispatch(self) -> None:
        path = urlsplit(self.path).path  # a query string changes nothing
        base = self.server.base_path
        route = path[len(base) :] if path == base or path.startswith(base + "/") else None
        if route is None:
            self._reply(HTTPStatus.NOT_FOUND, _error("not_found", f"no route {path}"))
            return
        route = route or "/"
        handlers = {
            "/": {"GET": self._root},
            "/epoch-settings": {"GET": self._epoch_settings},
            "/register-signer": {"POST": self._register_signer},
        }
        registered = _REGISTERED.fullmatch(route)
        methods = (
            {"GET": lambda: self._registered(unquote(registered.group(1)))}
            if registered
            else handlers.get(route)
        )
        if methods is None:
            self._reply(HTTPStatus.NOT_FOUND, _error("not_found", f"no route {path}"))
            return
        handler = methods.get(self.command)
        if handler is None:
            self._reply(
                HTTPStatus.METHOD_NOT_ALLOWED,
                _error("method_not_allowed", f"{self.command} is not allowed on {path}"),
                headers={"Allow": ", ".join(methods)},
            )
            return
        handler()

    def _root(self) -> None:
        self._reply(HTTPStatus.OK, self.server.aggregator.features_message())

    def _epoch_settings(self) -> None:
        self._reply(HTTPStatus.OK, self.server.aggregator.epoch_settings_message())

    def _registered(self, epoch: str) -> None:
        try:
            message = self.server.aggregator.registrations_message(epoch)
        except EpochParameterError as failure:
            self._reply(HTTPStatus.BAD_REQUEST, _error("invalid_epoch", str(failure)))
            return
        if message is None:
            self._reply(HTTPStatus.NOT_FOUND, None)
        else:
            self._reply(HTTPStatus.OK, message)

    def _register_signer(self) -> None:
        body = self._read_body()
        if body is None:
            return
        try:
            registration = Registration.from_wire(_json(body))
        except PayloadDecodeError as failure:
            self._reply(failure.status, _error(failure.label, str(failure)))
            return
        reply = self.server.aggregator.handle_registration(registration)
        self._reply(
            reply.status, None if reply.accepted else _error(reply.label, reply.message or "")
        )

    def _read_body(self) -> bytes | None:
        """The request body, or None once a refusal was answered (or the client is gone)."""
        media_types = self.headers.get_all("Content-Type") or []
        if any(media.split(";")[0].strip().lower() != "application/json" for media in media_types):
            return self._refuse(
                HTTPStatus.UNSUPPORTED_MEDIA_TYPE,
                f"the body must be application/json, not {', '.join(media_types)!r}",
            )
        if self.headers.get("Transfer-Encoding") is not None:
            return self._refuse(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        lengths = self.headers.get_all("Content-Length") or []
        if not lengths:
            return self._refuse(HTTPStatus.LENGTH_REQUIRED, "send the body with a Content-Length")
        if len(lengths) > 1 or not lengths[0].strip().isdigit():
            return self._refuse(
                HTTPStatus.BAD_REQUEST, f"Content-Length {', '.join(lengths)!r} is not one size"
            )
        size = int(lengths[0])
        if size > self.server.max_body:
            return self._refuse(
                HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                f"the body is {size} bytes; the limit is {self.server.max_body}",
            )
        if self.headers.get("Expect", "").lower() == "100-continue":
            self.connection.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = self.rfile.read(size)
        if len(body) < size:
            self._cut_short("body")
            return None
        self._body_pending = False
        return body

    def _refuse(self, status: HTTPStatus, message: str) -> None:
        self._reply(status, _error(status.phrase, message))

    def _reply(
        self,
        status: int,
        document: dict[str, Any] | None,
        headers: dict[str, str] | None = None,
    ) -> None:
        if self._body_pending:  # its unread bytes must not be read as the next request
            self.close_connection = True
        payload = b"" if document is None else json.dumps(document).encode()
        self.log_request(status)
        self.connection.settimeout(self.server.request_deadline)  # a reader that stalls
        self.connection.sendall(
            _response(status, payload, close=self.close_connection, headers=headers)
        )


def _error(label: str | None, message: str) -> dict[str, Any]:
    """Mithril's error shape: ``{"label", "message"}`` and nothing else."""
    return {"label": label or "error", "message": message}


def _json(body: bytes) -> object:
    try:
        return json.loads(body)
    except (ValueError, RecursionError) as failure:
        raise PayloadDecodeError(f"the body is not JSON: {failure}") from None
