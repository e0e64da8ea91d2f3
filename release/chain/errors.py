"""Errors of the time model and of network definitions."""

from __future__ import annotations

from release.errors import ReleaseToolError


class ChainError(ReleaseToolError):
    """A time-model failure (the root of this package's errors)."""


class NetworkConfigError(ChainError):
    """A custom networks file is missing, malformed, or has a bad parameter."""


class UnknownNetworkError(ChainError):
    """A network name that is neither built in nor defined in a networks file."""


class TimeRangeError(ChainError):
    """A time, slot, epoch or period outside what the model covers (before the Shelley era)."""


class TimeFormatError(ChainError):
    """A time given on the command line that is not an ISO 8601 instant with a timezone."""
