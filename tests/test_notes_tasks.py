"""``inv notes.*`` on the sandbox after a hand-made 2543.1-hotfix: each document on its own."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from invoke import Context
from invoke.exceptions import Exit

from release.config import load_config
from release.notes import ReleaseStage, load_report, render_release_body
from release.notes.errors import NotesError
from release.notes.sources import RepositoryFacts, release_body_input, rollback_input
from release.sandbox import ensure_sandbox
from release.tasks import notes

REPORT = Path(__file__).parent / "data" / "notes"
BLOG = "docs/website/blog/2025-11-03-distribution-2543.md"


def git(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()


def set_version(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert f'version = "{old}"' in text
    path.write_text(text.replace(f'version = "{old}"', f'version = "{new}"'), encoding="utf-8")


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory) -> Path:
    """The sandbox with the hotfix done by hand, the way the pipeline will do it."""
    config = ensure_sandbox(tmp_path_factory.mktemp("notes"))
    repo = config.parent / "mithril"
    git(repo, "switch", "--quiet", "-c", "hotfix/2543.1", "2543.0")
    git(repo, "cherry-pick", "2543.0..fix/kes-registration")
    set_version(repo / "mithril-signer" / "Cargo.toml", "0.2.273", "0.2.276")
    set_version(repo / "mithril-aggregator" / "Cargo.toml", "0.7.90", "0.7.93")
    lock = repo / "Cargo.lock"
    lock.write_text(
        lock.read_text(encoding="utf-8")
        .replace('"mithril-signer"\nversion = "0.2.273"', '"mithril-signer"\nversion = "0.2.276"')
        .replace(
            '"mithril-aggregator"\nversion = "0.7.90"', '"mithril-aggregator"\nversion = "0.7.93"'
        ),
        encoding="utf-8",
    )
    git(repo, "commit", "--quiet", "-am", "Bump the signer and the aggregator for 2543.1-hotfix")
    git(repo, "tag", "--annotate", "2543.1-hotfix", "-m", "Mithril distribution 2543.1-hotfix")
    return config


def run(task, capsys, **options) -> str:
    task(Context(), **options)
    return capsys.readouterr().out


def test_rollback_computes_the_last_good_distribution(sandbox, capsys):
    text = run(notes.rollback, capsys, report=str(REPORT), broken="2543.0", config=str(sandbox))
    assert text.splitlines()[0] == "# Roll the signer back to `0.2.268` (distribution `2537.0`)"
    assert '-c mithril-signer -d 2537.0 -p "$(pwd)"' in text
    assert "Signer `0.2.273`, shipped with Mithril distribution `2543.0`" in text


def test_rollback_skips_a_newer_release_with_the_same_bug(tmp_path):
    """The previous release is not the answer when its signer fails the same way."""
    config = ensure_sandbox(tmp_path)
    repo = config.parent / "mithril"
    git(repo, "tag", "--annotate", "2540.0", "2543.0^{commit}", "-m", "signer 0.2.273 as well")
    facts = RepositoryFacts(load_config(config))
    report = load_report(REPORT)
    rollback = rollback_input(
        facts, report, broken_tag="2543.0", public_key=config.parent / "keys" / "minisign.pub"
    )
    assert (rollback.rollback_tag, rollback.rollback_signer_version) == ("2537.0", "0.2.268")
    git(repo, "tag", "--delete", "2537.0")
    with pytest.raises(
        NotesError, match=r"no release before 2543\.0 has a signer that does better"
    ):
        rollback_input(
            facts, report, broken_tag="2543.0", public_key=config.parent / "keys" / "minisign.pub"
        )


def test_rollback_to_an_explicit_distribution_writes_the_file(sandbox, tmp_path, capsys):
    out = tmp_path / "notes" / "rollback.md"
    printed = run(
        notes.rollback,
        capsys,
        report=str(REPORT),
        broken="2543.0",
        to="2537.0",
        config=str(sandbox),
        out=str(out),
        json=True,
    )
    document = json.loads(printed)
    assert document["path"] == str(out)
    assert out.read_text(encoding="utf-8") == document["text"]


def test_upgrade_reads_versions_changes_and_key_from_the_repository(sandbox, capsys):
    text = run(notes.upgrade, capsys, report=str(REPORT), config=str(sandbox))
    lines = text.splitlines()
    assert lines[0] == "# Upgrade to Mithril distribution `2543.1-hotfix`"
    assert "`2543.1-hotfix` is a hotfix of distribution `2543.0`." in lines
    assert (
        "- Sign the protocol key afresh on every registration and accept the epoch's KES window"
        in lines
    )
    assert "| mithril-signer     | `0.2.273`         | `0.2.276`               |" in lines
    assert "| mithril-aggregator | `0.7.90`          | `0.7.93`                |" in lines
    public = (sandbox.parent / "keys" / "minisign.pub").read_text(encoding="utf-8")
    key_id = public.split()[5]
    assert re.fullmatch(r"[0-9A-F]{16}", key_id)
    assert any(f"key id `{key_id}`" in line for line in lines)
    assert "   minisign -Vm CHECKSUM -p minisign.pub" in lines


def test_upgrade_with_explicit_changes(sandbox, capsys):
    text = run(
        notes.upgrade,
        capsys,
        report=str(REPORT),
        tag="2543.1-hotfix",
        base="2543.0",
        change=["Signers register again after a restart."],
        config=str(sandbox),
    )
    assert "## What changes\n\n- Signers register again after a restart.\n" in text


def test_blog_updates_the_post_on_main_and_changes_nothing(sandbox, capsys):
    # The post is on main only (added after the 2543.0 tag); the hotfix branch is checked out.
    repo = sandbox.parent / "mithril"
    assert not (repo / BLOG).exists()
    before = git(repo, "for-each-ref")
    printed = run(
        notes.blog, capsys, date="2025-11-07", json=True, report=str(REPORT), config=str(sandbox)
    )
    document = json.loads(printed)
    assert document["document"] == BLOG
    assert document["text"].count(":::info[Update 2025/11/07]") == 1
    assert "-d 2543.1-hotfix" in document["text"]
    assert not (repo / BLOG).exists() and git(repo, "for-each-ref") == before


def test_blog_written_in_place_twice_keeps_one_admonition(sandbox, tmp_path, capsys):
    post = tmp_path / "post.md"
    post.write_text(git(sandbox.parent / "mithril", "show", f"main:{BLOG}") + "\n")
    for _ in range(2):
        run(
            notes.blog,
            capsys,
            date="2025-11-07",
            report=str(REPORT),
            config=str(sandbox),
            out=str(post),
        )
    assert post.read_text(encoding="utf-8").count(":::info[Update ") == 1


def test_blog_writes_a_new_post_when_the_distribution_has_none(sandbox, tmp_path, capsys):
    config = tmp_path / "release.toml"
    config.write_text(
        (sandbox)
        .read_text(encoding="utf-8")
        .replace('path = "mithril"', f'path = "{sandbox.parent / "mithril"}"')
        .replace('blog_dir = "docs/website/blog"', 'blog_dir = "docs/no-posts-here"')
        .replace('workdir = "work"', f'workdir = "{tmp_path / "work"}"'),
        encoding="utf-8",
    )
    printed = run(
        notes.blog,
        capsys,
        date="2025-11-07",
        json=True,
        config=str(config),
        dry_run=True,
        out=str(tmp_path / "new.md"),
    )
    document = json.loads(printed)
    assert document["document"] == "docs/no-posts-here/2025-11-07-distribution-2543.md"
    assert not (tmp_path / "new.md").exists()
    lines = document["text"].splitlines()
    assert lines[1] == "title: Distribution `2543` is now available"
    assert (
        "- **release-mainnet**: install signer version `0.2.276`; your configuration stays as it is"
        in lines
    )


def test_bad_input_is_one_clear_line(sandbox):
    with pytest.raises(Exit, match=r"error: .*report.json: cannot read"):
        notes.rollback(Context(), report=str(sandbox.parent), config=str(sandbox))
    with pytest.raises(Exit, match=r"no regression report in .*work .*: pass --report DIR"):
        notes.upgrade(Context(), config=str(sandbox))
    with pytest.raises(Exit, match=r"--date '7/11' is not a date"):
        notes.blog(Context(), date="7/11", config=str(sandbox))


def test_the_tasks_are_registered(run_inv):
    listing = run_inv("--list")
    assert listing.returncode == 0, listing.stderr
    for name in ("notes.rollback", "notes.upgrade", "notes.blog", "sandbox"):
        assert re.search(rf"^\s+{re.escape(name)}\s", listing.stdout, re.MULTILINE), name


def test_release_body_inputs_come_from_the_repository(sandbox):
    facts = RepositoryFacts(load_config(sandbox))
    data = release_body_input(
        facts,
        tag="2543.1-hotfix",
        stage=ReleaseStage.PRERELEASE,
        public_key=sandbox.parent / "keys" / "minisign.pub",
        report=load_report(REPORT),
    )
    marked = {component.name for component in data.components if component.changed}
    assert marked == {"mithril-signer", "mithril-aggregator"}
    assert {c.name for c in data.components if c.shipped} == marked
    assert [archive.name for archive in data.archives] == [
        f"mithril-2543.1-hotfix-{target}.tar.gz"
        for target in ("linux-x64", "linux-arm64", "macos-arm64", "windows-x64")
    ]
    assert data.regression is not None and data.regression.candidate.passed
    # Who was affected: signer 0.2.273 of the base release against 2537.0's 0.2.268, with
    # the aggregator every network runs by default (the base release's 0.7.90).
    assert data.impact is not None
    assert (data.impact.broken_signer, data.impact.previous_signer) == ("0.2.273", "0.2.268")
    assert {a.version for a in data.impact.deployed} == {"0.7.90"}
    assert data.impact.affected_networks == ("mainnet", "preprod", "preview")
    lines = render_release_body(data, repo_root=facts.config.root).splitlines()
    assert "| mithril-signer      | `0.2.276` | ✔       |" in lines
    assert "| mithril-stm         | `0.5.5`   |         |" in lines
