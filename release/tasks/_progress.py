"""Step progress on the terminal: a spinner while a step runs, one line when it ends."""

from __future__ import annotations

from rich.console import Console
from rich.status import Status
from rich.table import Table

from release.pipeline import StepReport, StepState

_MARKS = {
    StepState.DONE: "[green]✓[/green]",
    StepState.TODO: "[yellow]·[/yellow]",
    StepState.BLOCKED: "[dim]-[/dim]",
    StepState.FAILED: "[red]✗[/red]",
    StepState.RUNNING: "[cyan]…[/cyan]",
}


class ConsoleDisplay:
    def __init__(self, console: Console) -> None:
        self.console = console
        self._status: Status | None = None

    def started(self, step: object) -> None:
        title = getattr(step, "title", str(step))
        self._status = self.console.status(f"{title}…")
        self._status.start()

    def finished(self, report: StepReport) -> None:
        if self._status is not None:
            self._status.stop()
            self._status = None
        timing = f" [dim]({report.seconds:.1f} s)[/dim]" if report.seconds else ""
        self.console.print(
            f"{_MARKS[report.state]} {report.name:<15} {report.detail}{timing}",
            soft_wrap=True,
            highlight=False,
        )


def steps_table(reports: list[StepReport], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("step", "state", "detail"):
        table.add_column(column, overflow="fold")
    for report in reports:
        table.add_row(report.name, f"{_MARKS[report.state]} {report.state.value}", report.detail)
    return table
