"""Shared plumbing for the Invoke tasks: error reporting, JSON output, consoles."""

from __future__ import annotations

import functools
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
    """Turn a :class:`ReleaseToolError` into a one-line message and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReleaseToolError as error:
            raise Exit(f"error: {error}", code=EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


def emit_json(payload: object) -> None:
    """Print one JSON document on stdout (the last line a caller parses)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
