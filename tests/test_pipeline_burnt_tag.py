"""``inv hotfix`` on GitHub with a tag burnt by a deleted immutable release.

GitHub never lets the tag name be used again ("If you delete the immutable release, you can
delete the tag, but you cannot reuse the same tag name", docs.github.com, Immutable releases,
quoted in tenstorrent/tt-system-firmware#1396): a release created for it is refused with 422
``custom`` "tag_name was used by an immutable release" (github-community-projects/
ospo-reusable-workflows#83), and so is pushing the tag (GH013, opsknight-labs/OpsKnight#318).
Whether the *draft* is refused is not documented (``fakes.github_server.BURNT_DRAFTS``), so
both answers are tested: the run makes its draft before the tag, and stops there when the
draft is refused; when it is accepted, the push is refused. Either way nothing is pushed, no
release is published, and the error names the tag and the next number to use.
"""

import os

import pytest
from fakes.github_server import BURNT_TAG_MESSAGE, FakeGitHub
from fakes.publishing import TOKEN, github_config
from pipeline_support import DATE, TAG, git, run_json, sandbox_paths
from test_pipeline_github_preflight import last_json

NEXT = "2543.2-hotfix"


def burn(server: FakeGitHub, tag: str) -> None:
    """An immutable release of ``tag`` published and deleted (by someone, some day)."""
    server.delete_release(server.add_release(tag, prerelease=True))
    assert tag in server.burnt_tags


@pytest.mark.parametrize("burnt_drafts", ["refused", "accepted"])
def test_a_burnt_tag_is_refused_before_anything_is_pushed(tmp_path, run_inv, burnt_drafts):
    env = {**os.environ, "TEST_GITHUB_TOKEN": TOKEN}
    with FakeGitHub(token=TOKEN, burnt_drafts=burnt_drafts) as server:
        config = github_config(tmp_path, server)
        paths = sandbox_paths(tmp_path)
        server.guard_pushes(paths["origin"])
        burn(server, TAG)
        common = ("--config", str(config), "--yes", "--date", DATE)

        result = run_inv("hotfix", *common, "--json", cwd=tmp_path, env=env)

        assert result.returncode == 2, result.stderr
        document = last_json(result.stdout)
        assert result.stdout.count('"error"') == 1
        error = document["error"]
        assert TAG in error and f"--tag {NEXT}" in error and error in result.stderr
        states = {step["step"]: step["state"] for step in document["steps"]}
        assert git(paths["origin"], "tag", "--list", "*-hotfix") == ""  # nothing pushed
        assert git(paths["origin"], "branch", "--list", "hotfix/*") == ""
        assert not any(release["draft"] is False for release in server.snapshot())
        if burnt_drafts == "refused":
            assert BURNT_TAG_MESSAGE in error and "nothing was tagged or pushed" in error
            assert states["draft"] == "failed" and states["tag"] == "blocked"
            assert git(paths["repo"], "tag", "--list", TAG) == ""  # not even tagged locally
            assert server.snapshot() == []  # no release created
        else:
            # GitHub took the draft; the tag itself is refused, atomically with the branch.
            assert "creations being restricted" in error and f"git tag -d {TAG}" in error
            assert states["draft"] == "done" and states["push"] == "failed"
            assert [release["tag"] for release in server.snapshot()] == [TAG]
            git(paths["repo"], "tag", "-d", TAG)

        # What the error says to do: the next number, from main.
        git(paths["repo"], "checkout", "main")
        shipped = run_json("hotfix", *common, "--tag", NEXT, cwd=tmp_path, env=env)
        assert shipped["tag"] == NEXT and shipped["base"] == "2543.0"
        assert shipped["release"]["state"] == "prerelease"
        assert git(paths["origin"], "tag", "--list", NEXT) == NEXT
        published = [r for r in server.snapshot() if not r["draft"]]
        assert [r["tag"] for r in published] == [NEXT]
        writes = server.writes
        again = run_json("hotfix", *common, cwd=tmp_path, env=env)  # found again without --tag
        assert again["tag"] == NEXT and again["complete"]
        assert server.writes == writes  # converged: a re-run writes nothing
