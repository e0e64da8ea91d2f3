"""``inv bench``: every area's figures, printed against their targets and written to JSON."""

from __future__ import annotations

import importlib
import json as jsonlib
import platform
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Context

from release.errors import ReleaseToolError
from release.tasks._cli import console, emit_json, reports_errors, task

if TYPE_CHECKING:
    from rich.table import Table

    from release.bench import Figure

#: Areas in the order they are run; each is a module ``release.bench.<area>``.
AREAS = ("kes", "nodes", "regression", "distribution", "publish", "pipeline", "startup")


def _load_area(area: str) -> object:
    if area not in AREAS:
        raise ReleaseToolError(f"unknown benchmark area {area!r}; choose from {', '.join(AREAS)}")
    return importlib.import_module(f"release.bench.{area}")


def _table(figures: list[Figure]) -> Table:
    from rich.table import Table  # noqa: PLC0415

    table = Table(title="benchmarks")
    for column in ("area", "figure", "value", "unit", "target", "ok"):
        table.add_column(column)
    for figure in figures:
        ok = {True: "yes", False: "NO", None: ""}[figure.meets_target]
        table.add_row(
            figure.area, figure.name, f"{figure.value}", figure.unit, figure.target or "", ok
        )
    return table


@task(
    help={
        "only": "comma-separated areas to run (default: all): " + ", ".join(AREAS),
        "quick": "shorter measurements and smaller inputs (noisier figures)",
        "out": "JSON file to write the figures to",
        "json": "print the JSON document on stdout too",
    },
)
@reports_errors
def bench(
    c: Context,
    only: str = "",
    quick: bool = False,
    out: str = "bench-results.json",
    json: bool = False,
) -> None:
    """Measure every figure as a ratio against a baseline taken in the same run."""
    areas = [area.strip() for area in only.split(",") if area.strip()] or list(AREAS)
    modules = {area: _load_area(area) for area in areas}
    figures: list[Figure] = []
    started = time.time()
    for area, module in modules.items():
        console().print(f"[bold]measuring {area}[/bold]")
        figures.extend(module.run(quick))  # type: ignore[attr-defined]
    document = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
        "seconds": round(time.time() - started, 1),
        "quick": quick,
        "machine": {"python": sys.version.split()[0], "platform": platform.platform()},
        "figures": [figure.as_json() for figure in figures],
    }
    Path(out).write_text(jsonlib.dumps(document, indent=2) + "\n")
    console().print(_table(figures))
    console().print(f"written to {out}")
    if json:
        emit_json(document)
