"""What every pipeline run shares: configuration, repository, store, paths, date, journal."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypeVar

import git

from release.config import ReleaseConfig
from release.distribution._git import describe_git_failure
from release.errors import ReleaseToolError

#: The SPO notes a hotfix writes, by name.
from release.notes.spo import NOTE_FILES
from release.outcome import StepOutcome
from release.pipeline._engine import Display, Step, StepReport, run_steps
from release.pipeline._journal import Journal


class ConcurrentRunError(ReleaseToolError):
    """Another run holds the workdir lock."""


@dataclass(frozen=True)
class RunPaths:
    """Where one tag's files go: ``<workdir>/<tag>/{dist,stage,regression}``."""

    workdir: Path
    tag: str

    @property
    def root(self) -> Path:
        return self.workdir / self.tag

    @property
    def dist(self) -> Path:
        return self.root / "dist"

    @property
    def stage(self) -> Path:
        return self.root / "stage"

    @property
    def regression(self) -> Path:
        return self.root / "regression"

    @property
    def notes(self) -> Path:
        """The SPO notes ship as release assets: beside the archives, covered by CHECKSUM."""
        return self.dist

    @property
    def journal(self) -> Path:
        return self.root / "journal.json"

    def notes_written(self) -> dict[str, Path]:
        """The SPO notes already on disk, by name."""
        return {
            name: self.notes / file
            for name, file in NOTE_FILES.items()
            if (self.notes / file).is_file()
        }


def open_journal(paths: RunPaths, *, dry_run: bool) -> Journal:
    return Journal.open(paths.journal, writable=not dry_run)


@contextlib.contextmanager
def exclusive(workdir: Path, *, dry_run: bool) -> Iterator[None]:
    """One mutating run at a time per workdir; dry runs only read and take no lock."""
    if dry_run:
        yield
        return
    workdir.mkdir(parents=True, exist_ok=True)
    with open(workdir / ".lock", "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ConcurrentRunError(
                f"{holder} is already running a release step in {workdir}; wait for it to finish"
            ) from None
        handle.truncate(0)
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_holder(workdir: Path) -> str | None:
    """Who holds the workdir lock now ("pid N"), None when no run does; takes no lock."""
    lock = workdir / ".lock"
    if not lock.is_file():
        return None
    with open(lock, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            return handle.read().strip() or "another process"
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None


@contextlib.contextmanager
def dated_commits(repo: git.Repo, date: datetime.date, *, after: int) -> Iterator[None]:
    """Commits and tags made inside carry one time: the release date, or just ``after``.

    ``after`` is the newest commit time the release builds on (base and fixes), so the time
    depends on the release alone, not on how far an interrupted run got: two runs of the
    same release on the same day make the same commits, hence the same commit ids, hence
    byte-identical archives (their timestamps come from the commit).
    """
    midnight = int(datetime.datetime.combine(date, datetime.time(), datetime.UTC).timestamp())
    moment = max(midnight, after + 1)
    stamp = f"@{moment} +0000"
    with repo.git.custom_environment(GIT_AUTHOR_DATE=stamp, GIT_COMMITTER_DATE=stamp):
        yield


class GitCommandFailedError(ReleaseToolError):
    """A git command failed in a way no step anticipated (e.g. a file in the way)."""


def _git_failures_reported(action: Callable[[R], StepOutcome]) -> Callable[[R], StepOutcome]:
    """The step, with an unexpected git failure turned into an error the run reports."""

    def guarded(run: R) -> StepOutcome:
        try:
            return action(run)
        except git.GitCommandError as failure:
            raise GitCommandFailedError(describe_git_failure(failure)) from None

    return guarded


class PipelineRun(Protocol):
    """What running steps needs from a hotfix or a promotion run."""

    config: ReleaseConfig
    repo: git.Repo
    date: datetime.date
    dry_run: bool
    journal: Journal


R = TypeVar("R", bound=PipelineRun)


def run_until(
    steps: Sequence[Step[R]], run: R, *, until: str | None, after: int, display: Display
) -> list[StepReport]:
    """Run ``steps`` (up to and including ``until``) under the workdir lock, with dated commits."""
    names = [step.name for step in steps]
    chosen = [
        Step(step.name, step.title, _git_failures_reported(step.action))
        for step in (steps if until is None else steps[: names.index(until) + 1])
    ]
    with (
        exclusive(run.config.workdir, dry_run=run.dry_run),
        dated_commits(run.repo, run.date, after=after),
    ):
        return run_steps(chosen, run, dry_run=run.dry_run, journal=run.journal, display=display)
