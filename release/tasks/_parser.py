"""Invoke's command-line parser, fixed where it fails newcomers: `--help`, bad values."""

from __future__ import annotations

from invoke.parser import parser as invoke_parser

#: The core flags asking for a task's help (``-h`` is therefore never a task's short option).
HELP_FLAGS = ("--help", "-h")


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
