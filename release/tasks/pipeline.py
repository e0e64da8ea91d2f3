"""The release itself: ``inv hotfix``, ``inv promote``, the partial steps and ``inv status``."""

from __future__ import annotations

import datetime
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Collection, Context, Task
from invoke.exceptions import Exit

from release.errors import ReleaseToolError
from release.tasks._cli import EXIT_ERROR, console, emit_json, reports_errors, task

if TYPE_CHECKING:
    from release.config import ReleaseConfig
    from release.pipeline import StepReport
    from release.pipeline._engine import Display
    from release.pipeline._journal import Journal
    from release.pipeline._select import Selection
    from release.pipeline.hotfix import HotfixRun
    from release.pipeline.promote import PromoteRun

_COMMON_HELP = {
    "config": "release.toml to use (default: ./release.toml, else the embedded sandbox)",
    "date": "release date YYYY-MM-DD for the CHANGELOG and commit times (default: today, UTC)",
    "dry_run": "read everything, write nothing: show the plan and the state of each step",
    "yes": "do not ask for confirmation (CI); the sandbox never asks",
    "json": "print one JSON object last on stdout (progress stays on stderr)",
}
_HOTFIX_HELP = {
    **_COMMON_HELP,
    "base": "release tag to fix (default: the unfinished hotfix, else the last release)",
    "fix": "commit, A..B range or branch (its own commits) to bring in (repeatable; "
    "default: [hotfix] fixes)",
    "no_bump": "component to keep at its version whatever changed in it (repeatable)",
    "summary": "what the hotfix fixes, one sentence: release body, notes, CHANGELOG "
    "(default: [hotfix] summary, else the fix commits' subjects)",
    "target": "only these targets (repeatable; a CI build matrix); default: every target",
    "tag": "release this hotfix tag (default: the unfinished hotfix, else the next); a new "
    "number skips one that cannot be used",
}


def _date(text: str) -> datetime.date | None:
    if not text:
        return None
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ReleaseToolError(f"--date {text!r} is not a date such as 2025-11-07") from None


def _confirm(selection: Selection, question: str, *, yes: bool, dry_run: bool) -> None:
    """Real repositories and stores ask first; the sandbox and dry runs never do."""
    if yes or dry_run or selection.sandbox:
        return
    if not sys.stdin.isatty():
        raise ReleaseToolError(f"{question}: pass --yes to run without a terminal")
    answer = console().input(f"{question} [y/N] ")
    if answer.strip().lower() not in ("y", "yes"):
        raise ReleaseToolError("stopped: nothing was changed")


def _show_plan(run: HotfixRun, selection: Selection) -> None:
    from release.pipeline._results import store_location  # noqa: PLC0415
    from release.pipeline.plan import plan_lines  # noqa: PLC0415

    config, plan = run.config, run.plan
    where = "the embedded sandbox" if selection.sandbox else str(config.source)
    changes = ", ".join(
        f"{name} {before} -> {after}" for name, (before, after) in plan.changed.items()
    )
    lines = [
        ("config", where),
        ("repository", str(config.root)),
        ("base", run.target.base_tag),
        ("branch", run.target.branch),
        *plan_lines(plan),
        ("versions", changes or "(no component changed yet)"),
        ("publish", f"{config.publish.backend}: {store_location(config)}"),
    ]
    if selection.note:
        console().print(selection.note, soft_wrap=True)
    console().print(
        f"[bold]{config.name} {run.target.tag}[/bold]" + (" (dry run)" if run.dry_run else "")
    )
    for label, value in lines:
        console().print(f"  {label:<11} {value}", soft_wrap=True, highlight=False, markup=False)


def _hotfix_task(
    *,
    config: str,
    base: str,
    fix: list[str],
    no_bump: list[str],
    summary: str,
    date: str,
    dry_run: bool,
    yes: bool,
    json: bool,
    until: str | None,
    question: str,
    targets: list[str] | None = None,
    tag: str = "",
) -> None:
    from release.pipeline import HotfixOptions, prepare, run_hotfix  # noqa: PLC0415
    from release.pipeline._select import select_config  # noqa: PLC0415

    if base and tag:
        raise ReleaseToolError("--base and --tag both choose the hotfix: pass one of them")
    options = HotfixOptions(
        tag=tag or None,
        base=base or None,
        fixes=tuple(fix),
        no_bump=tuple(no_bump),
        summary=summary or None,
        date=_date(date),
        dry_run=dry_run,
    )
    with select_config(config or None, cwd=Path.cwd(), dry_run=dry_run) as selection:
        release_config = _only_targets(selection.config, targets)
        run = prepare(release_config, options)
        _show_plan(run, selection)
        _confirm(selection, f"{question} {run.target.tag}", yes=yes, dry_run=dry_run)
        _execute(
            lambda display: run_hotfix(run, display=display, until=until).steps,
            run=run,
            notes=run.documents,
            json=json,
        )


