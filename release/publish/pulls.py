"""Pull requests: how a change reaches main on a forge that reviews it (GitHub).

A store that can open pull requests implements :class:`PullRequests`; the local store does
not, so the sandbox's main receives the changes directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable


@dataclass(frozen=True)
class PullRequest:
    number: int
    url: str
    #: Opened by this call (False: an open one for the same head and base was found).
    created: bool


@runtime_checkable
class PullRequests(Protocol):
    def ensure_pull_request(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        """The open pull request of ``head`` into ``base``: found (title and body kept up to
        date) or opened; never a second one for the same branches."""
        ...
