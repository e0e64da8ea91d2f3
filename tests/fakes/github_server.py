"""A GitHub-compatible release API on 127.0.0.1, for the real PyGithub client.

It implements the endpoint subset a release tool needs, with the behaviours that bite
(sources in the tests that rely on each):

* ``GET /releases/tags/{tag}`` answers 404 for a draft; only listing shows drafts;
* several **drafts** may carry one tag; only a published release conflicts: creating or
  publishing another release for its tag answers 422 ``already_exists``;
* a duplicate asset name answers 422 ``already_exists``;
* immutable releases: once published, assets cannot be added or removed, the release
  cannot return to draft, and (optionally) the pre-release flag cannot be flipped;
  deleting one **burns** its tag: a later release for it answers 422 ``custom``
  "tag_name was used by an immutable release" when it is created published or when a
  draft of it is published; whether GitHub refuses the *draft* too is not documented
  (``burnt_drafts``, see :data:`BURNT_DRAFTS`);
* uploads go to ``/api/uploads/...`` on the same host and port (``upload_url``), every
  absolute URL is under ``/api/``; lists are paginated with ``page``/``per_page`` (bad
  values fall back to the defaults, more than 100 is cut to 100) and full ``Link``
  headers (``first``, ``prev``, ``next``, ``last``);
* assets carry ``digest: "sha256:<hex>"`` computed from the bytes received, or ``null``
  with ``null_digests=True`` (the schema allows it); ``GET`` of an asset with
  ``Accept: application/octet-stream`` redirects (302) to its bytes;
* every answer carries ``X-RateLimit-*`` headers and ``GET /rate_limit`` reports them;
* ``GET /repos/{repo}`` reports ``permissions`` (``permissions=None``: as for the Actions
  token, none).

Every JSON body it sends is checked against GitHub's published OpenAPI description
(:mod:`fakes.openapi`); leaving the ``with`` block raises if any answer broke it.

State lives in the server object, so a restarted client (a new process) sees it. Every
request is logged and write requests (POST, PATCH, DELETE, uploads) are counted. Faults
are injected with :meth:`FakeGitHub.inject`: canned error answers, a 502 that leaves an
unfinished asset (GitHub's upload docs call it a "starter", as quoted in getsentry/craft#313;
the ``release-asset`` schema's only other state than ``uploaded`` is ``open``, used here),
dropped connections, and SIGKILL of a client process at a chosen request (before
processing, after processing, or halfway through an upload body).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import signal
import socket
import subprocess
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, quote, unquote, urlencode, urlsplit

DOCS = "https://docs.github.com/rest"
#: GitHub's answer to a release for a tag an immutable release used (and was deleted).
BURNT_TAG_MESSAGE = "tag_name was used by an immutable release"
#: What creating a *draft* for a burnt tag does. GitHub's docs say only that the name cannot
#: be reused ("If you delete the immutable release, you can delete the tag, but you cannot
#: reuse the same tag name", Immutable releases, as quoted in tenstorrent/tt-system-firmware
#: #1396); they are silent on drafts. Two projects saw the draft created and the 422 come
#: when it was published (cameronrye/openzim-mcp#217; microsoft/hve-core#550 and #552, where
#: ``gh release edit --draft=false`` got it), hence "accepted" by default; "refused" models
#: a GitHub that checks at creation, so the tool is tested both ways.
BURNT_DRAFTS = ("accepted", "refused")
RATE_LIMIT = 5000
UNFINISHED = "open"

FaultAction = Literal[
    "respond",  # answer with the fault's status/body/headers instead of processing
    "starter_then_502",  # read the upload, leave an unfinished asset, answer 502
    "drop_before",  # close the socket after the headers, before processing
    "drop_after",  # process the request, then close the socket without answering
    "drop_mid_body",  # read half the body (an upload leaves it unfinished), close the socket
    "kill_before",  # SIGKILL the client before processing
    "kill_after",  # process the request, SIGKILL the client, never answer
    "kill_mid_body",  # read half the body (an upload leaves it unfinished), SIGKILL it
]

SECONDARY_RATE_LIMIT = (
    "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
)


@dataclass
class Fault:
    """Fire ``action`` on the ``nth`` matching request, ``times`` times in a row."""

    action: FaultAction
    #: "GET", "POST", "PATCH", "DELETE", "UPLOAD", or "WRITE" for any non-GET request.
    kind: str = "WRITE"
    nth: int = 1
    times: int = 1
    path_contains: str = ""
    status: int = 500
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    seen: int = 0
    fired: int = 0

    def matches(self, kind: str, path: str) -> bool:
        kind_ok = self.kind == kind or (self.kind == "WRITE" and kind != "GET")
        return kind_ok and self.path_contains in path

    def should_fire(self) -> bool:
        self.seen += 1
        if self.seen >= self.nth and self.fired < self.times:
            self.fired += 1
            return True
        return False


@dataclass(frozen=True)
class Request:
    """One request as the server saw it; ``outcome`` is a status or what the fault did."""

    kind: str
    path: str
    outcome: str
    json: Any = None
    query: str = ""


#: What ``GET /repos/{repo}`` reports for a token with write access.
PUSH = {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True}


class FakeGitHub:
    """The server and its state; use as a context manager (binds port 0 on 127.0.0.1)."""

    def __init__(
        self,
        *,
        token: str,
        repo: str = "acme/widgets",
        immutable_releases: bool = True,
        allow_prerelease_flip: bool = True,
        null_digests: bool = False,
        permissions: dict[str, bool] | None = PUSH,
        validate: bool = True,
        git_origin: Path | None = None,
        burnt_drafts: str = "accepted",
    ) -> None:
        if burnt_drafts not in BURNT_DRAFTS:
            raise ValueError(f"burnt_drafts must be one of {BURNT_DRAFTS}, not {burnt_drafts!r}")
        self.burnt_drafts = burnt_drafts
        self.token = token
        self.repo = repo
        self.immutable_releases = immutable_releases
        self.allow_prerelease_flip = allow_prerelease_flip
        self.null_digests = null_digests
        self.permissions = permissions
        self.releases: dict[int, dict[str, Any]] = {}
        #: Pull requests by number; a head branch must exist in ``git_origin`` (the bare
        #: repository the tool pushes to), as GitHub refuses a pull request of no branch.
        self.pulls: dict[int, dict[str, Any]] = {}
        self.git_origin = git_origin
        self.assets: dict[int, dict[str, Any]] = {}
        self.burnt_tags: set[str] = set()
        self.latest_id: int | None = None
        self.requests: list[Request] = []
        self.faults: list[Fault] = []
        self.answers_checked = 0
        self.operations_checked: set[str] = set()
        self.violations: list[Any] = []
        self.rate_used = 0
        self.rate_reset = int(datetime.now(UTC).timestamp()) + 3600
        if validate:
            from fakes.openapi import github_schema  # noqa: PLC0415 - a 10 MB document

            self.schema: Any = github_schema()
        else:
            self.schema = None
        self._next_id = 1
        self._lock = threading.RLock()
        self._client_pid: int | None = None
        self._client_known = threading.Event()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._httpd.daemon_threads = True
        self._httpd.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    # -- lifecycle and addresses -----------------------------------------------------------

    def __enter__(self) -> FakeGitHub:
        self._thread.start()
        return self

    def __exit__(self, exc_type: object, *exc_info: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if exc_type is None and self.violations:
            listed = "\n  ".join(map(str, self.violations[:20]))
            raise AssertionError(
                f"{len(self.violations)} violations of GitHub's OpenAPI description "
                f"{self.schema.version} in the answers:\n  {listed}"
            )

    def check_answer(self, method: str, path: str, status: int, body: Any) -> None:
        """Validate one JSON answer against the operation it implements (lock held)."""
        if self.schema is None:
            return
        self.answers_checked += 1
        found = self.schema.operation(method, path)
        if found is not None:
            self.operations_checked.add(found[1]["operationId"])
        self.violations.extend(self.schema.check(method, path, status, body))

    @property
    def origin(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def base_url(self) -> str:
        return f"{self.origin}/api/v3"

    @property
    def repo_url(self) -> str:
        return f"{self.base_url}/repos/{self.repo}"

    # -- test controls ---------------------------------------------------------------------

    def inject(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def set_client_pid(self, pid: int) -> None:
        """Name the process a ``kill_*`` fault kills (set right after spawning it)."""
        self._client_pid = pid
        self._client_known.set()

    @property
    def writes(self) -> int:
        return sum(1 for request in self.requests if request.kind != "GET")

    def snapshot(self) -> list[dict[str, Any]]:
        """The visible state without ids and times: equal for equivalent histories."""
        with self._lock:
            return sorted(
                (
                    {
                        "tag": release["tag_name"],
                        "name": release["name"],
                        "body": release["body"],
                        "draft": release["draft"],
                        "prerelease": release["prerelease"],
                        "latest": release["id"] == self.latest_id,
                        "assets": sorted(
                            (asset["name"], asset["state"], asset["digest"], asset["size"])
                            for asset in self._assets_of(release["id"])
                        ),
                    }
                    for release in self.releases.values()
                ),
                key=lambda release: (release["tag"], release["draft"]),
            )

    def add_release(
        self,
        tag: str,
        *,
        draft: bool = False,
        prerelease: bool = False,
        body: str = "",
        target_commitish: str = "main",
    ) -> int:
        """Seed a release directly (other history in the repository, an earlier run's draft)."""
        with self._lock:
            release = self._new_release(
                {
                    "tag_name": tag,
                    "name": tag,
                    "body": body,
                    "draft": draft,
                    "prerelease": prerelease,
                    "target_commitish": target_commitish,
                }
            )
            return release["id"]

    def delete_release(self, release_id: int) -> None:
        """Delete a release as a person would on the web page (burns an immutable one's tag)."""
        with self._lock:
            self._remove_release(self.releases[release_id])

    def guard_pushes(self, origin: Path) -> None:
        """Make the bare repository ``origin`` refuse pushes of burnt tags, as GitHub does.

        Pushing a tag an immutable release used (and whose ref was deleted) is refused by
        GitHub's rules with GH013 "Cannot create ref due to creations being restricted"
        (opsknight-labs/OpsKnight#318; ZAAI-com/git-same 3.0.1; the same pre-receive
        refusal is the first error of github-community-projects/ospo-reusable-workflows#83).
        """
        self.git_origin = origin
        hook = origin / "hooks" / "pre-receive"
        hook.write_text(_PRE_RECEIVE.format(burnt=_BURNT_FILE, repo=self.repo))
        hook.chmod(0o755)
        self._write_burnt_file()

    def _write_burnt_file(self) -> None:
        if self.git_origin is not None:
            names = "".join(f"refs/tags/{tag}\n" for tag in sorted(self.burnt_tags))
            (self.git_origin / _BURNT_FILE).write_text(names)

    def add_asset(self, release_id: int, name: str, data: bytes, *, state: str = "uploaded") -> int:
        """Seed an asset directly (e.g. one left by another tool or an unfinished upload)."""
        with self._lock:
            return self._new_asset(release_id, name, data, state)["id"]

    # -- state helpers (called with the lock held) -----------------------------------------

    def _take_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _now(self) -> str:
        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    def _new_release(self, payload: dict[str, Any]) -> dict[str, Any]:
        release_id = self._take_id()
        tag = payload["tag_name"]
        draft = bool(payload.get("draft", False))
        release = {
            "id": release_id,
            "node_id": f"RE_kwDOAAAB{release_id:08d}",
            "tag_name": tag,
            "target_commitish": payload.get("target_commitish", "main"),
            "name": payload.get("name") or tag,
            "body": payload.get("body") or "",
            "draft": draft,
            "prerelease": bool(payload.get("prerelease", False)),
            "immutable": self.immutable_releases and not draft,
            "created_at": self._now(),
            "published_at": None if draft else self._now(),
            "updated_at": self._now(),
        }
        self.releases[release_id] = release
        self._apply_make_latest(release, payload.get("make_latest", "true"))
        return release

    def _new_asset(self, release_id: int, name: str, data: bytes, state: str) -> dict[str, Any]:
        asset_id = self._take_id()
        finished = state == "uploaded"
        asset = {
            "id": asset_id,
            "node_id": f"RA_kwDOAAAB{asset_id:08d}",
            "release_id": release_id,
            "name": name,
            "label": "",
            "state": state,
            "content_type": "application/octet-stream",
            "size": len(data) if finished else 0,
            "digest": f"sha256:{hashlib.sha256(data).hexdigest()}" if finished else None,
            "download_count": 0,
            "created_at": self._now(),
            "updated_at": self._now(),
            "data": data if finished else b"",
        }
        self.assets[asset_id] = asset
        return asset

    def _assets_of(self, release_id: int) -> list[dict[str, Any]]:
        return [asset for asset in self.assets.values() if asset["release_id"] == release_id]

    def _apply_make_latest(self, release: dict[str, Any], make_latest: str) -> None:
        full = not release["draft"] and not release["prerelease"]
        if make_latest == "true" and full:
            self.latest_id = release["id"]
        elif make_latest == "legacy" and full:
            newest = max(
                (r for r in self.releases.values() if not r["draft"] and not r["prerelease"]),
                key=lambda r: r["id"],
            )
            self.latest_id = newest["id"]
        if self.latest_id == release["id"] and not full:
            self.latest_id = None

    def user_json(self, login: str = "release-bot", user_id: int = 1) -> dict[str, Any]:
        """A ``simple-user`` with every field GitHub's schema requires."""
        user = f"{self.base_url}/users/{login}"
        return {
            "login": login,
            "id": user_id,
            "node_id": f"U_kgDOAAAA{user_id:04d}",
            "avatar_url": f"{self.origin}/api/avatars/{login}",
            "gravatar_id": "",
            "url": user,
            "html_url": f"{self.origin}/{login}",
            "followers_url": f"{user}/followers",
            "following_url": f"{user}/following{{/other_user}}",
            "gists_url": f"{user}/gists{{/gist_id}}",
            "starred_url": f"{user}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{user}/subscriptions",
            "organizations_url": f"{user}/orgs",
            "repos_url": f"{user}/repos",
            "events_url": f"{user}/events{{/privacy}}",
            "received_events_url": f"{user}/received_events",
            "type": "Bot" if login.endswith("-bot") else "Organization",
            "site_admin": False,
        }

    def release_json(self, release: dict[str, Any]) -> dict[str, Any]:
        base = f"{self.repo_url}/releases/{release['id']}"
        tag = quote(release["tag_name"], safe="")
        return {
            **{key: value for key, value in release.items() if key != "updated_at"},
            "url": base,
            "assets_url": f"{base}/assets",
            "upload_url": (
                f"{self.origin}/api/uploads/repos/{self.repo}/releases/{release['id']}"
                "/assets{?name,label}"
            ),
            "html_url": f"{self.origin}/{self.repo}/releases/tag/{tag}",
            "tarball_url": f"{self.repo_url}/tarball/{tag}",
            "zipball_url": f"{self.repo_url}/zipball/{tag}",
            "author": self.user_json(),
            "assets": [self.asset_json(asset) for asset in self._assets_of(release["id"])],
        }

    def asset_json(self, asset: dict[str, Any]) -> dict[str, Any]:
        release = self.releases[asset["release_id"]]
        hidden = ("release_id", "data")
        return {
            **{key: value for key, value in asset.items() if key not in hidden},
            "digest": None if self.null_digests else asset["digest"],
            "url": f"{self.repo_url}/releases/assets/{asset['id']}",
            "browser_download_url": self.download_url(release, asset),
            "uploader": self.user_json(),
        }

    def asset_json_all(self, release_id: int) -> list[dict[str, Any]]:
        """The assets of a release as the API shows them."""
        with self._lock:
            return [self.asset_json(asset) for asset in self._assets_of(release_id)]

    def download_url(self, release: dict[str, Any], asset: dict[str, Any]) -> str:
        tag = quote(release["tag_name"], safe="")
        return f"{self.origin}/api/downloads/{self.repo}/releases/download/{tag}/{asset['name']}"

    def pull_json(self, pull: dict[str, Any], schema: str = "pull-request") -> dict[str, Any]:
        """A ``pull-request`` (or ``pull-request-simple``): what is known laid over the
        smallest instance the description allows (it requires 42 fields, with full
        repositories inside)."""
        from fakes.openapi import example  # noqa: PLC0415 - the 10 MB description

        url = f"{self.repo_url}/pulls/{pull['number']}"
        repo = self._repository_json()

        def side(ref: str) -> dict[str, Any]:
            owner = self.repo.split("/")[0]
            return {"label": f"{owner}:{ref}", "ref": ref, "sha": "0" * 40, "repo": repo,
                    "user": self.user_json(owner, 2)}  # fmt: skip

        known = {
            "id": pull["number"] + 1000,
            "node_id": f"PR_kwDOAAAA{pull['number']:04d}",
            "number": pull["number"],
            "url": url,
            "html_url": f"{self.origin}/{self.repo}/pull/{pull['number']}",
            "state": pull["state"],
            "title": pull["title"],
            "body": pull["body"],
            "head": side(pull["head"]),
            "base": side(pull["base"]),
            "user": self.user_json(),
            "created_at": pull["created_at"],
            "updated_at": pull["created_at"],
        }
        return example({"$ref": f"#/components/schemas/{schema}"}, known)

    def _repository_json(self) -> dict[str, Any]:
        """The repository as a pull request's head and base carry it."""
        from fakes.openapi import example  # noqa: PLC0415

        return example({"$ref": "#/components/schemas/repository"}, self.repo_json())

    def repo_json(self) -> dict[str, Any]:
        """A ``full-repository``: the schema requires about 80 fields."""
        fake = self
        owner, name = fake.repo.split("/")
        url = fake.repo_url
        templated = {
            "archive_url": "{archive_format}{/ref}",
            "assignees_url": "{/user}",
            "blobs_url": "{/sha}",
            "branches_url": "{/branch}",
            "collaborators_url": "{/collaborator}",
            "comments_url": "{/number}",
            "commits_url": "{/sha}",
            "compare_url": "{base}...{head}",
            "contents_url": "{+path}",
            "git_commits_url": "{/sha}",
            "git_refs_url": "{/sha}",
            "git_tags_url": "{/sha}",
            "issue_comment_url": "{/number}",
            "issue_events_url": "{/number}",
            "issues_url": "{/number}",
            "keys_url": "{/key_id}",
            "labels_url": "{/name}",
            "milestones_url": "{/number}",
            "notifications_url": "{?since,all,participating}",
            "pulls_url": "{/number}",
            "releases_url": "{/id}",
            "statuses_url": "/{sha}",
            "trees_url": "{/sha}",
        }
        plain = [
            "contributors_url",
            "deployments_url",
            "downloads_url",
            "events_url",
            "forks_url",
            "hooks_url",
            "languages_url",
            "merges_url",
            "stargazers_url",
            "subscribers_url",
            "subscription_url",
            "tags_url",
            "teams_url",
        ]
        links = {
            key: f"{url}/{key.removesuffix('_url')}{suffix}" for key, suffix in templated.items()
        }
        links |= {key: f"{url}/{key.removesuffix('_url')}" for key in plain}
        now = fake._now()
        repository: dict[str, Any] = {
            **links,
            "id": 1,
            "node_id": "R_kgDOAAAAAQ",
            "name": name,
            "full_name": fake.repo,
            "owner": fake.user_json(owner, 2),
            "private": False,
            "html_url": f"{fake.origin}/{fake.repo}",
            "description": None,
            "fork": False,
            "url": url,
            "git_url": f"git://127.0.0.1/{fake.repo}.git",
            "ssh_url": f"git@127.0.0.1:{fake.repo}.git",
            "clone_url": f"{fake.origin}/{fake.repo}.git",
            "svn_url": f"{fake.origin}/{fake.repo}",
            "mirror_url": None,
            "homepage": None,
            "language": "Rust",
            "license": None,
            "default_branch": "main",
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "open_issues": 0,
            "open_issues_count": 0,
            "size": 1,
            "network_count": 0,
            "subscribers_count": 0,
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "pushed_at": now,
            "created_at": now,
            "updated_at": now,
        }
        if fake.permissions is not None:
            repository["permissions"] = dict(fake.permissions)
        return repository

    def rate_headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(RATE_LIMIT),
            "X-RateLimit-Remaining": str(max(0, RATE_LIMIT - self.rate_used)),
            "X-RateLimit-Reset": str(self.rate_reset),
            "X-RateLimit-Used": str(self.rate_used),
            "X-RateLimit-Resource": "core",
        }

    def _remove_release(self, release: dict[str, Any]) -> None:
        for asset in self._assets_of(release["id"]):
            del self.assets[asset["id"]]
        del self.releases[release["id"]]
        if release["immutable"]:
            self.burnt_tags.add(release["tag_name"])
            self._write_burnt_file()
        if self.latest_id == release["id"]:
            self.latest_id = None

    def _kill_client(self) -> None:
        if not self._client_known.wait(timeout=30):
            raise RuntimeError("a kill fault fired but no client pid was given")
        assert self._client_pid is not None
        os.kill(self._client_pid, signal.SIGKILL)


