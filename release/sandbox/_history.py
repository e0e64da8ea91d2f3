"""The sandbox repository's history: Mithril around distribution 2543.0, replayed with fixed
identities and dates so that every sandbox has the same commit and tag ids.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from pathlib import Path

from release.sandbox import _content as content
from release.sandbox._git import DeterministicGit, Identity

IDENTITY = Identity("Mithril Sandbox", "sandbox@mithril.invalid")
MAIN_BRANCH = "main"
TAGS = ("2537.0", "2537.0-pre", "2543.0", "2543.0-pre")


def _at(*parts: int) -> datetime.datetime:
    return datetime.datetime(*parts, tzinfo=datetime.UTC)


class _Recorder:
    """Writes files into the work tree and commits them, one dated commit at a time."""

    def __init__(self, git: DeterministicGit) -> None:
        self.git = git

    def commit(self, message: str, at: datetime.datetime, files: Mapping[str, str]) -> None:
        for relative, text in files.items():
            path = self.git.cwd / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
        self.git("add", "--all")
        self.git("commit", "--quiet", "--no-verify", "-m", message, at=at)

    def tag(self, name: str, at: datetime.datetime) -> None:
        self.git(
            "tag",
            "--annotate",
            name,
            "-m",
            f"{content.DISTRIBUTION_NAME} distribution {name}",
            at=at,
        )


def build_repository(repository: Path, origin: Path) -> None:
    """Create ``repository`` with its history, and the bare ``origin`` holding all of it."""
    DeterministicGit(origin.parent, IDENTITY)(
        "init", "--quiet", "--bare", "-b", MAIN_BRANCH, str(origin)
    )
    repository.mkdir(parents=True)
    git = DeterministicGit(repository, IDENTITY)
    git("init", "--quiet", "-b", MAIN_BRANCH)
    # A local identity lets the hotfix flow commit here on machines with no git identity.
    git("config", "user.name", IDENTITY.name)
    git("config", "user.email", IDENTITY.email)
    git("remote", "add", "origin", str(origin))
    record = _Recorder(git)

    signer, aggregator = content.SIGNER, content.AGGREGATOR
    record.commit(
        "Set up the workspace for distribution 2537",
        _at(2025, 9, 12, 9, 0),
        {
            **content.workspace(content.VERSIONS_2537),
            **content.node_sources(
                signer_registration=content.SIGNER_REGISTRATION_2537,
                aggregator_kes_window=content.AGGREGATOR_KES_WINDOW_2537,
            ),
            "CHANGELOG.md": content.changelog(released_2537=False, unreleased_2543=False),
            "networks.json": content.networks_json(),
        },
    )
    record.commit(
        "Release distribution 2537.0",
        _at(2025, 9, 17, 10, 0),
        {
            "CHANGELOG.md": content.changelog(released_2537=True, unreleased_2543=False),
            **content.blog_post_2537(),
        },
    )
    # As in Mithril, the pre-release tag comes first and the release tag joins it on the
    # same commit once the pre-release has been tested.
    record.tag("2537.0-pre", _at(2025, 9, 17, 11, 0))
    record.tag("2537.0", _at(2025, 9, 17, 12, 0))
    record.commit(
        "Keep the protocol key of a recording epoch across signer restarts",
        _at(2025, 10, 21, 14, 0),
        {f"{signer}/src/registration.rs": content.SIGNER_REGISTRATION_2543},
    )
    record.commit(
        "Prepare distribution 2543",
        _at(2025, 11, 3, 9, 0),
        {
            **content.workspace(content.VERSIONS_2543),
            "CHANGELOG.md": content.changelog(released_2537=True, unreleased_2543=True),
        },
    )
    record.tag("2543.0-pre", _at(2025, 11, 3, 11, 0))
    record.tag("2543.0", _at(2025, 11, 3, 12, 0))

    # Mithril added the 2543 blog post on main after the tag: the hotfix branch, made from
    # the tag, does not have it. Main then dated the 2543 section and opened its own.
    record.commit(
        "Publish the dev blog post of distribution 2543",
        _at(2025, 11, 3, 14, 0),
        content.blog_post_2543(),
    )
    record.commit(
        "Date the 2543 CHANGELOG section and open the next one",
        _at(2025, 11, 3, 15, 0),
        {"CHANGELOG.md": content.changelog(released_2537=True, unreleased_2543=True, on_main=True)},
    )

    git("switch", "--quiet", "-c", content.FIX_BRANCH, "2543.0")
    for message, minute, files in content.FIX_SERIES:
        record.commit(message, _at(2025, 11, 6, 18, minute), files)
    git("switch", "--quiet", MAIN_BRANCH)
    record.commit(
        "Count registration attempts in the signer metrics",
        _at(2025, 11, 4, 10, 0),
        {
            **content.workspace(content.VERSIONS_2543 | {signer: "0.2.274"}),
            f"{signer}/src/metrics.rs": content.SIGNER_METRICS,
        },
    )
    record.commit(
        "Serve Cardano database snapshots per epoch",
        _at(2025, 11, 5, 15, 0),
        {
            **content.workspace(content.VERSIONS_2543 | {signer: "0.2.274", aggregator: "0.7.91"}),
            f"{aggregator}/src/routes.rs": content.AGGREGATOR_ROUTES,
        },
    )
    record.commit(
        "Log refused registrations with the pool id and the evolutions tried",
        _at(2025, 11, 6, 9, 0),
        {
            **content.workspace(content.VERSIONS_2543 | {signer: "0.2.275", aggregator: "0.7.92"}),
            f"{signer}/src/logging.rs": content.SIGNER_LOGGING,
            f"{aggregator}/src/logging.rs": content.AGGREGATOR_LOGGING,
        },
    )
    git("push", "--quiet", "--set-upstream", "origin", MAIN_BRANCH, content.FIX_BRANCH)
    git("push", "--quiet", "origin", *(f"refs/tags/{tag}" for tag in TAGS))
