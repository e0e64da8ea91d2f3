"""Errors raised while gathering note inputs or rendering notes."""

from __future__ import annotations

from release.errors import ReleaseToolError


class NotesError(ReleaseToolError):
    """Base of every failure of the notes package."""


class NetworksFileError(NotesError):
    """``networks.json`` is unreadable or not shaped as Mithril writes it."""


class RegressionReportError(NotesError):
    """``report.json`` is unreadable or lacks what a note needs from it."""


class BlogPostFormatError(NotesError):
    """A dev blog post lacks the structure the update relies on (front matter, heading)."""


class TemplateError(NotesError):
    """A template (packaged or overridden by the repository) is missing or fails to render."""