def _only_targets(config: ReleaseConfig, targets: list[str] | None) -> ReleaseConfig:
    if not targets:
        return config
    unknown = sorted(set(targets) - set(config.targets))
    if unknown:
        raise ReleaseToolError(
            f"--target {', '.join(unknown)}: not in [distribution] targets "
            f"({', '.join(config.targets)})"
        )
    return replace(config, targets=tuple(t for t in config.targets if t in targets))


def _execute(
    steps: Callable[[Display], list[StepReport]],
    *,
    run: HotfixRun | PromoteRun,
    notes: Callable[[], dict[str, Path]],
    json: bool,
) -> None:
    from release.pipeline import StepFailedError  # noqa: PLC0415
    from release.pipeline._results import result_json  # noqa: PLC0415
    from release.tasks._progress import ConsoleDisplay  # noqa: PLC0415

    display: Display = ConsoleDisplay(console())
    try:
        reports = steps(display)
    except StepFailedError as failure:
        if json:
            emit_json(
                result_json(
                    config=run.config,
                    target=run.target,
                    publisher=run.publisher,
                    plan=run.plan,
                    notes=notes(),
                    pull_requests=_pull_requests(run),
                    steps=failure.reports,
                    dry_run=run.dry_run,
                    error=str(failure),
                )
            )
        raise Exit(f"error: {failure}", code=EXIT_ERROR) from None
    document = result_json(
        config=run.config,
        target=run.target,
        publisher=run.publisher,
        plan=run.plan,
        notes=notes(),
        pull_requests=_pull_requests(run),
        steps=reports,
        dry_run=run.dry_run,
    )
    _summarise(document)
    if json:
        emit_json(document)


def _pull_requests(run: HotfixRun | PromoteRun) -> dict[str, str]:
    from release.pipeline.promote import PromoteRun  # noqa: PLC0415

    return run.pull_requests if isinstance(run, PromoteRun) else {}


def _summarise(document: dict[str, object]) -> None:
    release = document["release"]
    if isinstance(release, dict):
        where = release.get("path") or release.get("url")
        assets = release["assets"]
        console().print(
            f"release {document['tag']}: {release['state']}, {len(assets)} assets, {where}",
            soft_wrap=True,
        )
    for branch, url in dict(document["pull_requests"]).items():  # type: ignore[call-overload]
        console().print(f"  pull request ({branch}): {url}", soft_wrap=True, highlight=False)
    notes = document["notes"]
    if isinstance(notes, dict):
        for name, path in notes.items():
            console().print(f"  {name}: {path}", soft_wrap=True, highlight=False)
    if not document["complete"]:
        console().print(
            "[yellow]steps left to do: run again without --dry-run[/yellow]"
            if document["dry_run"]
            else "[yellow]some steps are not done[/yellow]"
        )


def _hotfix_slice(name: str, until: str | None, question: str, doc: str) -> Task:
    """A task running the hotfix steps up to ``until``; all of them share one signature."""

    def run(
        c: Context,
        base: str = "",
        fix: list[str] | None = None,
        no_bump: list[str] | None = None,
        summary: str = "",
        target: list[str] | None = None,
        tag: str = "",
        config: str = "",
        date: str = "",
        dry_run: bool = False,
        yes: bool = False,
        json: bool = False,
    ) -> None:
        _hotfix_task(
            config=config,
            base=base,
            tag=tag,
            fix=fix or [],
            no_bump=no_bump or [],
            summary=summary,
            targets=target or [],
            date=date,
            dry_run=dry_run,
            yes=yes,
            json=json,
            until=until,
            question=question,
        )

    run.__doc__ = doc
    run.__name__ = name
    return task(name=name, help=_HOTFIX_HELP, iterable=["fix", "no_bump", "target"])(
        reports_errors(run)
    )


hotfix_task = _hotfix_slice(
    "hotfix",
    None,
    "ship the hotfix",
    "Ship a hotfix: branch, fixes, bumps, build, gate, signatures, tag, pre-release, notes.",
)
build = _hotfix_slice(
    "build",
    "build",
    "build",
    "Prepare the hotfix up to its build: branch, fixes, version bumps, CHANGELOG, archives.",
)
sign = _hotfix_slice(
    "sign",
    "sign",
    "build and sign",
    "Build, pass the regression gate, then write CHECKSUM and the signatures.",
)
tag = _hotfix_slice(
    "tag",
    "push",
    "tag and push",
    "Everything up to the annotated tag, pushed with the hotfix branch (gate first).",
)
prerelease = _hotfix_slice(
    "prerelease",
    None,
    "publish the pre-release of",
    "Publish the hotfix as a pre-release (every earlier step converges first), then notes.",
)


def _promote_task(
    tag_name: str,
    *,
    config: str,
    date: str,
    dry_run: bool,
    yes: bool,
    json: bool,
    until: str | None,
) -> None:
    from release.pipeline._select import select_config  # noqa: PLC0415
    from release.pipeline.promote import PromoteOptions, prepare_promote, run_promote  # noqa: PLC0415

    options = PromoteOptions(tag=tag_name, date=_date(date), dry_run=dry_run)
    with select_config(config or None, cwd=Path.cwd(), dry_run=dry_run, create=False) as selection:
        run = prepare_promote(selection.config, options)
        if selection.note:
            console().print(selection.note, soft_wrap=True)
        _confirm(selection, f"promote {tag_name} to the latest release", yes=yes, dry_run=dry_run)
        _execute(
            lambda display: run_promote(run, display=display, until=until).steps,
            run=run,
            notes=run.documents,
            json=json,
        )


