"""Merging the hotfix branch back into main: version-only conflicts settle, others stop."""

from __future__ import annotations

import os
from pathlib import Path

import git
import pytest

from release.distribution.errors import RepositoryStateError
from release.outcome import Change
from release.pipeline._merge import MergeConflictError, merge_into_main

BRANCH = "hotfix/2543.1"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> git.Repo:
    """main at 0.2.275 with its own notes, the hotfix branch at 0.2.276, both from one base."""
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Release Tester")
        config.set_value("user", "email", "rt@example.invalid")
    root = Path(repo.working_dir)

    def commit(files: dict[str, str], message: str) -> None:
        for name, text in files.items():
            (root / name).write_text(text)
        repo.index.add(list(files))
        repo.index.commit(message)

    commit({"Cargo.toml": 'name = "signer"\nversion = "0.2.273"\n', "NOTES": "base\n"}, "base")
    repo.git.branch(BRANCH)
    commit({"Cargo.toml": 'name = "signer"\nversion = "0.2.275"\n'}, "main moves on")
    repo.git.checkout(BRANCH)
    commit({"Cargo.toml": 'name = "signer"\nversion = "0.2.276"\n'}, "hotfix bump")
    return repo


def test_a_version_only_conflict_takes_the_higher_version(repo):
    outcome = merge_into_main(repo, branch=BRANCH, main="main", dry_run=False)
    assert outcome.change is Change.APPLIED and "taking the higher versions" in outcome.detail
    assert 'version = "0.2.276"' in (Path(repo.working_dir) / "Cargo.toml").read_text()
    assert repo.is_ancestor(repo.heads[BRANCH].commit, repo.heads["main"].commit)
    again = merge_into_main(repo, branch=BRANCH, main="main", dry_run=False)
    assert again.change is Change.UNCHANGED


def test_any_other_conflict_aborts_and_leaves_main_alone(repo):
    root = Path(repo.working_dir)
    (root / "NOTES").write_text("hotfix wording\n")
    repo.index.add(["NOTES"])
    repo.index.commit("hotfix notes")
    repo.git.checkout("main")
    (root / "NOTES").write_text("main wording\n")
    repo.index.add(["NOTES"])
    repo.index.commit("main notes")
    main_before = repo.heads["main"].commit
    with pytest.raises(MergeConflictError, match=r"conflicts in NOTES beyond version numbers"):
        merge_into_main(repo, branch=BRANCH, main="main", dry_run=False)
    assert repo.heads["main"].commit == main_before
    assert not (Path(repo.git_dir) / "MERGE_HEAD").exists()
    assert repo.git.status("--porcelain", "--untracked-files=no") == ""


def test_a_merge_git_refuses_is_reported_not_raised_raw(repo):
    repo.git.checkout("main")
    (Path(repo.working_dir) / "Cargo.toml").write_text("edited, not committed\n")
    with pytest.raises(RepositoryStateError, match=r"merging hotfix/2543\.1 into main failed"):
        merge_into_main(repo, branch=BRANCH, main="main", dry_run=False)
