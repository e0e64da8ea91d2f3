"""The embedded sandbox is shaped like Mithril at 2543.0: files, versions, tags, branches."""

from __future__ import annotations

import json
import subprocess
import tomllib
from pathlib import Path

import pytest

from release.config import load_config
from release.sandbox import SANDBOX_DIR, SandboxState, ensure_sandbox, sandbox_status

DATA = Path(__file__).parent / "data"
FACTS = json.loads((DATA / "sandbox" / "facts.json").read_text(encoding="utf-8"))
CRATES = sorted(FACTS["crate_paths"])


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("sandbox")
    ensure_sandbox(base)
    return base


@pytest.fixture(scope="module")
def repo(base) -> Path:
    return base / SANDBOX_DIR / "mithril"


def versions_at(repo: Path, ref: str) -> dict[str, str]:
    return {
        crate: tomllib.loads(git(repo, "show", f"{ref}:{FACTS['crate_paths'][crate]}"))["package"][
            "version"
        ]
        for crate in CRATES
    }


def lock_versions_at(repo: Path, ref: str) -> dict[str, str]:
    lock = tomllib.loads(git(repo, "show", f"{ref}:Cargo.lock"))
    return {package["name"]: package["version"] for package in lock["package"]}


def test_layout(base):
    root = base / SANDBOX_DIR
    for path in (
        "release.toml",
        "mithril/.git",
        "origin.git/HEAD",
        "keys/minisign.key",
        "keys/minisign.pub",
    ):
        assert (root / path).exists(), path
    for directory in ("store", "work"):
        assert (root / directory).is_dir()
        assert not any((root / directory).iterdir())
    assert git(root / "origin.git", "rev-parse", "--is-bare-repository") == "true"
    assert sandbox_status(base).state is SandboxState.INTACT


def test_the_config_loads_with_the_agreed_schema(base):
    root = (base / SANDBOX_DIR).resolve()
    config = load_config(root / "release.toml")
    assert config.root == root / "mithril"
    assert config.workdir == root / "work"
    assert config.publish.backend == "local"
    assert config.publish.store == root / "store"
    assert config.signing.minisign_key == root / "keys" / "minisign.key"
    assert sorted(component.name for component in config.components) == CRATES
    builders = {component.name: component.builder for component in config.components}
    assert builders.pop("mithril-signer") == "signer"
    assert builders.pop("mithril-aggregator") == "aggregator"
    assert set(builders.values()) == {None}
    assert all(component.build is None for component in config.components)


@pytest.mark.parametrize("tag", ["2537.0", "2543.0"])
def test_versions_at_each_tag_are_mithrils(repo, tag):
    assert versions_at(repo, tag) == FACTS["distributions"][tag]["crates"]
    assert lock_versions_at(repo, tag) == FACTS["distributions"][tag]["crates"]


def test_main_moved_ahead_of_2543(repo):
    expected = FACTS["distributions"]["2543.0"]["crates"] | {
        "mithril-signer": "0.2.275",
        "mithril-aggregator": "0.7.92",
    }
    assert versions_at(repo, "main") == expected
    assert lock_versions_at(repo, "main") == expected
    assert git(repo, "merge-base", "main", "2543.0") == git(repo, "rev-parse", "2543.0^{commit}")
    assert int(git(repo, "rev-list", "--count", "2543.0..main")) >= 2
    assert git(repo, "symbolic-ref", "--short", "HEAD") == "main"
    assert git(repo, "status", "--porcelain") == ""


def test_tags_are_annotated_with_fixed_identity(repo):
    for tag in ("2537.0", "2543.0"):
        assert git(repo, "cat-file", "-t", tag) == "tag"
        # Mithril tags the pre-release first; the release tag joins it on the same commit.
        assert git(repo, "cat-file", "-t", f"{tag}-pre") == "tag"
        assert git(repo, "rev-parse", f"{tag}-pre^{{commit}}") == git(
            repo, "rev-parse", f"{tag}^{{commit}}"
        )
        assert git(repo, "for-each-ref", "--format=%(taggername)", f"refs/tags/{tag}") == (
            "Mithril Sandbox"
        )
    assert git(repo, "log", "-1", "--format=%cs", "2543.0") == "2025-11-03"
    assert git(repo, "log", "-1", "--format=%cs", "2537.0") == "2025-09-17"


