"""Errors of the regression suite."""

from __future__ import annotations

from release.errors import ReleaseToolError


class RegressionError(ReleaseToolError):
    """The root of this package's errors."""


class ShardError(RegressionError):
    """A ``--shard`` value that is not ``K/N`` with 1 <= K <= N."""


class ReportError(RegressionError):
    """A report directory that cannot be read, written or merged."""


class ExpectationsError(RegressionError):
    """An expectations file that is malformed or names unknown profiles or scenarios."""


class GateError(RegressionError):
    """Executables the gate cannot run at all (missing, not executable, not this machine's
    target)."""
