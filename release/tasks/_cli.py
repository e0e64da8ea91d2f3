"""Shared plumbing for the Invoke tasks: the task class, short options, errors, JSON, consoles."""

from __future__ import annotations

import functools
import inspect
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

import invoke
from invoke.exceptions import Exit

from release.errors import ReleaseToolError

if TYPE_CHECKING:
    from rich.console import Console

#: Exit status for bad input or a refused operation (1 is kept for "checked and invalid").
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])


@functools.cache
def console() -> Console:
    """The tasks' console on stderr, made on first use: importing rich takes longer than
    ``inv --list`` is given."""
    from rich.console import Console  # noqa: PLC0415

    return Console(stderr=True, highlight=False)


#: The only short options, one meaning each in every task; every other option is long only.
SHORT_OPTIONS = {
    "config": "c",
    "out": "o",
    "json": "j",
    "dry_run": "n",
    "yes": "y",
    "force": "f",
    "date": "d",
    "base": "b",
    "tag": "t",
    "report": "r",
}


#: How an optional integer option is annotated (a string under ``from __future__``).
_OPTIONAL_INT = ("int | None", int | None)


class ReleaseTask(invoke.Task):
    """An Invoke task whose short options come from :data:`SHORT_OPTIONS`, not first letters.

    Invoke's automatic short options depend on each task's other options, so ``-o`` meant
    ``--config``, ``--out`` or ``--counter-file`` depending on the task.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "auto_shortflags": False})
        if self.positional:
            # Invoke's help lists positional arguments among the options, unmarked
            # (pyinvoke/invoke#449): say in the help text which they are, and in what order.
            dashed = [name.replace("_", "-") for name in self.positional]
            self.__doc__ = (
                f"{(self.__doc__ or '').rstrip()}\n\n"
                f"Arguments, in order: {' '.join(name.upper() for name in dashed)}"
                f" (or {', '.join(f'--{name}' for name in dashed)})."
            )

    def arg_opts(self, name: str, default: str, taken_names: set[str]) -> dict[str, Any]:
        """Invoke's options for one argument, plus its short option if it has one.

        Invoke types an option from its default; an ``int | None = None`` one is an integer
        here, so "not given" (None) stays apart from every value typed (``--period -1``).
        """
        opts = super().arg_opts(name, default, taken_names)
        if default is None and self.body.__annotations__.get(name) in _OPTIONAL_INT:
            opts["kind"] = int
        if name in SHORT_OPTIONS:
            opts["names"] = [*opts["names"], SHORT_OPTIONS[name]]
        return opts


#: ``@task`` for this project's tasks: :class:`ReleaseTask` instances.
task = functools.partial(invoke.task, klass=ReleaseTask)


def reports_errors(func: F) -> F:
    """Turn a :class:`ReleaseToolError` into a one-line message and a non-zero exit.

    Under ``--json`` the error also ends stdout as ``{"error": ...}`` when the task had not
    printed its own document yet (bad arguments, configuration, a refused preflight), so a
    caller parsing the last JSON object always finds one.
    """
    signature = inspect.signature(func)

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], invoke.Context) and args[0].config.run.dry:
            # Invoke's own --dry only echoes shell commands; the tasks run none, so they would
            # have done everything for real.
            raise Exit(
                "error: --dry (-R) is Invoke's flag for shell commands; this task's is --dry-run",
                code=EXIT_ERROR,
            )
        started = _emitted[0]
        try:
            return func(*args, **kwargs)
        except ReleaseToolError as error:
            wants_json = signature.bind_partial(*args, **kwargs).arguments.get("json") is True
            if wants_json and _emitted[0] == started:
                emit_json({"error": str(error), "complete": False})
            raise Exit(f"error: {error}", code=EXIT_ERROR) from None

    return wrapper  # type: ignore[return-value]


def non_negative(value: int | None, option: str, meaning: str) -> int | None:
    """An ``int | None`` option: None when not given, else a value that must not be negative."""
    if value is not None and value < 0:
        raise ReleaseToolError(f"--{option} {value} is negative: give {meaning}, 0 or more")
    return value


def required_non_negative(value: int | None, option: str, meaning: str) -> int:
    """An ``int | None`` option the task cannot do without."""
    given = non_negative(value, option, meaning)
    if given is None:
        raise ReleaseToolError(f"--{option} is required: {meaning}")
    return given


#: How many JSON documents this process printed: tells ``reports_errors`` whether the task
#: already ended stdout with its own.
_emitted = [0]


def emit_json(payload: object) -> None:
    """Print one JSON document on stdout (the last line a caller parses)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
    _emitted[0] += 1