def test_the_fix_branch_is_three_commits_like_mithrils(repo):
    branch = "fix/kes-registration"
    subjects = git(repo, "log", "--reverse", "--format=%s", f"2543.0..{branch}").splitlines()
    assert subjects == [
        "Add a test helper that builds signer registrations",
        "Sign the protocol key afresh on every registration and accept the epoch's KES window",
        "Satisfy clippy in the aggregator's registration tests",
    ]
    assert git(repo, "rev-parse", f"{branch}~3") == git(repo, "rev-parse", "2543.0^{commit}")
    changed = git(repo, "diff", "--name-only", "2543.0", branch).splitlines()
    assert changed == [
        "mithril-aggregator/src/kes_window.rs",
        "mithril-aggregator/src/tests/registration.rs",
        "mithril-signer/src/registration.rs",
        "mithril-signer/src/test_tools.rs",
    ]
    assert "afresh" in git(repo, "show", f"{branch}:mithril-signer/src/registration.rs")
    # Cherry-picked onto 2543.0 or main it applies cleanly: it touches nothing main changed.
    main_changes = set(git(repo, "diff", "--name-only", "2543.0", "main").splitlines())
    assert main_changes.isdisjoint(changed)


def test_the_changelog_top_section_is_2543_unreleased(repo):
    text = git(repo, "show", "2543.0:CHANGELOG.md")
    headings = [line for line in text.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Mithril Distribution [2543] - UNRELEASED",
        "## Mithril Distribution [2537] - 2025-09-17",
    ]
    top = text.split("## Mithril Distribution [2543] - UNRELEASED\n", 1)[1].split("\n## ", 1)[0]
    table = top.split("- Crates versions:\n\n", 1)[1].splitlines()
    assert table[0] == "| Crate               | Version   |"
    assert table[2:] == [
        f"| {crate:<19} | {'`' + version + '`':<9} |"
        for crate, version in sorted(FACTS["distributions"]["2543.0"]["crates"].items())
    ]
    # Main dated the 2543 section after the tag and opened its own above it.
    on_main = git(repo, "show", "main:CHANGELOG.md")
    assert [line for line in on_main.splitlines() if line.startswith("## ")] == [
        "## Mithril Distribution [XXXX] - UNRELEASED",
        "## Mithril Distribution [2543] - 2025-11-03",
        "## Mithril Distribution [2537] - 2025-09-17",
    ]


def test_networks_json_is_mithrils_file(repo):
    shipped = (repo / "networks.json").read_bytes()
    assert shipped == (DATA / "notes" / "networks.json").read_bytes()
    assert git(repo, "show", "2537.0:networks.json").encode() + b"\n" == shipped


def test_the_dev_blog_posts(repo):
    blog = "docs/website/blog"
    # As in Mithril, the 2543 post was added on main after the tag: the tag does not have it.
    assert git(repo, "ls-tree", "--name-only", "2543.0", f"{blog}/") == (
        f"{blog}/2025-09-17-distribution-2537.md"
    )
    post = git(repo, "show", f"main:{blog}/2025-11-03-distribution-2543.md").splitlines()
    assert post[:6] == [
        "---",
        "title: Distribution `2543` is now available",
        "authors:",
        "  - name: Mithril Team",
        "tags: [release, distribution, 2543]",
        "---",
    ]
    assert "### Distribution `2543` is now available" in post
    assert any(
        "[`2543.0`](https://github.com/input-output-hk/mithril/releases/tag/2543.0)" in line
        for line in post
    )
    assert any("-c mithril-signer -d 2543.0" in line for line in post)
    assert any("`0.2.273`" in line for line in post)
    assert git(repo, "ls-tree", "--name-only", "2537.0", f"{blog}/") == (
        f"{blog}/2025-09-17-distribution-2537.md"
    )


def test_origin_holds_every_branch_and_tag(base, repo):
    local = git(
        repo, "for-each-ref", "--format=%(objectname) %(refname)", "refs/heads", "refs/tags"
    )
    remote = git(
        base / SANDBOX_DIR / "origin.git", "for-each-ref", "--format=%(objectname) %(refname)"
    )
    assert sorted(local.splitlines()) == sorted(remote.splitlines())
    assert {line.split()[1] for line in remote.splitlines()} == {
        "refs/heads/main",
        "refs/heads/fix/kes-registration",
        "refs/tags/2537.0",
        "refs/tags/2537.0-pre",
        "refs/tags/2543.0",
        "refs/tags/2543.0-pre",
    }
    assert git(repo, "rev-parse", "--abbrev-ref", "main@{upstream}") == "origin/main"
    assert Path(git(repo, "remote", "get-url", "origin")) == base / SANDBOX_DIR / "origin.git"


def test_the_signing_key_signs_and_verifies(base, tmp_path):
    keys = base / SANDBOX_DIR / "keys"
    public = (keys / "minisign.pub").read_text(encoding="utf-8").splitlines()
    assert public[0].startswith("untrusted comment: minisign public key ")
    assert public[1].startswith("RW") and len(public[1]) == 56
    message = tmp_path / "message.txt"
    message.write_text("sandbox\n", encoding="utf-8")
    subprocess.run(
        ["minisign", "-S", "-s", str(keys / "minisign.key"), "-m", str(message)],
        input="\n",
        capture_output=True,
        text=True,
        check=True,
    )
    subprocess.run(
        ["minisign", "-V", "-p", str(keys / "minisign.pub"), "-m", str(message)],
        capture_output=True,
        check=True,
    )
