"""The fix series a hotfix brings in, from what ``--fix`` names.

A ``--fix`` is a commit, a range ``A..B``, a branch (its own commits: those reachable from
neither the base release nor main, oldest first), or a branch of the remote named as
``git checkout`` would (``fix/x`` -> ``origin/fix/x`` when there is no local ``fix/x``).
Commits whose patch is already on the hotfix branch are listed with the reason they are
skipped; a merge commit is refused, since a cherry-pick of it would pick one side silently.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import git

from release.distribution._git import already_present, commits_between, ref_exists, resolve_commit
from release.distribution.bump import RELEASE_COMMIT_PREFIX
from release.distribution.errors import FixSeriesError

RANGE = ".."


@dataclass(frozen=True)
class FixCommit:
    sha: str
    subject: str
    #: The ``--fix`` argument that brought it into the series.
    source: str
    #: Why it is not cherry-picked (its patch is on the branch), None when it will be.
    present: str | None = None

    @property
    def short(self) -> str:
        return self.sha[:12]

    def as_json(self) -> dict[str, object]:
        return {
            "commit": self.sha,
            "subject": self.subject,
            "from": self.source,
            "present": self.present,
        }


def subject(commit: git.Commit) -> str:
    message = str(commit.message)
    return message.splitlines()[0] if message else ""


def own_commits(
    repo: git.Repo, tip: str, *, base: str
) -> tuple[list[git.Commit], git.Commit | None]:
    """What a hotfix branch or tag ``tip`` holds since ``base``: its fix commits (oldest first,
    merges left out) and its release commit (the last one, None before it is made)."""
    commits = [c for c in commits_between(repo, tip, exclude=[base]) if len(c.parents) == 1]
    released = [c for c in commits if subject(c).startswith(RELEASE_COMMIT_PREFIX)]
    return [c for c in commits if c not in released], (released[-1] if released else None)


def _commits_named(
    repo: git.Repo, ref: str, *, remote: str, exclude: Sequence[str]
) -> list[git.Commit]:
    if RANGE in ref:
        start, _, end = ref.partition(RANGE)
        if not start or not end or end.startswith("."):
            raise FixSeriesError(f"--fix {ref}: a range is written A..B")
        return commits_between(repo, end, exclude=[start])
    for branch in (f"refs/heads/{ref}", f"refs/remotes/{remote}/{ref}", f"refs/remotes/{ref}"):
        if ref_exists(repo, branch):
            commits = commits_between(repo, branch, exclude=exclude)
            if not commits:
                raise FixSeriesError(
                    f"--fix {ref}: the branch has no commit that is on neither the base "
                    "release nor main; name its commits or a range A..B"
                )
            return commits
    return [resolve_commit(repo, ref)]


def resolve_fix_series(
    repo: git.Repo,
    refs: Sequence[str],
    *,
    remote: str,
    base: str,
    main: Sequence[str],
    tip: str,
) -> tuple[FixCommit, ...]:
    """Every commit ``refs`` name, oldest first per ref, each once, checked against ``tip``."""
    base_commit = resolve_commit(repo, base)
    tip_commit = resolve_commit(repo, tip)
    series: dict[str, FixCommit] = {}
    for ref in refs:
        for commit in _commits_named(repo, ref, remote=remote, exclude=[base, *main]):
            if len(commit.parents) > 1:
                raise FixSeriesError(
                    f"--fix {ref} brings in the merge commit {commit.hexsha[:12]} "
                    f"({subject(commit)}); name the commits it merges, or a range without it"
                )
            if commit.hexsha not in series:
                present = already_present(repo, commit, base=base_commit, tip=tip_commit)
                series[commit.hexsha] = FixCommit(commit.hexsha, subject(commit), ref, present)
    return tuple(series.values())
