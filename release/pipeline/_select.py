"""Which configuration a run uses: ``--config``, ``./release.toml``, or the embedded sandbox."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from release.config import ReleaseConfig, load_config
from release.errors import ReleaseToolError
from release.sandbox import SandboxState, prepare_sandbox, sandbox_status

CONFIG_FILE = "release.toml"


@dataclass(frozen=True)
class Selection:
    config: ReleaseConfig
    sandbox: bool
    #: What was done to get here, for the person running the tool ("" when nothing).
    note: str = ""


@contextlib.contextmanager
def select_config(
    path: str | None, *, cwd: Path, dry_run: bool, create: bool = True
) -> Iterator[Selection]:
    """The configuration to run with; with none, the sandbox in ``cwd`` (created if needed).

    A dry run creates nothing in ``cwd``: without a sandbox there, it plans on a throwaway
    copy, so the plan shown is the one a real run would follow. With ``create`` False (a
    task that needs a hotfix first, such as promote) a missing sandbox is an error.
    """
    if path:
        yield Selection(load_config(Path(path), cwd=cwd), sandbox=False)
        return
    if (cwd / CONFIG_FILE).is_file():
        yield Selection(load_config(cwd / CONFIG_FILE), sandbox=False)
        return
    status = sandbox_status(cwd)
    if status.state is SandboxState.INTACT:
        yield Selection(load_config(status.config), sandbox=True)
        return
    if not create and status.state is SandboxState.ABSENT:
        raise ReleaseToolError(
            f"no {CONFIG_FILE} and no sandbox in {cwd}: run `inv hotfix` first (it creates the "
            "sandbox and ships its hotfix), or pass --config"
        )
    if not dry_run:
        result = prepare_sandbox(cwd)
        note = f"sandbox {result.action.past}: {result.root}" + (
            f" ({result.reason})" if result.reason else ""
        )
        yield Selection(load_config(result.config), sandbox=True, note=note)
        return
    with tempfile.TemporaryDirectory(prefix="hotfix-plan-") as scratch:
        result = prepare_sandbox(Path(scratch))
        yield Selection(
            load_config(result.config),
            sandbox=True,
            note=f"no sandbox in {cwd} yet: planning on a throwaway copy (nothing is created)",
        )
