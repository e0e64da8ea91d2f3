"""Shared plumbing for the Invoke tasks: parsing, short options, errors, JSON, consoles."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import invoke
from invoke.exceptions import Exit
from invoke.parser import parser as invoke_parser
from rich.console import Console

from release.errors import ReleaseToolError

#: Exit status for bad input or a refused operation (1 is kept for "checked and invalid").
EXIT_ERROR = 2

F = TypeVar("F", bound=Callable[..., Any])

console = Console(stderr=True, highlight=False)

#: The core flags asking for a task's help (``-h`` is therefore never a task's short option).
HELP_FLAGS = ("--help", "-h")

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


class _HelpFirstMachine(invoke_parser.ParseMachine):
    """Invoke's parse machine, except that ``--help`` after a task always asks for its help.

    Invoke (3.0.3, the latest) fills a task's missing positional argument with the next token
    before it looks for core flags, so ``inv promote --help`` ran ``promote`` with the tag
    "--help" (pyinvoke/invoke#982, open upstream). Here help wins, and a task whose help is
    asked for need not have its positional arguments.
    """

    def handle(self, token: str) -> None:
        """Take ``--help`` as the core flag where Invoke would take it as a positional value;
        a value of the wrong kind (``--period x``) as a parse error, not a traceback."""
        if (
            token in HELP_FLAGS
            and self.current_state == "context"
            and token not in self.context.flags
            and not self.waiting_for_flag_value
            and self.context.missing_positional_args
        ):
            # What Invoke does with --help after a task whose positional arguments are given.
            self.initial.flags[token].value = self.context.name
            return
        flag = self.flag if self.waiting_for_flag_value else None
        try:
            super().handle(token)
        except ValueError:
            # Invoke casts an option's value to its kind and lets the ValueError out.
            if flag is None:
                raise
            kind = {int: "an integer", float: "a number"}.get(flag.kind, f"a {flag.kind}")
            self.error(f"--{flag.names[0]} {token!r} is not {kind}")

    def complete_context(self) -> None:
        """Name the missing positional arguments and where the usage is; none if help is shown."""
        context = self.context
        missing = context.missing_positional_args if context is not None else []
        if missing and self.initial.args["help"].value != context.name:
            names = ", ".join(argument.names[0] for argument in missing)
            usage = f"usage: {context.name} --help"
            self.error(f"'{context.name}' needs its arguments {names} ({usage})")
        if missing:
            if context not in self.result:
                self.result.append(context)
            return
        super().complete_context()


# Invoke's state machine library gives each class its own (empty) states: share the parent's.
_HelpFirstMachine._class_states = invoke_parser.ParseMachine._class_states
_HelpFirstMachine._class_transitions = invoke_parser.ParseMachine._class_transitions


def install_help_first_parsing() -> None:
    """Make every Invoke parser in this process (``inv``'s and ``mithril-release``'s) use
    :class:`_HelpFirstMachine`; ``inv`` builds its own program, so the parser is the one hook."""
    invoke_parser.ParseMachine = _HelpFirstMachine  # type: ignore[misc]


#: How an optional integer option is annotated (a string under ``from __future__``).
_OPTIONAL_INT = ("int | None", int | None)


class ReleaseTask(invoke.Task):
    """An Invoke task whose short options come from :data:`SHORT_OPTIONS`, not first letters.

    Invoke's automatic short options depend on each task's other options, so ``-o`` meant
    ``--config``, ``--out`` or ``--counter-file`` depending on the task.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "auto_shortflags": False})

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
    """Turn a :class:`ReleaseToolError` into a one-line message and a non-zero exit."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ReleaseToolError as error:
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


def emit_json(payload: object) -> None:
    """Print one JSON document on stdout (the last line a caller parses)."""
    sys.stdout.write(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    sys.stdout.flush()
