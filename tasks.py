"""Invoke entry point. The tasks live in ``release.tasks``; this file only exposes them."""

from release.tasks import namespace

ns = namespace
