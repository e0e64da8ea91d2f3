"""GitHub releases (or GitHub Enterprise) through PyGithub.

What this module knows about GitHub so that the converging code does not have to:

* drafts are invisible to ``GET /releases/tags/{tag}``, so releases are found by listing;
  several drafts may carry one tag, so every call after listing names a release by its id;
* an asset name that is taken answers 422 ``already_exists`` (:class:`AssetExistsError`),
  as does a release for a tag that has a published one (:class:`ReleaseExistsError`);
* a tag once used by an immutable release is burnt: creating a release for it answers 422
  ``custom`` "tag_name was used by an immutable release" (:class:`TagBurntError`);
* an asset's ``digest`` may be null: its bytes are then downloaded and hashed;
* 5xx, 429, secondary rate limits (403 + ``Retry-After``) and dropped connections are
  transient: each call is retried with backoff, waiting as long as the server asks;
* writes on a published (immutable) release are refused: :class:`ReleaseImmutableError`.

PyGithub's own retrying is switched off (``retry=None``): it would replay an upload from an
already consumed file and cannot tell a transient failure from a refusal the way we need.
The token lives only in PyGithub's auth object and in the redactor that scrubs it from
every message this module builds.
"""

from __future__ import annotations

import hashlib
import http.client
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any, TypeVar

import requests
from github import Auth, Github, GithubException, RateLimitExceededException
from github.GitRelease import GitRelease
from github.GitReleaseAsset import GitReleaseAsset

from release.publish._protocol import (
    AssetView,
    Publisher,
    ReleaseSettings,
    ReleaseView,
    check_artifact,
    release_state,
)
from release.publish._retry import RetryPolicy, Transient, call_with_retries
from release.publish.errors import (
    AssetExistsError,
    MissingTokenError,
    PublishError,
    PublishInputError,
    ReleaseExistsError,
    ReleaseImmutableError,
    ReleaseNotFoundError,
    ReleaseStateError,
    RemoteAuthError,
    RemoteRefusedError,
    RemoteUnavailableError,
    TagBurntError,
)
from release.publish.pulls import PullRequest

T = TypeVar("T")

DEFAULT_API_URL = "https://api.github.com"
_SHA256_PREFIX = "sha256:"
_DOWNLOAD_CHUNK = 1 << 16


