"""Shared plumbing for the Invoke tasks: error reporting, JSON output, consoles."""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from invoke.exceptions import Exit
from rich.console import Console

from release.errors import ReleaseToolError

#: Exit status for bad input or a refused operation (1 is kept for "checked and invalid").
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])

console = Console(stderr=True, highlight=False)


def reports_errors(func: F) -> F:
    """Turn a :class:`ReleaseToolError` into a one-line message and a non-zero exit.

    Under ``--json`` the error also ends stdout as ``{"error": ...}`` when the task had not
    printed its own document yet (bad arguments, configuration, a refused preflight), so a
    caller parsing the last JSON object always finds one.
    """
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = _emitted[0]
        try:
            return func(*args, **kwargs)
        except ReleaseToolError as error:
            wants_json = signature.bind_partial(*args, **kwargs).arguments.get("json") is True
            if wants_json and _emitted[0] == started:
                emit_json({"error": str(error), "complete": False})
            raise Exit(f"error: {error}", code=EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


#: How many JSON documents this process printed: tells ``reports_errors`` whether the task
#: already ended stdout with its own.
_emitted = [0]


def emit_json(payload: object) -> None:
    """Print one JSON document on stdout (the last line a caller parses)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
    _emitted[0] += 1
