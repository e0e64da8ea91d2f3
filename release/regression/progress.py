"""A progress bar for long runs, drawn with rich when it is installed and wanted.

rich is imported lazily: the packaged executables (and the gate running inside them) carry
the ``release`` package without it, and CI wants no bar at all.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator

Advance = Callable[[str], None]


def wanted() -> bool:
    """A bar only for a person watching: a terminal on stderr and not CI."""
    return sys.stderr.isatty() and not os.environ.get("CI")


@contextlib.contextmanager
def progress_bar(total: int, *, enabled: bool, title: str) -> Iterator[Advance]:
    if not enabled:
        yield lambda _label: None
        return
    try:  # lazily: the packaged executables do not carry rich
        from rich.console import Console  # noqa: PLC0415
        from rich.progress import (  # noqa: PLC0415
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )
    except ImportError:
        yield lambda _label: None
        return
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(title, total=total)

        def advance(label: str) -> None:
            bar.update(task, advance=1, description=f"{title} {label}")

        yield advance
