"""What a step did, shared by the distribution steps and the pipeline that runs them."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Change(enum.Enum):
    UNCHANGED = "unchanged"
    APPLIED = "applied"
    PLANNED = "planned"


@dataclass(frozen=True)
class StepOutcome:
    """What a step did (or would do, in a dry run), in words fit for a status table."""

    change: Change
    detail: str

    @property
    def changed(self) -> bool:
        return self.change is not Change.UNCHANGED


def unchanged(detail: str) -> StepOutcome:
    return StepOutcome(Change.UNCHANGED, detail)


def acted(dry_run: bool, detail: str) -> StepOutcome:
    """Done (or, in a dry run, to do)."""
    return StepOutcome(Change.PLANNED if dry_run else Change.APPLIED, detail)
