"""The same hotfix and promotion against a GitHub-compatible server, through PyGithub."""

import base64
import hashlib
import os

from fakes.publishing import TOKEN, github_config
from pipeline_support import DATE, TAG, git, run_json, sandbox_paths

from release.distribution.signing import load_minisign_key

pytest_plugins = ["fakes.fixtures"]


def test_hotfix_and_promote_on_github(tmp_path, fake_github):
    config = github_config(tmp_path, fake_github)
    env = {**os.environ, "TEST_GITHUB_TOKEN": TOKEN}
    common = ("--config", str(config), "--yes", "--date", DATE)
    shipped = run_json("hotfix", *common, cwd=tmp_path, env=env)
    assert shipped["release"]["state"] == "prerelease"
    assert shipped["release"]["url"].startswith(fake_github.origin)
    [release] = fake_github.snapshot()
    assert release["tag"] == TAG and release["prerelease"] and not release["draft"]
    dist = sandbox_paths(tmp_path)["work"] / "dist"
    local = {p.name: "sha256:" + hashlib.sha256(p.read_bytes()).hexdigest() for p in dist.iterdir()}
    assert {name: digest for name, _, digest, _ in release["assets"]} == local

    writes = fake_github.writes
    again = run_json("hotfix", *common, cwd=tmp_path, env=env)
    assert again["complete"] and fake_github.writes == writes  # a re-run writes nothing

    # Promotion on GitHub: main changes through two pull requests (the blog post's update,
    # the forward-port), as Mithril's #2774 and #2773; main itself is not pushed to.
    origin = sandbox_paths(tmp_path)["origin"]
    fake_github.git_origin = origin  # GitHub refuses a pull request of a branch not pushed
    main_before = git(origin, "rev-parse", "main")
    promoted = run_json("promote", TAG, *common, cwd=tmp_path, env=env)
    [release] = fake_github.snapshot()
    assert not release["prerelease"] and release["latest"] and promoted["release"]["latest"]
    assert "| `release-mainnet`     | ✔" in release["body"]
    branches = {f"blog/{TAG}", f"forward-port/{TAG}"}
    assert set(promoted["pull_requests"]) == branches
    pulls = {pull["head"]: pull for pull in fake_github.pulls.values()}
    assert set(pulls) == branches and {pull["base"] for pull in pulls.values()} == {"main"}
    assert all(
        url.startswith(f"{fake_github.origin}/") for url in promoted["pull_requests"].values()
    )
    assert git(origin, "rev-parse", "main") == main_before
    post = git(origin, "show", f"blog/{TAG}:docs/website/blog/2025-11-03-distribution-2543.md")
    assert post.count(":::info[Update ") == 1
    assert 'version = "0.2.277"' in git(
        origin, "show", f"forward-port/{TAG}:mithril-signer/Cargo.toml"
    )
    writes = fake_github.writes
    again = run_json("promote", TAG, *common, cwd=tmp_path, env=env)
    assert fake_github.writes == writes and len(fake_github.pulls) == 2  # found, not reopened
    assert again["pull_requests"] == promoted["pull_requests"]
    status = run_json("status", "--config", str(config), cwd=tmp_path, env=env)
    promote_details = " ".join(step["detail"] for step in status["promote"])
    assert all(url in promote_details for url in promoted["pull_requests"].values()), status[
        "promote"
    ]


def test_neither_the_token_nor_the_signing_key_appears_anywhere(tmp_path, fake_github, run_inv):
    config = github_config(tmp_path, fake_github)
    env = {**os.environ, "TEST_GITHUB_TOKEN": TOKEN}
    result = run_inv("hotfix", "--config", str(config), "--yes", "--json", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    key_file = tmp_path / ".hotfix" / "keys" / "minisign.key"
    seed = load_minisign_key(key_file)._signing_key.encode()
    secrets = [
        TOKEN.encode(),
        seed,
        seed.hex().encode(),
        seed.hex().upper().encode(),
        base64.b64encode(seed),
        key_file.read_text().splitlines()[1].encode(),  # the key file's own data line
    ]
    haystacks = {"stdout": result.stdout.encode(), "stderr": result.stderr.encode()}
    haystacks |= {
        str(path): path.read_bytes()
        for path in tmp_path.rglob("*")
        if path.is_file() and path != key_file
    }
    assert len(haystacks) > 100  # the repository, its origin, the work dir, the journal
    for where, data in haystacks.items():
        for secret in secrets:
            assert secret not in data, where


def test_a_missing_token_stops_before_anything_is_written(tmp_path, fake_github, run_inv):
    config = github_config(tmp_path, fake_github)
    env = {k: v for k, v in os.environ.items() if k != "TEST_GITHUB_TOKEN"}
    result = run_inv("hotfix", "--config", str(config), "--yes", cwd=tmp_path, env=env)
    assert result.returncode == 2
    assert "TEST_GITHUB_TOKEN" in result.stderr and "unset or empty" in result.stderr
    assert fake_github.writes == 0
    assert git(tmp_path / ".hotfix/mithril", "branch", "--list", "hotfix/*") == ""
