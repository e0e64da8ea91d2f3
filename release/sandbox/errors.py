"""Errors of the embedded sandbox."""

from __future__ import annotations

from release.errors import ReleaseToolError


class SandboxError(ReleaseToolError):
    """The sandbox cannot be created or used."""


class SandboxGitError(SandboxError):
    """A git command building the sandbox failed."""
