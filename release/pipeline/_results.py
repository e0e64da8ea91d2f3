"""The JSON document every pipeline task prints last: what the release is, where it lives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from release.config import ReleaseConfig
from release.pipeline._engine import StepReport, StepState
from release.pipeline._target import HotfixTarget
from release.pipeline.plan import HotfixPlan
from release.publish import Publisher, ReleaseView


def release_json(view: ReleaseView | None, config: ReleaseConfig) -> dict[str, Any] | None:
    if view is None:
        return None
    where = "path" if config.publish.backend == "local" else "url"
    return {
        "state": view.state,
        "latest": view.latest,
        where: view.url_or_path,
        "assets": [
            {"name": asset.name, "sha256": asset.sha256, "size": asset.size}
            for asset in view.assets
        ],
    }


def store_location(config: ReleaseConfig) -> str:
    if config.publish.backend == "local":
        return str(config.publish.store)
    return f"{config.publish.api_url} {config.publish.repo}"


def _stopped_in_preflight(steps: list[StepReport]) -> bool:
    """A run refused in preflight may have failed on the store itself: do not ask it again."""
    return any(step.name == "preflight" and step.state is StepState.FAILED for step in steps)


def result_json(
    *,
    config: ReleaseConfig,
    target: HotfixTarget,
    publisher: Publisher,
    plan: HotfixPlan,
    notes: dict[str, Path],
    steps: list[StepReport],
    dry_run: bool,
    pull_requests: dict[str, str] | None = None,
    error: str | None = None,
) -> dict[str, Any]:
    """``tag``, ``branch``, ``versions``, ``plan``, ``release``, ``notes``, ``repo``, ``store``
    and the steps."""
    versions = plan.versions
    document: dict[str, Any] = {
        "tag": target.tag,
        "branch": target.branch,
        "base": target.base_tag,
        "versions": {name: after for name, (_, after) in versions.items()},
        "changed": {name: [b, a] for name, (b, a) in versions.items() if b != a},
        "plan": plan.as_json(),
        "release": None
        if _stopped_in_preflight(steps)
        else release_json(publisher.find(target.tag), config),
        "notes": {name: str(path) for name, path in notes.items()},
        "pull_requests": dict(pull_requests or {}),
        "repo": str(config.root),
        "store": store_location(config),
        "dry_run": dry_run,
        "complete": all(step.state is StepState.DONE for step in steps),
        "steps": [step.as_json() for step in steps],
    }
    if error is not None:
        document["error"] = error
    return document
