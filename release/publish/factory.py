"""The publisher a ``[publish]`` configuration section asks for."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from release.config import PublishSettings
from release.publish._protocol import Publisher
from release.publish.errors import MissingTokenError, PublishInputError
from release.publish.local import LocalStore


def open_publisher(
    settings: PublishSettings, *, root: Path, environ: Mapping[str, str] = os.environ
) -> Publisher:
    """A :class:`LocalStore` under ``root`` or a GitHub publisher with the token from ``environ``.

    Only the variable's name is ever in configuration; its value goes straight to PyGithub.
    """
    if settings.backend == "local":
        store = settings.store if settings.store.is_absolute() else root / settings.store
        return LocalStore(store)
    if settings.backend == "github":
        if not settings.repo:
            raise PublishInputError("[publish] backend 'github' needs repo = 'owner/name'")
        token = environ.get(settings.token_env, "")
        if not token:
            raise MissingTokenError(
                f"environment variable {settings.token_env} (publish.token_env) is unset or "
                f"empty; it must hold a GitHub token with write access to {settings.repo}"
            )
        from release.publish.github import GitHubPublisher  # noqa: PLC0415 - PyGithub is heavy

        return GitHubPublisher(
            settings.repo,
            token,
            base_url=settings.api_url,
            seconds_between_writes=settings.seconds_between_writes,
            seconds_between_requests=settings.seconds_between_requests,
        )
    raise PublishInputError(
        f"[publish] backend must be 'local' or 'github', not {settings.backend!r}"
    )
