"""GitHub's published REST description, used to check every answer of the test server.

The document is npm's ``@octokit/openapi`` (installed at a pinned version by
``scripts/setup.sh --test`` into ``.node/``), read unmodified. An answer is checked against
the schema of the operation whose method and path template it answers, for its status:

* a status the operation documents with a JSON body: that schema;
* a 422 the operation lists without a body, or does not list: ``validation-error`` (what
  GitHub's 422 answers carry: ``message``, ``documentation_url``, ``errors[].code``);
* any other error status: ``basic-error``;
* a success status the operation does not document: a violation in itself.

Schemas use OpenAPI 3.0 (``nullable``), hence ``openapi-schema-validator``'s OAS 3.0 rules.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_PATH = REPO_ROOT / ".node/node_modules/@octokit/openapi/generated/api.github.com.json"
_SPEC_URI = "urn:github-openapi"
#: Where the test server mounts the REST API and the upload host (GitHub Enterprise layout).
_MOUNTS = ("/api/v3", "/api/uploads")


@dataclass(frozen=True)
class Violation:
    method: str
    path: str
    status: int
    operation: str
    problem: str

    def __str__(self) -> str:
        return f"{self.method} {self.path} -> {self.status} ({self.operation}): {self.problem}"


class GitHubSchema:
    """Finds the operation an answer belongs to and validates the answer's JSON body."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec
        self.version = spec.get("info", {}).get("version", "?")
        self._registry = Registry().with_resource(
            _SPEC_URI, Resource.from_contents(spec, default_specification=DRAFT4)
        )
        self._routes = sorted(
            (
                (_template_regex(template), template)
                for template in spec["paths"]
                if template.startswith(("/repos/{owner}/{repo}", "/rate_limit"))
            ),
            key=lambda route: [part.startswith("{") for part in route[1].split("/")],
        )
        self._validators: dict[str, OAS30Validator] = {}
        self._lock = threading.Lock()

    def operation(self, method: str, path: str) -> tuple[str, dict[str, Any]] | None:
        """The path template and operation object answering ``method path`` (a server path)."""
        api_path = next((path[len(m) :] for m in _MOUNTS if path.startswith(m + "/")), None)
        if api_path is None:
            return None
        for regex, template in self._routes:
            operation = self.spec["paths"][template].get(method.lower())
            if operation is not None and regex.fullmatch(api_path):
                return template, operation
        return None

    def check(self, method: str, path: str, status: int, body: Any) -> list[Violation]:
        """Every way ``body`` (already parsed JSON) breaks the documented answer."""
        found = self.operation(method, path)
        if found is None:
            if status >= 400:
                return self._validate(
                    method, path, status, "(no operation)", "/components/schemas/basic-error", body
                )
            return [Violation(method, path, status, "(none)", "no documented operation")]
        template, operation = found
        name = operation["operationId"]
        pointer = self._response_schema(template, method, operation, status)
        if pointer is None:
            return [Violation(method, path, status, name, "status not documented with a body")]
        return self._validate(method, path, status, name, pointer, body)

    def _response_schema(
        self, template: str, method: str, operation: dict[str, Any], status: int
    ) -> str | None:
        response = operation.get("responses", {}).get(str(status))
        if response is not None and "$ref" in response:
            ref = response["$ref"].removeprefix("#")
            response = _at(self.spec, ref)
            base = ref
        else:
            base = _pointer("paths", template, method.lower(), "responses", str(status))
        if response is not None and "application/json" in response.get("content", {}):
            return base + _pointer("content", "application/json", "schema")
        if status == 422:
            return "/components/schemas/validation-error"
        if status >= 400:
            return "/components/schemas/basic-error"
        return None

    def _validate(
        self, method: str, path: str, status: int, name: str, pointer: str, body: Any
    ) -> list[Violation]:
        with self._lock:
            validator = self._validators.get(pointer)
            if validator is None:
                validator = OAS30Validator(
                    {"$ref": f"{_SPEC_URI}#{pointer}"}, registry=self._registry
                )
                self._validators[pointer] = validator
            errors = sorted(validator.iter_errors(body), key=lambda e: list(e.absolute_path))
        return [
            Violation(
                method,
                path,
                status,
                name,
                f"at /{'/'.join(map(str, error.absolute_path))}: {error.message}",
            )
            for error in errors
        ]


@cache
def github_schema() -> GitHubSchema:
    """The description, loaded once per process (about 10 MB of JSON)."""
    try:
        text = SPEC_PATH.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RuntimeError(
            f"{SPEC_PATH} is missing: run ./scripts/setup.sh --test (it installs "
            "@octokit/openapi with npm)"
        ) from None
    return GitHubSchema(json.loads(text))


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    return re.compile(
        "".join("[^/]+" if part.startswith("{") else re.escape(part) for part in parts)
    )


def _pointer(*parts: str) -> str:
    """A JSON pointer as a URI fragment: '~' and '/' escaped, then percent-encoded."""
    return "".join(
        "/" + quote(part.replace("~", "~0").replace("/", "~1"), safe="~") for part in parts
    )


def _at(document: Any, pointer: str) -> Any:
    for part in pointer.strip("/").split("/"):
        document = document[part.replace("~1", "/").replace("~0", "~")]
    return document
