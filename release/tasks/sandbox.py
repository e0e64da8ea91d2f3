"""``inv sandbox``: create, reuse or rebuild the embedded sandbox (``.hotfix/``)."""

from __future__ import annotations

from pathlib import Path

from invoke import Context

from release.errors import ReleaseToolError
from release.tasks._cli import console, emit_json, reports_errors, task


@task(
    help={
        "reset": "delete the sandbox and build it again from scratch",
        "path": "directory to keep .hotfix/ in (default: the current directory)",
        "dry_run": "say what would be done, change nothing",
        "json": "print a JSON object",
    }
)
@reports_errors
def sandbox(
    c: Context, reset: bool = False, path: str = ".", dry_run: bool = False, json: bool = False
) -> None:
    """Create the embedded sandbox: a Mithril-shaped repository at 2543.0 to try the flow on."""
    from release.sandbox import prepare_sandbox, sandbox_status  # noqa: PLC0415

    base = Path(path)
    if not base.is_dir():
        raise ReleaseToolError(f"--path {path} is not a directory: create it, or pass another")
    if dry_run:
        status = sandbox_status(base)
        root, config = status.root, status.config
        action, reason = status.action(reset=reset), status.detail
    else:
        result = prepare_sandbox(base, reset=reset)
        root, config, action, reason = result.root, result.config, result.action, result.reason
    if json:
        emit_json(
            {
                "root": str(root),
                "config": str(config),
                "action": action.value,
                "reason": reason,
                "dry_run": dry_run,
            }
        )
        return
    headline = f"would {action.value}" if dry_run else action.past
    console().print(
        f"sandbox {headline}: {root}" + (f" ({reason})" if reason else ""), soft_wrap=True
    )
    console().print(f"config: {config}", soft_wrap=True)