class GitHubPublisher(Publisher):
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
        self._github = Github(
            auth=Auth.Token(token),
            base_url=base_url,
            retry=None,
            timeout=timeout,
            per_page=per_page,
            seconds_between_requests=seconds_between_requests,
            seconds_between_writes=seconds_between_writes,
            lazy=True,
        )
        self._repository = self._github.get_repo(repo)
        #: Releases by id as last read: PyGithub needs the object to act on one.
        self._releases: dict[str, GitRelease] = {}

    def __repr__(self) -> str:
        return f"GitHubPublisher({self.repo!r}, base_url={self.base_url!r})"

    # -- the protocol ----------------------------------------------------------------------

    def preflight(self) -> str:
        """The API answers at ``base_url``, the token is valid, sees ``repo`` and may push.

        ``GET /repos/{repo}`` carries ``permissions`` for a user's token; the Actions token
        gets none, and then its write access shows only when it is used.
        """
        where = f"{self.repo} at {self.base_url}"
        # Two tries: a dead address must fail in seconds, before anything is written.
        policy = replace(self._retry, attempts=min(self._retry.attempts, 2))
        try:
            repository = call_with_retries(
                lambda: self._github.get_repo(self.repo).raw_data,  # lazy: raw_data fetches
                policy=policy,
                describe=f"reach the GitHub API at {self.base_url}",
                classify=_transient,
            )
            permissions = repository.get("permissions")
        except RemoteUnavailableError as error:
            raise RemoteUnavailableError(
                f"{error}: check [publish] api_url (now {self.base_url})"
            ) from None
        except GithubException as error:
            if error.status == 401:
                raise RemoteAuthError(
                    f"the GitHub API at {self.base_url} rejects the token (401 "
                    f"{_message(error)}): it is invalid or expired"
                ) from None
            if error.status == 404:
                raise RemoteAuthError(
                    f"repository {self.repo} is not visible at {self.base_url} with this "
                    "token (404): check [publish] repo and the token's repository access"
                ) from None
            raise self._refusal(f"read {where}", error, RemoteRefusedError) from None
        except (ValueError, AttributeError, TypeError) as error:  # not a GitHub API answer
            raise RemoteUnavailableError(
                f"{self.base_url} did not answer as a GitHub API ({type(error).__name__}): "
                "check [publish] api_url"
            ) from None
        if isinstance(permissions, dict):
            if not permissions.get("push"):
                raise RemoteAuthError(
                    f"the token can read {where} but has no push permission "
                    "(permissions.push is false): releases need write access"
                )
            return f"GitHub {where}: token valid, push allowed"
        return f"GitHub {where}: token valid (no permissions reported; checked when writing)"

    # -- pull requests (release.publish.pulls.PullRequests) --------------------------------

    def find_pull_request(self, *, head: str, base: str) -> PullRequest | None:
        owner = self.repo.split("/")[0]

        def read() -> PullRequest | None:
            pulls = self._repository.get_pulls(state="open", head=f"{owner}:{head}", base=base)
            for pull in pulls:
                return PullRequest(pull.number, pull.html_url, created=False)
            return None

        return self._call(f"list the pull requests of {head} into {base}", read)

    def ensure_pull_request(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        found = self.find_pull_request(head=head, base=base)
        if found is not None:
            pull = self._call(
                f"read pull request #{found.number}",
                lambda: self._repository.get_pull(found.number),
            )
            if (pull.title, pull.body or "") != (title, body):
                self._call(
                    f"update pull request #{found.number}",
                    lambda: pull.edit(title=title, body=body),
                )
            return found
        try:
            created = call_with_retries(
                lambda: self._repository.create_pull(base=base, head=head, title=title, body=body),
                policy=self._retry,
                describe=f"open a pull request of {head} into {base} (API at {self.base_url})",
                classify=_transient,
            )
        except GithubException as error:
            # A create whose answer was lost, retried: GitHub says one already exists.
            again = self.find_pull_request(head=head, base=base) if error.status == 422 else None
            if again is None:
                raise self._refusal(
                    f"open a pull request of {head} into {base}", error, RemoteRefusedError
                ) from None
            return again
        return PullRequest(created.number, created.html_url, created=True)

    def releases(self, tag: str) -> list[ReleaseView]:
        listed = self._call(
            f"list the releases of {self.repo}", lambda: list(self._repository.get_releases())
        )
        matches = sorted((r for r in listed if r.tag_name == tag), key=lambda r: r.id)
        for release in matches:
            self._releases[str(release.id)] = release
        latest = self._latest_tag() if any(not r.draft for r in matches) else None
        return [self._view(release, latest) for release in matches]

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
                if _burnt_tag(error):
                    raise self._burnt(tag, error) from None
                if _already_exists(error):
                    raise ReleaseExistsError(
                        f"GitHub already has a published release for {tag} in {self.repo}"
                    ) from None
                raise

        release = self._call(f"create the draft release {tag} in {self.repo}", create)
        self._releases[str(release.id)] = release
        return self._view(release, None)

    def list_assets(self, release_id: str) -> list[AssetView]:
        release = self._release(release_id)
        assets = self._call(
            f"list the assets of {release.tag_name}", lambda: list(release.get_assets())
        )
        return [_asset_view(asset) for asset in assets]

    def upload(self, release_id: str, path: Path) -> AssetView:
        name = check_artifact(path)
        release = self._release(release_id)
        tag = release.tag_name

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

    def download_sha256(self, release_id: str, name: str) -> tuple[str, int]:
        release = self._release(release_id)
        asset = self._asset(release, name)
        if asset is None:
            raise ReleaseNotFoundError(f"release {release.tag_name} has no asset named {name}")

        def fetch() -> tuple[str, int]:
            _, _, chunks = asset.download_asset(chunk_size=_DOWNLOAD_CHUNK)
            digest, size = hashlib.sha256(), 0
            for chunk in chunks:
                digest.update(chunk)
                size += len(chunk)
            return digest.hexdigest(), size

        return self._call(f"download {name} of {release.tag_name} to hash it", fetch)

    def delete_asset(self, release_id: str, name: str) -> None:
        release = self._release(release_id)
        asset = self._asset(release, name)
        if asset is not None:
            self._call(
                f"delete {name} from {release.tag_name}",
                lambda: _delete_if_present(asset.delete_asset),
                refused=_refusal_kind(release),
            )

    def delete_draft(self, release_id: str) -> None:
        release = self._release(release_id)
        current = self._call(
            f"read release {release_id} of {self.repo}",
            lambda: self._repository.get_release(release.id),
        )
        if not current.draft:  # never: deleting a published release burns its tag
            raise ReleaseStateError(
                f"release {current.tag_name} ({current.html_url}) is published: not deleting it"
            )
        self._call(
            f"delete the leftover draft {current.html_url}",
            lambda: _delete_if_present(current.delete_release),
        )
        self._releases.pop(release_id, None)

    def update(self, release_id: str, settings: ReleaseSettings) -> ReleaseView:
        release = self._release(release_id)

        def send() -> GitRelease:
            # PyGithub restates tag_name on every update: a draft made before its tag was
            # pushed is published on that tag, not renamed to GitHub's ``untagged-*``
            # placeholder (brightwave-inc/tidebreak#3409 saw that when the tag was omitted).
            try:
                return release.update_release(
                    name=settings.name,
                    message=settings.body,
                    draft=settings.draft,
                    prerelease=settings.prerelease,
                    make_latest=settings.make_latest,
                )
            except GithubException as error:
                # Publishing a draft of a burnt tag: GitHub accepts the draft, refuses this.
                if _burnt_tag(error):
                    raise self._burnt(release.tag_name, error) from None
                raise

        updated = self._call(
            f"set draft={settings.draft}, prerelease={settings.prerelease}, "
            f"make_latest={settings.make_latest} on {release.tag_name}",
            send,
        )
        self._releases[release_id] = updated
        return self._view(updated, self._latest_tag() if not updated.draft else None)

    # -- internals -------------------------------------------------------------------------

    def _release(self, release_id: str) -> GitRelease:
        release = self._releases.get(release_id)
        if release is None:
            raise ReleaseNotFoundError(f"release {release_id} of {self.repo} was never listed")
        return release

    def _asset(self, release: GitRelease, name: str) -> GitReleaseAsset | None:
        assets = self._call(
            f"list the assets of {release.tag_name}", lambda: list(release.get_assets())
        )
        return next((asset for asset in assets if asset.name == name), None)

    def _view(self, release: GitRelease, latest_tag: str | None) -> ReleaseView:
        state = release_state(draft=release.draft, prerelease=release.prerelease)
        return ReleaseView(
            tag=release.tag_name,
            id=str(release.id),
            state=state,
            latest=state == "release" and latest_tag == release.tag_name,
            name=release.name or "",
            body=release.body or "",
            url_or_path=release.html_url,
            assets=[_asset_view(asset) for asset in release.assets],
            target_commitish=release.target_commitish or "",
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
        describe = f"{describe} (API at {self.base_url})"
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

    def _burnt(self, tag: str, error: GithubException) -> TagBurntError:
        return TagBurntError(
            f"GitHub refuses a release for {tag} in {self.repo}: the tag was used by an "
            f"immutable release that was deleted, and can never be used again "
            f"({_message(error)}); release under a new version"
        )

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


def _burnt_tag(error: GithubException) -> bool:
    """GitHub's answer to a release for a tag an immutable release used (and was deleted)."""
    errors = error.data.get("errors") if isinstance(error.data, dict) else None
    return (
        error.status == 422
        and isinstance(errors, list)
        and any(
            isinstance(item, dict)
            and item.get("code") == "custom"
            and "immutable release" in str(item.get("message", ""))
            for item in errors
        )
    )


def _message(error: GithubException) -> str:
    data: Any = error.data
    if not isinstance(data, dict):
        return str(data or "").strip()[:200]
    details = [
        f"{item.get('resource', '?')}.{item.get('field', '?')} {item.get('code', '?')}"
        + (f": {item['message']}" if item.get("message") else "")
        for item in data.get("errors") or []
        if isinstance(item, dict)
    ]
    message = str(data.get("message", ""))
    return f"{message} ({'; '.join(details)})" if details else message


def _refusal_kind(release: GitRelease) -> type[PublishError]:
    """A refused asset change on a published release means it is frozen."""
    return RemoteRefusedError if release.draft else ReleaseImmutableError


def _delete_if_present(delete: Callable[[], object]) -> None:
    try:
        delete()
    except GithubException as error:
        if error.status != 404:  # already gone: an earlier attempt's answer was lost
            raise


def _asset_view(asset: GitReleaseAsset) -> AssetView:
    """A null digest (or one in another algorithm) leaves ``sha256`` None: hash by download."""
    digest = asset.digest or ""
    finished = asset.state == "uploaded"
    known = finished and digest.startswith(_SHA256_PREFIX)
    return AssetView(
        name=asset.name,
        sha256=digest.removeprefix(_SHA256_PREFIX).lower() if known else None,
        size=asset.size,
        uploaded=finished,
    )