class _ReplyError(Exception):
    """Raised by route handlers to answer with an error status."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def _not_found() -> _ReplyError:
    return _ReplyError(404, {"message": "Not Found", "documentation_url": DOCS, "status": "404"})


def _validation_failed(*errors: dict[str, str]) -> _ReplyError:
    """GitHub's 422: ``message``, ``documentation_url`` and ``errors[]`` with a ``code``."""
    return _ReplyError(
        422,
        {
            "message": "Validation Failed",
            "errors": list(errors),
            "documentation_url": f"{DOCS}/releases/releases",
            "status": "422",
        },
    )


def _already_exists(resource: str, field_name: str) -> _ReplyError:
    return _validation_failed({"resource": resource, "code": "already_exists", "field": field_name})


def _burnt(tag: str) -> _ReplyError:
    # GitHub's wording for a tag an immutable release used; the code is ``custom``.
    return _validation_failed(
        {"resource": "Release", "code": "custom", "field": "tag_name", "message": BURNT_TAG_MESSAGE}
    )


def _immutable(what: str) -> _ReplyError:
    return _validation_failed(
        {
            "resource": "Release",
            "code": "custom",
            "message": f"Cannot {what}: the release is immutable.",
        }
    )


def _positive(query: dict[str, list[str]], name: str, default: int) -> int:
    """A pagination parameter; what is not a positive integer falls back to the default."""
    text = query.get(name, [""])[0]
    return int(text) if text.isdigit() and int(text) > 0 else default


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    #: Headers and body go out in two writes; with Nagle on, the second waits for a
    #: delayed ACK (40 ms a request).
    disable_nagle_algorithm = True
    server: ThreadingHTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Silence the default stderr access log."""

    @property
    def fake(self) -> FakeGitHub:
        return self.server.fake  # type: ignore[attr-defined]

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_PATCH(self) -> None:
        self._serve("PATCH")

    def do_DELETE(self) -> None:
        self._serve("DELETE")

    # -- request plumbing ------------------------------------------------------------------

    def _serve(self, method: str) -> None:
        fake = self.fake
        parts = urlsplit(self.path)
        path, query = unquote(parts.path), parse_qs(parts.query)
        self._method, self._query = method, parts.query
        kind = "UPLOAD" if path.startswith("/api/uploads/") else method
        length = int(self.headers.get("Content-Length") or 0)
        with fake._lock:
            fault = next(
                (f for f in fake.faults if f.matches(kind, path) and f.should_fire()), None
            )
            try:
                if fault is not None and fault.action in ("drop_before", "kill_before"):
                    self._abort(fault, kind, path, None)
                    return
                if fault is not None and fault.action in ("drop_mid_body", "kill_mid_body"):
                    self.rfile.read(length // 2)
                    if kind == "UPLOAD":
                        self._leave_starter(path, query)
                    self._abort(fault, kind, path, None)
                    return
                body = self.rfile.read(length) if length else b""
                payload = _json_or_none(body) if kind != "UPLOAD" else None
                if not self._authorised():
                    self._answer(
                        kind,
                        path,
                        payload,
                        401,
                        {"message": "Bad credentials", "documentation_url": DOCS, "status": "401"},
                    )
                    return
                if path != "/api/v3/rate_limit":  # checking the limit does not count
                    fake.rate_used += 1
                if fault is not None and fault.action == "respond":
                    # GitHub's error bodies always link the documentation.
                    canned = {"documentation_url": DOCS, **fault.body}
                    if fault.status < 400:
                        canned = fault.body
                    self._answer(kind, path, payload, fault.status, canned, fault.headers)
                    return
                if fault is not None and fault.action == "starter_then_502":
                    self._leave_starter(path, query)
                    self._answer(
                        kind,
                        path,
                        payload,
                        502,
                        {"message": "Bad Gateway", "documentation_url": DOCS},
                    )
                    return
                try:
                    status, answer, headers = self._route(method, kind, path, query, body)
                except _ReplyError as reply:
                    status, answer, headers = reply.status, reply.body, reply.headers
                if fault is not None:  # drop_after / kill_after: processed, never answered
                    self._abort(fault, kind, path, payload)
                    return
                self._answer(kind, path, payload, status, answer, headers)
            except (BrokenPipeError, ConnectionResetError):
                fake.requests.append(Request(kind, path, "client went away", query=self._query))
                self.close_connection = True

    def _authorised(self) -> bool:
        scheme, _, credential = (self.headers.get("Authorization") or "").partition(" ")
        return scheme.lower() in ("token", "bearer") and credential == self.fake.token

    def _answer(
        self,
        kind: str,
        path: str,
        payload: Any,
        status: int,
        answer: Any,
        headers: dict[str, str] | None = None,
    ) -> None:
        fake = self.fake
        fake.requests.append(Request(kind, path, str(status), payload, self._query))
        if isinstance(answer, bytes):  # an asset's bytes
            data, content_type = answer, "application/octet-stream"
        else:
            data = b"" if answer is None else json.dumps(answer).encode()
            content_type = "application/json; charset=utf-8"
            if answer is not None:
                fake.check_answer(self._method, path, status, answer)
        self.send_response(status)
        for name, value in {**fake.rate_headers(), **(headers or {})}.items():
            self.send_header(name, value)
        if data:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _abort(self, fault: Fault, kind: str, path: str, payload: Any) -> None:
        if fault.action.startswith("kill"):
            self.fake._kill_client()
        self.fake.requests.append(Request(kind, path, fault.action, payload, self._query))
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _leave_starter(self, path: str, query: dict[str, list[str]]) -> None:
        match = re.fullmatch(r"/api/uploads/repos/[^/]+/[^/]+/releases/(\d+)/assets", path)
        release_id = int(match.group(1)) if match else -1
        name = query.get("name", [""])[0]
        existing = {asset["name"] for asset in self.fake._assets_of(release_id)}
        if release_id in self.fake.releases and name and name not in existing:
            self.fake._new_asset(release_id, name, b"", UNFINISHED)

    # -- routes ----------------------------------------------------------------------------

    def _route(
        self, method: str, kind: str, path: str, query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        if kind == "UPLOAD":
            upload = re.fullmatch(rf"/api/uploads/repos/{fake.repo}/releases/(\d+)/assets", path)
            if method != "POST" or upload is None:
                raise _not_found()
            return self._upload(self._release(upload[1]), query, body)
        if (method, path) == ("GET", "/api/v3/rate_limit"):
            return 200, self._rate_limit_json(), {}
        if method == "GET" and path.startswith(f"/api/downloads/{fake.repo}/releases/download/"):
            return self._download(path)
        prefix = f"/api/v3/repos/{fake.repo}"
        if not path.startswith(prefix):
            raise _not_found()
        rest, payload = path[len(prefix) :], _json_or_none(body) or {}
        if (method, rest) == ("GET", ""):
            return 200, self._repo_json(), {}
        if (method, rest) == ("GET", "/releases"):
            newest_first = sorted(fake.releases.values(), key=lambda r: r["id"], reverse=True)
            return self._paginate([fake.release_json(r) for r in newest_first], path, query)
        if (method, rest) == ("POST", "/releases"):
            return self._create_release(payload)
        if (method, rest) == ("GET", "/releases/latest"):
            if fake.latest_id is None:
                raise _not_found()
            return 200, fake.release_json(fake.releases[fake.latest_id]), {}
        if method == "GET" and (match := re.fullmatch(r"/releases/tags/(.+)", rest)):
            return self._release_by_tag(match[1])
        if match := re.fullmatch(r"/releases/assets/(\d+)", rest):
            return self._asset(method, match[1])
        if method == "GET" and (match := re.fullmatch(r"/releases/(\d+)/assets", rest)):
            release = self._release(match[1])
            assets = [fake.asset_json(asset) for asset in fake._assets_of(release["id"])]
            return self._paginate(assets, path, query)
        if rest == "/pulls" and method in ("GET", "POST"):
            return self._pulls(method, query, payload)
        if (match := re.fullmatch(r"/pulls/(\d+)", rest)) and method in ("GET", "PATCH"):
            return self._pull(method, int(match[1]), payload)
        if match := re.fullmatch(r"/releases/(\d+)", rest):
            release = self._release(match[1])
            if method == "GET":
                return 200, fake.release_json(release), {}
            if method == "PATCH":
                return self._update_release(release, payload)
            if method == "DELETE":
                fake._remove_release(release)
                return 204, None, {}
        raise _not_found()

    def _pulls(
        self, method: str, query: dict[str, list[str]], payload: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        owner = fake.repo.split("/")[0]
        if method == "GET":
            wanted = {key: query[key][0] for key in ("state", "head", "base") if key in query}
            state = wanted.get("state", "open")
            found = [
                fake.pull_json(pull, "pull-request-simple")
                for pull in fake.pulls.values()
                if state in ("all", pull["state"])
                and wanted.get("head", f"{owner}:{pull['head']}") == f"{owner}:{pull['head']}"
                and wanted.get("base", pull["base"]) == pull["base"]
            ]
            return 200, found, {}
        for key in ("head", "base", "title"):
            if not isinstance(payload.get(key), str) or not payload[key]:
                raise _validation_failed(
                    {"resource": "PullRequest", "field": key, "code": "missing_field"}
                )
        head = payload["head"].removeprefix(f"{owner}:")
        if fake.git_origin is not None and not _branch_exists(fake.git_origin, head):
            raise _validation_failed(
                {"resource": "PullRequest", "field": "head", "code": "invalid"}
            )
        for pull in fake.pulls.values():
            if (pull["head"], pull["base"], pull["state"]) == (head, payload["base"], "open"):
                raise _validation_failed(
                    {
                        "resource": "PullRequest",
                        "code": "custom",
                        "message": f"A pull request already exists for {owner}:{head}.",
                    }
                )
        number = fake._take_id()
        fake.pulls[number] = {
            "number": number,
            "state": "open",
            "head": head,
            "base": payload["base"],
            "title": payload["title"],
            "body": payload.get("body"),
            "created_at": fake._now(),
        }
        return 201, fake.pull_json(fake.pulls[number]), {}

    def _pull(
        self, method: str, number: int, payload: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        pull = self.fake.pulls.get(number)
        if pull is None:
            raise _not_found()
        if method == "PATCH":
            pull.update({key: payload[key] for key in ("title", "body") if key in payload})
        return 200, self.fake.pull_json(pull), {}

    def _release(self, release_id: str) -> dict[str, Any]:
        release = self.fake.releases.get(int(release_id))
        if release is None:
            raise _not_found()
        return release

    def _release_by_tag(self, tag: str) -> tuple[int, Any, dict[str, str]]:
        for release in self.fake.releases.values():
            if release["tag_name"] == tag and not release["draft"]:
                return 200, self.fake.release_json(release), {}
        raise _not_found()  # drafts are invisible here, as on GitHub

    def _asset(self, method: str, asset_id: str) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        asset = fake.assets.get(int(asset_id))
        if asset is None or method not in ("GET", "DELETE"):
            raise _not_found()
        release = fake.releases[asset["release_id"]]
        if method == "GET":
            if "application/octet-stream" in (self.headers.get("Accept") or ""):
                # GitHub answers 302 to the storage host; here the same host, under /api/.
                return 302, None, {"Location": fake.download_url(release, asset)}
            return 200, fake.asset_json(asset), {}
        if release["immutable"]:
            raise _immutable("delete an asset")
        del fake.assets[asset["id"]]
        return 204, None, {}

    def _download(self, path: str) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        for asset in fake.assets.values():
            release = fake.releases[asset["release_id"]]
            if urlsplit(fake.download_url(release, asset)).path == quote(path, safe="/"):
                if asset["state"] != "uploaded":
                    raise _not_found()
                asset["download_count"] += 1
                return 200, asset["data"], {}
        raise _not_found()

    def _repo_json(self) -> dict[str, Any]:
        return self.fake.repo_json()

    def _rate_limit_json(self) -> dict[str, Any]:
        headers = self.fake.rate_headers()
        core = {
            "limit": int(headers["X-RateLimit-Limit"]),
            "remaining": int(headers["X-RateLimit-Remaining"]),
            "reset": int(headers["X-RateLimit-Reset"]),
            "used": int(headers["X-RateLimit-Used"]),
        }
        search = {"limit": 30, "remaining": 30, "reset": core["reset"], "used": 0}
        return {"resources": {"core": core, "search": search}, "rate": core}

    def _paginate(
        self, items: list[Any], path: str, query: dict[str, list[str]]
    ) -> tuple[int, Any, dict[str, str]]:
        # More than 100 is cut to 100 without an error ("Using pagination in the REST API",
        # docs.github.com; github/docs#45188); other bad values fall back to the defaults.
        per_page = min(_positive(query, "per_page", 30), 100)
        page = _positive(query, "page", 1)
        last = max(1, -(-len(items) // per_page))
        others = {k: v[0] for k, v in query.items() if k not in ("page", "per_page")}

        def link(number: int, rel: str) -> str:
            params = urlencode({**others, "per_page": per_page, "page": number})
            return f'<{self.fake.origin}{path}?{params}>; rel="{rel}"'

        rels = []
        if page > 1:
            rels += [link(min(page - 1, last), "prev"), link(1, "first")]
        if page < last:
            rels += [link(page + 1, "next"), link(last, "last")]
        headers = {"Link": ", ".join(rels)} if rels else {}
        return 200, items[(page - 1) * per_page : page * per_page], headers

    def _tag_taken(
        self, tag: str, *, besides: int | None = None, draft: bool = False
    ) -> _ReplyError | None:
        """Why a release for ``tag`` cannot be created (as a draft) or published, if it cannot."""
        fake = self.fake
        if tag in fake.burnt_tags and (not draft or fake.burnt_drafts == "refused"):
            return _burnt(tag)
        if any(
            r["tag_name"] == tag and not r["draft"] and r["id"] != besides
            for r in fake.releases.values()
        ):
            return _already_exists("Release", "tag_name")
        return None

    def _create_release(self, payload: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        tag = payload.get("tag_name")
        if not isinstance(tag, str) or not tag:
            raise _validation_failed(
                {"resource": "Release", "code": "missing_field", "field": "tag_name"}
            )
        # Only a published release conflicts: drafts may share a tag.
        refusal = self._tag_taken(tag, draft=bool(payload.get("draft", False)))
        if refusal is not None:
            raise refusal
        return 201, fake.release_json(fake._new_release(payload)), {}

    def _update_release(
        self, release: dict[str, Any], payload: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        draft = payload.get("draft", release["draft"])
        prerelease = payload.get("prerelease", release["prerelease"])
        if release["immutable"]:
            if draft:
                raise _immutable("turn a published release back into a draft")
            if payload.get("tag_name", release["tag_name"]) != release["tag_name"]:
                raise _immutable("change the tag")
            if prerelease != release["prerelease"] and not fake.allow_prerelease_flip:
                raise _immutable("change the pre-release flag")
        publishing = release["draft"] and not draft
        if publishing:
            refusal = self._tag_taken(release["tag_name"], besides=release["id"])
            if refusal is not None:
                raise refusal
        release.update(
            name=payload.get("name", release["name"]),
            body=payload.get("body", release["body"]),
            draft=draft,
            prerelease=prerelease,
            updated_at=fake._now(),
        )
        if publishing:
            release["published_at"] = fake._now()
            release["immutable"] = fake.immutable_releases
        fake._apply_make_latest(release, payload.get("make_latest", "true"))
        return 200, fake.release_json(release), {}

    def _upload(
        self, release: dict[str, Any], query: dict[str, list[str]], body: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        fake = self.fake
        if release["immutable"]:
            raise _immutable("upload an asset")
        name = query.get("name", [""])[0]
        if not name:
            raise _validation_failed(
                {"resource": "ReleaseAsset", "code": "missing_field", "field": "name"}
            )
        if any(asset["name"] == name for asset in fake._assets_of(release["id"])):
            raise _already_exists("ReleaseAsset", "name")
        asset = fake._new_asset(release["id"], name, body, "uploaded")
        asset["content_type"] = self.headers.get("Content-Type", "application/octet-stream")
        return 201, fake.asset_json(asset), {}


_BURNT_FILE = "github-burnt-tags"
#: A pre-receive hook answering a burnt tag's creation as GitHub's rules do (GH013).
_PRE_RECEIVE = """#!/bin/sh
status=0
while read -r old new ref; do
    if [ "$old" = 0000000000000000000000000000000000000000 ] && grep -qxF "$ref" {burnt}; then
        echo "error: GH013: Repository rule violations found for $ref." >&2
        echo "Review all repository rules at https://github.com/{repo}/rules" >&2
        echo "" >&2
        echo "- Cannot create ref due to creations being restricted." >&2
        status=1
    fi
done
exit $status
"""


def _branch_exists(origin: Path, branch: str) -> bool:
    return (
        subprocess.run(
            ["git", "--git-dir", str(origin), "rev-parse", "--verify", "--quiet",
             f"refs/heads/{branch}"],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )  # fmt: skip


def _json_or_none(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return None
