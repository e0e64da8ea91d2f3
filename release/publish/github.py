"""GitHub releases (or GitHub Enterprise) through PyGithub.

What this module knows about GitHub so that the converging code does not have to:

* drafts are invisible to ``GET /releases/tags/{tag}``, so a release is found by listing;
* an asset name that is taken answers 422 ``already_exists`` (:class:`AssetExistsError`),
  as does a second release for a tag (:class:`ReleaseExistsError`);
* 5xx, 429, secondary rate limits (403 + ``Retry-After``) and dropped connections are
  transient: each call is retried with backoff, waiting as long as the server asks;
* writes on a published (immutable) release are refused: :class:`ReleaseImmutableError`.

PyGithub's own retrying is switched off (``retry=None``): it would replay an upload from an
already consumed file and cannot tell a transient failure from a refusal the way we need.
The token lives only in PyGithub's auth object and in the redactor that scrubs it from
every message this module builds.
"""

from __future__ import annotations

import http.client
import logging
import time
from collections.abc import Callable, Mapping
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, RateLimitExceededException
from github.GitRelease import GitRelease
from github.GitReleaseAsset import GitReleaseAsset

from release.publish._protocol import (
    AssetView,
    ReleaseSettings,
    ReleaseView,
    check_artifact,
    release_state,
)
from release.publish._retry import RetryPolicy, Transient, call_with_retries
from release.publish.errors import (
    AssetExistsError,
    DuplicateReleaseError,
    MissingTokenError,
    PublishError,
    PublishInputError,
    ReleaseExistsError,
    ReleaseImmutableError,
    ReleaseNotFoundError,
    RemoteAuthError,
    RemoteRefusedError,
)

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
_SHA256_PREFIX = "sha256:"


class GitHubPublisher:
    """A :class:`~release.publish.Publisher` for one repository's releases."""

    def __init__(
        self,
        repo: str,
        token: str,
        *,
        base_url: str = DEFAULT_API_URL,
        seconds_between_writes: float = 1.0,
        seconds_between_requests: float = 0.25,
        retry: RetryPolicy | None = None,
        timeout: int = 30,
        per_page: int = 100,
    ) -> None:
        if not token:
            raise MissingTokenError(f"no GitHub token given for {repo}")
        owner, _, name = repo.partition("/")
        if not owner or not name or "/" in name:
            raise PublishInputError(f"GitHub repository {repo!r} must be written 'owner/name'")
        self.repo = repo
        self.base_url = base_url
        self._secret = token
        self._retry = retry or RetryPolicy()
        _redact_in_pygithub_log(token)
        github = Github(
            auth=Auth.Token(token),
            base_url=base_url,
            retry=None,
            timeout=timeout,
            per_page=per_page,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
            lazy=True,
        )
        self._repository = github.get_repo(repo)
        self._releases: dict[str, GitRelease] = {}

    def __repr__(self) -> str:
        return f"GitHubPublisher({self.repo!r}, base_url={self.base_url!r})"

    # -- the protocol ----------------------------------------------------------------------

    def find(self, tag: str) -> ReleaseView | None:
        releases = self._call(
            f"list the releases of {self.repo}", lambda: list(self._repository.get_releases())
        )
        matches = [release for release in releases if release.tag_name == tag]
        if len(matches) > 1:
            pages = ", ".join(release.html_url for release in matches)
            raise DuplicateReleaseError(
                f"{len(matches)} releases of {self.repo} carry the tag {tag} ({pages}); "
                "delete all but one on GitHub, then run again"
            )
        if not matches:
            self._releases.pop(tag, None)
            return None
        self._releases[tag] = matches[0]
        return self._view(matches[0])

    def create_draft(self, *, tag: str, name: str, body: str, target_commitish: str) -> ReleaseView:
        def create() -> GitRelease:
            try:
                return self._repository.create_git_release(
                    tag,
                    name=name,
                    message=body,
                    draft=True,
                    prerelease=True,
                    target_commitish=target_commitish,
                    make_latest="false",
                )
            except GithubException as error:
                if _already_exists(error):
                    raise ReleaseExistsError(
                        f"GitHub already has a release for {tag} in {self.repo}"
                    ) from None
                raise

        release = self._call(f"create the draft release {tag} in {self.repo}", create)
        self._releases[tag] = release
        return self._view(release)

    def list_assets(self, tag: str) -> list[AssetView]:
        release = self._release(tag)
        assets = self._call(f"list the assets of {tag}", lambda: list(release.get_assets()))
        return [_asset_view(asset) for asset in assets]

    def upload(self, tag: str, path: Path) -> AssetView:
        name = check_artifact(path)
        release = self._release(tag)

        def send() -> GitReleaseAsset:
            try:
                return release.upload_asset(
                    str(path), name=name, content_type="application/octet-stream"
                )
            except GithubException as error:
                if _already_exists(error):
                    raise AssetExistsError(
                        f"release {tag} already has an asset named {name}"
                    ) from None
                raise

        asset = self._call(f"upload {name} to {tag}", send, refused=_refusal_kind(release))
        return _asset_view(asset)

    def delete_asset(self, tag: str, name: str) -> None:
        release = self._release(tag)
        assets = self._call(f"list the assets of {tag}", lambda: list(release.get_assets()))
        asset = next((asset for asset in assets if asset.name == name), None)
        if asset is not None:
            self._call(
                f"delete {name} from {tag}",
                lambda: _delete_if_present(asset),
                refused=_refusal_kind(release),
            )

    def update(self, tag: str, settings: ReleaseSettings) -> ReleaseView:
        release = self._release(tag)
        updated = self._call(
            f"set draft={settings.draft}, prerelease={settings.prerelease}, "
            f"make_latest={settings.make_latest} on {tag}",
            lambda: release.update_release(
                name=settings.name,
                message=settings.body,
                draft=settings.draft,
                prerelease=settings.prerelease,
                make_latest=settings.make_latest,
            ),
        )
        self._releases[tag] = updated
        return self._view(updated)

    # -- internals -------------------------------------------------------------------------

    def _release(self, tag: str) -> GitRelease:
        if tag not in self._releases and self.find(tag) is None:
            raise ReleaseNotFoundError(f"no release for {tag} in {self.repo}")
        return self._releases[tag]

    def _view(self, release: GitRelease) -> ReleaseView:
        state = release_state(draft=release.draft, prerelease=release.prerelease)
        return ReleaseView(
            tag=release.tag_name,
            state=state,
            latest=state == "release" and self._latest_tag() == release.tag_name,
            name=release.name or "",
            body=release.body or "",
            url_or_path=release.html_url,
            assets=[_asset_view(asset) for asset in release.assets],
        )

    def _latest_tag(self) -> str | None:
        def read() -> str | None:
            try:
                return self._repository.get_latest_release().tag_name
            except GithubException as error:
                if error.status == 404:
                    return None
                raise

        return self._call(f"read the latest release of {self.repo}", read)

    def _call(
        self,
        describe: str,
        operation: Callable[[], T],
        *,
        refused: type[PublishError] = RemoteRefusedError,
    ) -> T:
        """Run one API operation with retries; turn a final refusal into a PublishError."""
        try:
            return call_with_retries(
                operation, policy=self._retry, describe=describe, classify=_transient
            )
        except GithubException as error:
            raise self._refusal(describe, error, refused) from None

    def _refusal(
        self, describe: str, error: GithubException, kind: type[PublishError]
    ) -> PublishError:
        text = self._redact(f"GitHub refused to {describe}: {error.status} {_message(error)}")
        if error.status == 401:
            return RemoteAuthError(f"{text} (check the token and its access to {self.repo})")
        if error.status == 404:
            return RemoteRefusedError(
                f"{text} (the repository does not exist or the token cannot see it)"
            )
        return kind(text)

    def _redact(self, text: str) -> str:
        return text.replace(self._secret, "***")


