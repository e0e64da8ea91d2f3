"""The release as converging steps: ``hotfix`` (to a published pre-release) and ``promote``.

Data flows one way: configuration -> target and plan -> steps -> artifacts and notes. Each
step reads git, the file system and the release store, decides, acts, and records; run
again, it finds its work done and does nothing.
"""

from release.pipeline._engine import SilentDisplay, StepFailedError, StepReport, StepState
from release.pipeline._target import HotfixTarget, resolve_target
from release.pipeline.hotfix import (
    GateFailedError,
    HotfixOptions,
    HotfixResult,
    HotfixRun,
    NothingToReleaseError,
    prepare,
    run_hotfix,
)

__all__ = [
    "GateFailedError",
    "HotfixOptions",
    "HotfixResult",
    "HotfixRun",
    "HotfixTarget",
    "NothingToReleaseError",
    "SilentDisplay",
    "StepFailedError",
    "StepReport",
    "StepState",
    "prepare",
    "resolve_target",
    "run_hotfix",
]
