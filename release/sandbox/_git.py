"""git, run so that the same inputs always give the same commit and tag ids."""

from __future__ import annotations

import datetime
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from release.sandbox.errors import SandboxGitError


@dataclass(frozen=True)
class Identity:
    name: str
    email: str


class DeterministicGit:
    """git in one directory, with a fixed identity and clock, blind to the user's config.

    Commit ids hash the author, committer, dates and message: pinning them (and ignoring
    ``~/.gitconfig``, which could sign commits or rewrite line endings) makes the sandbox
    reproducible on any machine.
    """

    def __init__(self, cwd: Path, identity: Identity) -> None:
        self.cwd = cwd
        base = {key: value for key, value in os.environ.items() if not key.startswith("GIT_")}
        self._env = base | {
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_AUTHOR_NAME": identity.name,
            "GIT_AUTHOR_EMAIL": identity.email,
            "GIT_COMMITTER_NAME": identity.name,
            "GIT_COMMITTER_EMAIL": identity.email,
            "GIT_TERMINAL_PROMPT": "0",
            "LC_ALL": "C",
        }

    def __call__(self, *args: str, at: datetime.datetime | None = None) -> str:
        """Run ``git args...``; ``at`` is the author/committer/tagger date."""
        env = self._env
        if at is not None:
            stamp = f"@{int(at.timestamp())} +0000"
            env = env | {"GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp}
        try:
            completed = subprocess.run(
                ["git", *args],
                cwd=self.cwd,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
        except FileNotFoundError:
            raise SandboxGitError("git is not installed (the sandbox needs the git CLI)") from None
        if completed.returncode != 0:
            raise SandboxGitError(
                f"git {' '.join(args)} failed in {self.cwd} (exit {completed.returncode}):"
                f" {completed.stderr.strip()}"
            )
        return completed.stdout.strip()
