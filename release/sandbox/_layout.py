"""Where the sandbox lives, whether it is usable, and creating it in one piece.

A sandbox is used only once complete: creation writes a marker as its very last act, so a
run killed half-way leaves a directory without it, which the next run rebuilds (nothing in
it was ever used). A complete sandbox that lost parts, or that an older layout made, may hold
a user's releases, branches and key: it is reported, and only ``--reset`` rebuilds it.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from release.distribution.signing import generate_minisign_key
from release.sandbox import _content as content
from release.sandbox._git import DeterministicGit
from release.sandbox._history import IDENTITY, TAGS, build_repository
from release.sandbox.errors import SandboxError, SandboxGitError

SANDBOX_DIR = ".hotfix"
CONFIG_FILE = "release.toml"
REPOSITORY_DIR = "mithril"
ORIGIN_DIR = "origin.git"
STORE_DIR = "store"
WORK_DIR = "work"
MINISIGN_KEY = "keys/minisign.key"
MINISIGN_PUBLIC_KEY = "keys/minisign.pub"
#: Written last; its content is the layout version, so a changed layout is rebuilt too.
MARKER = ".sandbox-complete"
#: 2: the 2543 blog post on main after the tag, main's own UNRELEASED CHANGELOG section,
#: ``-pre`` tags, a fix branch of three commits, ``ignore`` globs in release.toml.
LAYOUT_VERSION = "2"
RESET_COMMAND = "inv sandbox --reset"


class SandboxState(StrEnum):
    ABSENT = "absent"
    INTACT = "intact"
    #: Creation did not finish (killed or failed): the marker is missing.
    INCOMPLETE = "incomplete"
    #: Complete once, but parts are missing now, or it was made by another layout version.
    DAMAGED = "damaged"


class SandboxAction(StrEnum):
    CREATE = "create"
    REUSE = "reuse"
    REBUILD = "rebuild"

    @property
    def past(self) -> str:
        return {"create": "created", "reuse": "reused", "rebuild": "rebuilt"}[self.value]


@dataclass(frozen=True)
class SandboxStatus:
    root: Path
    state: SandboxState
    #: Why it is not intact (empty when it is).
    detail: str = ""

    @property
    def config(self) -> Path:
        return self.root / CONFIG_FILE

    def action(self, *, reset: bool) -> SandboxAction:
        """What :func:`prepare_sandbox` does in this state."""
        if self.state is SandboxState.ABSENT:
            return SandboxAction.CREATE
        if self.state is SandboxState.INTACT and not reset:
            return SandboxAction.REUSE
        if self.state is SandboxState.DAMAGED and not reset:
            raise SandboxError(
                f"the sandbox {self.root} is not usable: {self.detail}; `{RESET_COMMAND}` "
                "rebuilds it from scratch (its releases, branches and signing key are lost)"
            )
        return SandboxAction.REBUILD


@dataclass(frozen=True)
class SandboxResult:
    #: The sandbox's ``release.toml``.
    config: Path
    root: Path
    action: SandboxAction
    #: Why it was rebuilt ("--reset" or what was wrong), empty otherwise.
    reason: str = ""


def sandbox_status(base: Path) -> SandboxStatus:
    """Inspect ``base/.hotfix`` without changing anything (paths come back absolute: the
    repository's ``origin`` remote is recorded as one)."""
    root = base.absolute() / SANDBOX_DIR
    if not root.exists():
        return SandboxStatus(root, SandboxState.ABSENT)
    if not root.is_dir():
        raise SandboxError(f"{root} exists and is not a directory: move it away first")
    marker = root / MARKER
    if not marker.is_file():
        return SandboxStatus(root, SandboxState.INCOMPLETE, "its creation did not finish")
    if marker.read_text(encoding="utf-8").strip() != LAYOUT_VERSION:
        return SandboxStatus(
            root, SandboxState.DAMAGED, "it was made by another version of the tool (older layout)"
        )
    missing = [
        name
        for name in (
            CONFIG_FILE,
            f"{REPOSITORY_DIR}/.git",
            f"{ORIGIN_DIR}/HEAD",
            STORE_DIR,
            WORK_DIR,
            MINISIGN_KEY,
            MINISIGN_PUBLIC_KEY,
        )
        if not (root / name).exists()
    ]
    if missing:
        return SandboxStatus(root, SandboxState.DAMAGED, f"missing: {', '.join(missing)}")
    git = DeterministicGit(root / REPOSITORY_DIR, IDENTITY)
    for tag in TAGS:
        try:
            git("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}")
        except SandboxGitError:
            return SandboxStatus(root, SandboxState.DAMAGED, f"tag {tag} is missing")
    return SandboxStatus(root, SandboxState.INTACT)


def prepare_sandbox(base: Path, *, reset: bool = False) -> SandboxResult:
    """Reuse the intact sandbox under ``base``, or (re)build it from nothing."""
    status = sandbox_status(base)
    action = status.action(reset=reset)
    if action is SandboxAction.REUSE:
        return SandboxResult(status.config, status.root, action)
    if action is SandboxAction.REBUILD:
        shutil.rmtree(status.root)
    _create(status.root)
    reason = status.detail or ("--reset" if action is SandboxAction.REBUILD else "")
    return SandboxResult(status.config, status.root, action, reason)


def ensure_sandbox(base: Path, *, reset: bool = False) -> Path:
    """The path of the sandbox's ``release.toml``, creating or rebuilding it when needed."""
    return prepare_sandbox(base, reset=reset).config


def _create(root: Path) -> None:
    root.mkdir(parents=True)
    build_repository(root / REPOSITORY_DIR, root / ORIGIN_DIR)
    (root / STORE_DIR).mkdir()
    (root / WORK_DIR).mkdir()
    _generate_signing_key(root / MINISIGN_KEY, root / MINISIGN_PUBLIC_KEY)
    (root / CONFIG_FILE).write_text(
        content.release_toml(
            repository=REPOSITORY_DIR,
            workdir=WORK_DIR,
            store=STORE_DIR,
            minisign_key=MINISIGN_KEY,
        ),
        encoding="utf-8",
    )
    (root / MARKER).write_text(LAYOUT_VERSION + "\n", encoding="utf-8")


def _generate_signing_key(secret: Path, public: Path) -> None:
    """An unencrypted minisign key pair: the sandbox signs its artifacts with no prompt."""
    generate_minisign_key(secret, public)
