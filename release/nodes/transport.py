"""How a signer reaches an aggregator: in the same process, or over HTTP."""

from __future__ import annotations

import http.client
import json
import threading
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from release.nodes.api import API_VERSION, API_VERSION_HEADER
from release.nodes.errors import TransportError
from release.nodes.messages import Registration

#: Sent as ``signer-node-version`` so aggregator logs show which behaviour registered.
VERSION_HEADER = "signer-node-version"


@dataclass(frozen=True)
class Reply:
    """The aggregator's answer to one registration."""

    status: int
    label: str | None = None
    message: str | None = None

    @property
    def accepted(self) -> bool:
        return self.status == 201


class Transport(Protocol):
    def send(self, registration: Registration) -> Reply: ...


class RegistrationHandler(Protocol):
    """What an in-process aggregator endpoint offers a transport."""

    def handle_registration(self, registration: Registration) -> Reply: ...


class InProcessTransport:
    """Calls the aggregator's endpoint directly: same checks and answers, no sockets."""

    def __init__(self, endpoint: RegistrationHandler) -> None:
        self.endpoint = endpoint

    def send(self, registration: Registration) -> Reply:
        return self.endpoint.handle_registration(registration)


class DryRunTransport:
    """Records what would be sent and sends nothing; the signer reports it as not sent."""

    #: Not an HTTP status: the reply of a registration that was never sent.
    NOT_SENT = 0

    def __init__(self) -> None:
        self.sent: list[Registration] = []

    def send(self, registration: Registration) -> Reply:
        self.sent.append(registration)
        return Reply(self.NOT_SENT, "dry_run", "dry run: not sent")


class HttpTransport:
    """``POST {aggregator}/register-signer`` over one kept-alive connection per thread."""

    def __init__(
        self, base_url: str, *, signer_version: str = "dev", timeout: float = 10.0
    ) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise TransportError(f"aggregator URL {base_url!r} must look like http://host:port")
        self.base_url = base_url.rstrip("/")
        self._parts = parts
        self._timeout = timeout
        self._headers = {
            "Content-Type": "application/json",
            VERSION_HEADER: signer_version,
            API_VERSION_HEADER: API_VERSION,
        }
        self._local = threading.local()

    def send(self, registration: Registration) -> Reply:
        body = json.dumps(registration.to_wire(), separators=(",", ":")).encode()
        status, payload = self.request("POST", "/register-signer", body)
        if status == 201:
            return Reply(201)
        label, message = None, payload.decode("utf-8", "replace").strip() or None
        try:
            document = json.loads(payload)
        except ValueError:
            document = None
        if isinstance(document, dict):
            label, message = document.get("label"), document.get("message")
        return Reply(status, label, message)

    def epoch_settings(self) -> dict[str, Any]:
        """``GET {aggregator}/epoch-settings``: where a signer reads the aggregator's epoch."""
        status, payload = self.request("GET", "/epoch-settings")
        try:
            document = json.loads(payload) if status == 200 else None
        except ValueError:
            document = None
        if not isinstance(document, dict) or type(document.get("epoch")) is not int:
            raise TransportError(
                f"the aggregator at {self.base_url} answered GET /epoch-settings with HTTP "
                f"{status}, not an epoch settings message"
            )
        return document

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """One request; a kept-alive connection the server closed meanwhile is retried once
        (a registration is idempotent: the aggregator inserts or replaces)."""
        try:
            return self._exchange(method, path, body)
        except ConnectionError:
            self.close()
        except (OSError, http.client.HTTPException) as failure:
            self.close()
            raise self._unreachable(failure) from None
        try:
            return self._exchange(method, path, body)
        except (OSError, http.client.HTTPException) as failure:
            self.close()
            raise self._unreachable(failure) from None

    def _exchange(self, method: str, path: str, body: bytes | None) -> tuple[int, bytes]:
        connection = self._connection()
        connection.request(
            method, self._parts.path.rstrip("/") + path, body=body, headers=self._headers
        )
        response = connection.getresponse()
        return response.status, response.read()

    def _unreachable(self, failure: Exception) -> TransportError:
        return TransportError(f"cannot reach the aggregator at {self.base_url}: {failure}")

    def close(self) -> None:
        connection = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None

    def _connection(self) -> http.client.HTTPConnection:
        connection = getattr(self._local, "connection", None)
        if connection is None:
            kind = (
                http.client.HTTPSConnection
                if self._parts.scheme == "https"
                else http.client.HTTPConnection
            )
            connection = kind(self._parts.hostname, self._parts.port, timeout=self._timeout)
            self._local.connection = connection
        return connection
