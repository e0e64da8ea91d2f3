"""Benchmarks reported by ``inv bench``.

Each area module (``release.bench.kes``, ``.nodes``, ...) exposes
``run(quick: bool) -> list[Figure]``. Figures are ratios against a baseline measured in the
same run (or plain measurements when no baseline makes sense), never assertions: the task
prints them next to their targets and writes them to JSON.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class Figure:
    """One reported number, with the target it is compared against."""

    area: str
    name: str
    value: float
    unit: str
    target: str | None = None
    meets_target: bool | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


def per_call_seconds(
    func: Callable[[], object],
    *,
    min_time: float = 0.2,
    repeat: int = 5,
    clock: Callable[[], float] = time.perf_counter,
) -> float:
    """Best-of-``repeat`` seconds per call, each repeat running for at least ``min_time``.

    The minimum over repeats is the figure least disturbed by other load on the machine.
    ``clock`` is wall time by default; ``time.process_time`` gives CPU seconds, to compare
    with another CPU figure on a machine whose cores other processes share.
    """
    calls = 1
    while True:
        started = clock()
        for _ in range(calls):
            func()
        elapsed = clock() - started
        if elapsed >= min_time / 4:
            break
        calls *= 4
    calls = max(1, int(calls * (min_time / max(elapsed, 1e-9))))
    best = float("inf")
    for _ in range(repeat):
        started = clock()
        for _ in range(calls):
            func()
        best = min(best, (clock() - started) / calls)
    return best


def ratio_figure(
    area: str, name: str, measured: float, reference: float, target_max: float | None, **detail: Any
) -> Figure:
    """A figure for ``measured / baseline`` checked against an upper bound."""
    value = measured / reference
    return Figure(
        area=area,
        name=name,
        value=round(value, 3),
        unit="ratio",
        target=None if target_max is None else f"<= {target_max}",
        meets_target=None if target_max is None else value <= target_max,
        detail={"measured_s": measured, "baseline_s": reference, **detail},
    )
