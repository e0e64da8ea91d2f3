"""Running a list of converging steps: progress, timings, the journal, and what is left.

A step reads the world, decides, acts (unless it is a dry run) and reports a
:class:`~release.distribution._git.StepOutcome`. The engine turns outcomes into a table of
done / to do / blocked / failed, times each step and records it.
"""

from __future__ import annotations

import enum
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from release.errors import ReleaseToolError
from release.outcome import Change, StepOutcome
from release.pipeline._journal import Journal

R = TypeVar("R")


class StepState(enum.StrEnum):
    DONE = "done"
    TODO = "to do"
    BLOCKED = "blocked"
    FAILED = "failed"
    #: Only ``inv status`` says it: another run holds the lock and may be doing it now.
    RUNNING = "running"


@dataclass(frozen=True)
class Step(Generic[R]):
    name: str
    title: str
    action: Callable[[R], StepOutcome]


@dataclass(frozen=True)
class StepReport:
    name: str
    title: str
    state: StepState
    detail: str
    #: Whether this run changed anything in this step.
    changed: bool = False
    seconds: float | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "step": self.name,
            "state": self.state.value,
            "detail": self.detail,
            "changed": self.changed,
            "seconds": self.seconds,
        }


class Display(Protocol):
    """Where progress goes (a console, or nothing)."""

    def started(self, step: Step[object]) -> None: ...

    def finished(self, report: StepReport) -> None: ...


class SilentDisplay:
    """No progress at all: benchmarks, ``inv status`` and tests only read the reports."""

    def started(self, step: object) -> None:
        pass

    def finished(self, report: StepReport) -> None:
        pass


class StepFailedError(ReleaseToolError):
    """A step refused or failed; the reports say what was done before and what is blocked."""

    def __init__(self, step: str, cause: ReleaseToolError, reports: list[StepReport]) -> None:
        super().__init__(f"{step}: {cause}")
        self.step = step
        self.cause = cause
        self.reports = reports


def run_steps(
    steps: Sequence[Step[R]], run: R, *, dry_run: bool, journal: Journal, display: Display
) -> list[StepReport]:
    """Run ``steps`` in order; in a dry run, steps after one with work to do are "to do"."""
    reports: list[StepReport] = []
    waiting_on: str | None = None
    for index, step in enumerate(steps):
        if dry_run and waiting_on is not None:
            report = StepReport(step.name, step.title, StepState.TODO, f"after {waiting_on}")
            reports.append(report)
            display.finished(report)
            continue
        display.started(step)  # type: ignore[arg-type]
        started = time.perf_counter()
        try:
            outcome = step.action(run)
        except ReleaseToolError as error:
            seconds = time.perf_counter() - started
            if not dry_run:
                journal.record(step.name, outcome="failed", detail=str(error), seconds=seconds)
            reports.append(
                StepReport(step.name, step.title, StepState.FAILED, str(error), seconds=seconds)
            )
            reports += [
                StepReport(later.name, later.title, StepState.BLOCKED, f"blocked by {step.name}")
                for later in steps[index + 1 :]
            ]
            for report in reports[len(reports) - (len(steps) - index) :]:
                display.finished(report)
            raise StepFailedError(step.name, error, reports) from error
        seconds = time.perf_counter() - started
        if outcome.change is Change.PLANNED:
            waiting_on = step.name
            report = StepReport(step.name, step.title, StepState.TODO, outcome.detail)
        else:
            changed = outcome.change is Change.APPLIED
            report = StepReport(
                step.name, step.title, StepState.DONE, outcome.detail, changed, round(seconds, 3)
            )
            if not dry_run:
                journal.record(
                    step.name,
                    outcome="applied" if changed else "unchanged",
                    detail=outcome.detail,
                    seconds=seconds,
                )
        reports.append(report)
        display.finished(report)
    return reports