class _RedactingFilter(logging.Filter):
    """Scrubs the token from log records (PyGithub's debug log prints response bodies)."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if self.secret in message:
            record.msg, record.args = message.replace(self.secret, "***"), None
        return True


def _redact_in_pygithub_log(token: str) -> None:
    logger = logging.getLogger("github.Requester")
    if not any(getattr(known, "secret", None) == token for known in logger.filters):
        logger.addFilter(_RedactingFilter(token))


def _transient(error: Exception) -> Transient | None:
    """Which failures are worth retrying: server errors, rate limits, broken connections."""
    if isinstance(error, GithubException):
        headers = {key.lower(): value for key, value in (error.headers or {}).items()}
        if error.status == 429 or isinstance(error, RateLimitExceededException):
            return Transient(
                f"rate limited ({error.status})", _requested_wait(headers), rate_limited=True
            )
        if error.status >= 500:
            return Transient(f"server error {error.status}", _retry_after(headers))
        return None
    if isinstance(
        error,
        requests.ConnectionError
        | requests.Timeout
        | requests.exceptions.ChunkedEncodingError
        | ConnectionError
        | http.client.HTTPException,
    ):
        return Transient(f"connection failed ({type(error).__name__})")
    return None


def _requested_wait(headers: Mapping[str, str]) -> float | None:
    """Seconds a rate-limited client must wait: Retry-After, else until the reset, else None."""
    retry_after = _retry_after(headers)
    if retry_after is not None:
        return retry_after
    if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
        return max(0.0, float(headers["x-ratelimit-reset"]) - time.time())
    return None


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("retry-after")
    if value is None:
        return None
    if value.strip().isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None


def _already_exists(error: GithubException) -> bool:
    errors = error.data.get("errors") if isinstance(error.data, dict) else None
    return (
        error.status == 422
        and isinstance(errors, list)
        and any(isinstance(item, dict) and item.get("code") == "already_exists" for item in errors)
    )


def _message(error: GithubException) -> str:
    data: Any = error.data
    if not isinstance(data, dict):
        return str(data or "").strip()[:200]
    details = [
        f"{item.get('resource', '?')}.{item.get('field', '?')} {item.get('code', '?')}"
        for item in data.get("errors") or []
        if isinstance(item, dict)
    ]
    message = str(data.get("message", ""))
    return f"{message} ({'; '.join(details)})" if details else message


def _refusal_kind(release: GitRelease) -> type[PublishError]:
    """A refused asset change on a published release means it is frozen."""
    return RemoteRefusedError if release.draft else ReleaseImmutableError


def _delete_if_present(asset: GitReleaseAsset) -> None:
    try:
        asset.delete_asset()
    except GithubException as error:
        if error.status != 404:  # already gone: an earlier attempt's answer was lost
            raise


def _asset_view(asset: GitReleaseAsset) -> AssetView:
    digest = asset.digest or ""
    finished = asset.state == "uploaded" and digest.startswith(_SHA256_PREFIX)
    return AssetView(
        name=asset.name,
        sha256=digest.removeprefix(_SHA256_PREFIX).lower() if finished else None,
        size=asset.size,
    )