_PROMOTE_HELP = {**_COMMON_HELP, "tag": "the hotfix tag whose pre-release to promote"}


def _promote_slice(name: str, until: str | None, doc: str) -> Task:
    """A task running the promotion steps up to ``until`` for the tag it is given."""

    def run(
        c: Context,
        tag: str,
        config: str = "",
        date: str = "",
        dry_run: bool = False,
        yes: bool = False,
        json: bool = False,
    ) -> None:
        _promote_task(
            tag, config=config, date=date, dry_run=dry_run, yes=yes, json=json, until=until
        )

    run.__doc__ = doc
    run.__name__ = name
    return task(name=name, help=_PROMOTE_HELP)(reports_errors(run))


promote = _promote_slice(
    "promote",
    None,
    "Promote a tested pre-release: latest release, dev blog post, hotfix merged into main.",
)
release = _promote_slice(
    "release",
    "release",
    "Turn the pre-release into the latest release (only that: no blog post, no merge).",
)


@task(
    help={
        "tag": "hotfix tag (default: the unfinished hotfix, else the latest, else the next)",
        "config": _COMMON_HELP["config"],
        "json": "print a JSON object",
    }
)
@reports_errors
def status(c: Context, tag: str = "", config: str = "", json: bool = False) -> None:
    """What is done and what is left: the hotfix steps, then the promotion steps."""
    from rich.console import Console  # noqa: PLC0415

    from release.pipeline import HotfixOptions, SilentDisplay, prepare, run_hotfix  # noqa: PLC0415
    from release.pipeline._run import lock_holder  # noqa: PLC0415
    from release.pipeline._select import select_config  # noqa: PLC0415
    from release.pipeline._target import latest_hotfix_tag  # noqa: PLC0415
    from release.pipeline.plan import plan_lines  # noqa: PLC0415
    from release.pipeline.promote import PromoteOptions, prepare_promote, run_promote  # noqa: PLC0415
    from release.tasks._progress import steps_table  # noqa: PLC0415

    with select_config(config or None, cwd=Path.cwd(), dry_run=True) as selection:
        run = prepare(selection.config, HotfixOptions(dry_run=True, tag=tag or None))
        latest = latest_hotfix_tag(run.repo)
        if not tag and not run.tagged and latest is not None:
            # Nothing unfinished: show the last hotfix (done) rather than the next one.
            run = prepare(selection.config, HotfixOptions(dry_run=True, tag=latest))
        quiet = SilentDisplay()
        running = lock_holder(run.config.workdir)
        tables = {
            "hotfix": _as_recorded(
                _dry_steps(lambda: run_hotfix(run, display=quiet).steps), run.journal, running
            )
        }
        if run.tagged:
            promotion = prepare_promote(
                selection.config, PromoteOptions(run.target.tag, dry_run=True)
            )
            tables["promote"] = _as_recorded(
                _dry_steps(lambda: run_promote(promotion, display=quiet).steps),
                promotion.journal,
                running,
            )
    if json:
        emit_json(
            {
                "tag": run.target.tag,
                "running": running,
                "plan": run.plan.as_json(),
                **{k: [r.as_json() for r in v] for k, v in tables.items()},
            }
        )
        return
    report = Console(highlight=False)  # the table is this task's output: stdout
    if running:
        report.print(f"a run is in progress ({running}): what is not done may be under way")
    report.print(f"{run.config.name} {run.target.tag} from {run.target.base_tag}")
    for label, value in plan_lines(run.plan):
        report.print(f"  {label:<11} {value}", soft_wrap=True, markup=False)
    for name, reports in tables.items():
        report.print(steps_table(reports, f"{name} {run.target.tag}"))


def _as_recorded(
    reports: list[StepReport], journal: Journal, running: str | None
) -> list[StepReport]:
    """Status as a person reads it: a check that would pass (preflight) is not done until a
    run recorded it, and a step not done while another run holds the lock is under way."""
    return [_as_seen(report, journal, running) for report in reports]


def _as_seen(report: StepReport, journal: Journal, running: str | None) -> StepReport:
    from release.pipeline._engine import StepState  # noqa: PLC0415

    if (
        report.state is StepState.DONE
        and report.name == "preflight"
        and not journal.get("preflight")
    ):
        report = replace(report, state=StepState.TODO, detail=f"not run yet: {report.detail}")
    if running and report.state is StepState.TODO:
        return replace(report, state=StepState.RUNNING, detail=f"{running}: {report.detail}")
    return report


def _dry_steps(steps: Callable[[], list[StepReport]]) -> list[StepReport]:
    from release.pipeline import StepFailedError  # noqa: PLC0415

    try:
        return steps()
    except StepFailedError as failure:
        return failure.reports


publish = Collection("publish", prerelease, release)
