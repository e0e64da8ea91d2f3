"""Which hotfix a run is about when ``--tag`` names it: existing, or a new number that skips
one which cannot be used (a tag burnt by a deleted immutable release)."""

import git
import pytest

from release.distribution.errors import GitRefError, VersionNotAboveError
from release.pipeline._target import target_for_tag
from release.sandbox import ensure_sandbox


@pytest.fixture(scope="module")
def repo(tmp_path_factory) -> git.Repo:
    root = ensure_sandbox(tmp_path_factory.mktemp("target")).parent
    return git.Repo(root / "mithril")


@pytest.mark.parametrize(
    ("tag", "base"),
    [
        ("2543.1-hotfix", "2543.0"),  # the next number
        ("2543.2-hotfix", "2543.0"),  # 2543.1 skipped: based on the highest release below
        ("2537.1-hotfix", "2537.0"),  # a hotfix of an older distribution
    ],
)
def test_a_new_hotfix_tag_is_based_on_the_highest_release_below_it(repo, tag, base):
    target = target_for_tag(repo, tag, new=True)
    assert (target.tag, target.base_tag, target.branch) == (tag, base, f"hotfix/{tag[:6]}")


@pytest.mark.parametrize(
    ("tag", "error", "named"),
    [
        ("2543.0-hotfix", GitRefError, "N >= 1"),
        ("2543.2-pre", GitRefError, "not a hotfix tag"),
        ("2549.1-hotfix", GitRefError, "no release 2549.N below it"),
    ],
)
def test_a_tag_that_cannot_be_a_hotfix_is_refused_by_name(repo, tag, error, named):
    with pytest.raises(error, match=named) as refused:
        target_for_tag(repo, tag, new=True)
    assert tag in str(refused.value)


def test_a_new_number_below_an_existing_release_is_refused(repo, tmp_path):
    repo.create_tag("2543.3", ref="2543.0")
    try:
        with pytest.raises(VersionNotAboveError, match=r"2543\.4-hotfix"):
            target_for_tag(repo, "2543.2-hotfix", new=True)
    finally:
        repo.delete_tag("2543.3")


def test_tag_and_base_together_are_refused(tmp_path, run_inv):
    result = run_inv("hotfix", "--tag", "2543.2-hotfix", "--base", "2543.0", "--json", cwd=tmp_path)
    assert result.returncode == 2
    assert "--base and --tag" in result.stdout and list(tmp_path.iterdir()) == []


def test_a_promotion_needs_the_tag_to_exist(repo):
    with pytest.raises(GitRefError, match=r"no tag 2543\.1-hotfix"):
        target_for_tag(repo, "2543.1-hotfix")
