"""The embedded sandbox: with no ``release.toml``, the hotfix flow runs on ``.hotfix/``, a
Mithril-shaped repository at distribution 2543.0 with a bare origin, a local release store
and a signing key, so that a new user sees the whole flow with no set-up.
"""

from release.sandbox._layout import (
    CONFIG_FILE,
    SANDBOX_DIR,
    SandboxAction,
    SandboxResult,
    SandboxState,
    SandboxStatus,
    ensure_sandbox,
    prepare_sandbox,
    sandbox_status,
)
from release.sandbox.errors import SandboxError, SandboxGitError

__all__ = [
    "CONFIG_FILE",
    "SANDBOX_DIR",
    "SandboxAction",
    "SandboxError",
    "SandboxGitError",
    "SandboxResult",
    "SandboxState",
    "SandboxStatus",
    "ensure_sandbox",
    "prepare_sandbox",
    "sandbox_status",
]
