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

    promoted = run_json("promote", TAG, *common, cwd=tmp_path, env=env)
    [release] = fake_github.snapshot()
    assert not release["prerelease"] and release["latest"] and promoted["release"]["latest"]
    assert "| `release-mainnet`     | ✔" in release["body"]
    writes = fake_github.writes
    run_json("promote", TAG, *common, cwd=tmp_path, env=env)
    assert fake_github.writes == writes


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
