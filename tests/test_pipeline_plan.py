"""The hotfix plan on real (temporary) repositories shaped like Mithril's history: fix series
named as commits, ranges, branches and remote branches; bump reasons, --no-bump, ignore globs;
where the blog post lives; fixes named after tagging."""

from __future__ import annotations

from pathlib import Path

import git as gitpython
import pytest
from conftest import inv
from pipeline_support import DATE, TAG, git, sandbox_paths

from release.config import load_config
from release.distribution.errors import ConfigError, FixSeriesError
from release.pipeline import HotfixOptions, prepare
from release.pipeline.plan import NO_POST, ON_HOTFIX, ON_MAIN, find_blog_post
from release.sandbox import ensure_sandbox

FIX = "fix/kes-registration"
FIX_SUBJECTS = [
    "Add a test helper that builds signer registrations",
    "Sign the protocol key afresh on every registration and accept the epoch's KES window",
    "Satisfy clippy in the aggregator's registration tests",
]


@pytest.fixture
def sandbox(tmp_path: Path) -> dict[str, Path]:
    ensure_sandbox(tmp_path)
    return sandbox_paths(tmp_path)


def plan_of(paths: dict[str, Path], *fixes: str, no_bump: tuple[str, ...] = ()):
    config = load_config(paths["root"] / "release.toml")
    options = HotfixOptions(fixes=fixes, no_bump=no_bump, dry_run=True)
    return prepare(config, options).plan


def commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def test_a_branch_brings_every_commit_of_its_own_oldest_first(sandbox):
    plan = plan_of(sandbox, FIX)
    assert [fix.subject for fix in plan.fixes] == FIX_SUBJECTS
    assert all(fix.present is None and fix.source == FIX for fix in plan.fixes)
    bumps = {bump.component.name: bump for bump in plan.bumps}
    assert {name: str(bump.target) for name, bump in bumps.items()} == {
        "mithril-aggregator": "0.7.93",
        "mithril-signer": "0.2.276",
    }
    # The lint change in the aggregator's test module is ignored (ignore = ["**/tests/**"]).
    assert bumps["mithril-aggregator"].paths == ("mithril-aggregator/src/kes_window.rs",)
    assert bumps["mithril-signer"].reason == (
        "changed: mithril-signer/src/registration.rs, mithril-signer/src/test_tools.rs; "
        "one patch above main's 0.2.275"
    )
    assert plan.as_json()["fixes"][1]["subject"] == FIX_SUBJECTS[1]


def test_a_fix_branch_cut_from_main_brings_only_its_own_commits(sandbox):
    repo = sandbox["repo"]
    git(repo, "switch", "-q", "-c", "fix/from-main", "main")
    own = commit(repo, {"mithril-signer/src/retry.rs": "// retry\n"}, "Retry registration")
    git(repo, "switch", "-q", "main")
    plan = plan_of(sandbox, "fix/from-main")
    assert [fix.sha for fix in plan.fixes] == [own]
    assert [bump.component.name for bump in plan.bumps] == ["mithril-signer"]


def test_a_range_names_exactly_its_commits(sandbox):
    repo = sandbox["repo"]
    first, second = git(repo, "rev-list", "--reverse", f"2543.0..{FIX}").splitlines()[:2]
    plan = plan_of(sandbox, f"{first}~1..{second}")
    assert [fix.sha for fix in plan.fixes] == [first, second]
    assert [fix.subject for fix in plan.fixes] == FIX_SUBJECTS[:2]


def test_a_branch_only_on_the_remote_resolves_as_git_checkout_would(sandbox):
    repo = sandbox["repo"]
    git(repo, "fetch", "-q", "origin")
    git(repo, "branch", "-D", FIX)
    assert git(repo, "branch", "--list", FIX) == ""
    plan = plan_of(sandbox, FIX)
    assert [fix.subject for fix in plan.fixes] == FIX_SUBJECTS


def test_a_patch_already_on_the_hotfix_branch_is_listed_as_skipped(sandbox):
    repo = sandbox["repo"]
    helper = git(repo, "rev-list", "--reverse", f"2543.0..{FIX}").splitlines()[0]
    git(repo, "switch", "-q", "-c", "hotfix/2543.1", "2543.0")
    git(repo, "cherry-pick", helper)  # by hand, without -x: only the patch id tells
    git(repo, "switch", "-q", "main")
    plan = plan_of(sandbox, FIX)
    assert plan.fixes[0].present == "an equivalent change (same patch-id) is already on the branch"
    assert [fix.subject for fix in plan.to_pick] == FIX_SUBJECTS[1:]


def test_a_merge_commit_in_a_series_is_refused(sandbox):
    repo = sandbox["repo"]
    git(repo, "switch", "-q", "-c", "fix/merged", "2543.0")
    commit(repo, {"mithril-signer/src/a.rs": "// a\n"}, "One side")
    git(repo, "merge", "-q", "--no-ff", "-m", "Merge the fix", FIX)
    git(repo, "switch", "-q", "main")
    with pytest.raises(
        FixSeriesError, match=r"brings in the merge commit \w{12} \(Merge the fix\)"
    ):
        plan_of(sandbox, "fix/merged")


def test_a_branch_with_nothing_of_its_own_is_refused(sandbox):
    git(sandbox["repo"], "branch", "fix/empty", "main")
    with pytest.raises(FixSeriesError, match="the branch has no commit that is on neither"):
        plan_of(sandbox, "fix/empty")


def test_no_bump_keeps_a_component_and_says_why(sandbox):
    plan = plan_of(sandbox, FIX, no_bump=("mithril-aggregator",))
    assert [bump.component.name for bump in plan.bumps] == ["mithril-signer"]
    assert [(k.component.name, k.reason) for k in plan.kept] == [
        ("mithril-aggregator", "not bumped: --no-bump / [hotfix] no_bump")
    ]
    assert plan.versions["mithril-aggregator"] == ("0.7.90", "0.7.90")


def test_a_component_changed_only_under_its_ignore_globs_is_not_bumped(sandbox):
    lint = git(sandbox["repo"], "rev-list", "--reverse", f"2543.0..{FIX}").splitlines()[2]
    plan = plan_of(sandbox, lint)
    assert plan.bumps == ()
    assert [(k.component.name, k.reason) for k in plan.kept] == [
        (
            "mithril-aggregator",
            "only ignored paths changed: mithril-aggregator/src/tests/registration.rs",
        )
    ]
    # Nothing to release: the hotfix refuses before writing anything.
    before = git(sandbox["repo"], "for-each-ref")
    result = inv("hotfix", "--fix", lint, cwd=sandbox["root"].parent)
    assert result.returncode == 2
    assert "no component to bump since 2543.0" in result.stderr
    assert "only ignored paths changed" in result.stderr
    assert git(sandbox["repo"], "for-each-ref") == before


def test_no_bump_in_the_config_must_name_a_component(sandbox):
    config = sandbox["root"] / "release.toml"
    config.write_text(config.read_text() + 'no_bump = ["mithril-nope"]\n')
    with pytest.raises(
        ConfigError, match=r'hotfix\.no_bump\[0\]: "mithril-nope" is not a component'
    ):
        load_config(config)


def test_the_blog_post_is_found_on_main_on_the_hotfix_branch_or_nowhere(sandbox):
    repo = sandbox["repo"]
    config = load_config(sandbox["root"] / "release.toml")
    target = prepare(config, HotfixOptions(fixes=(FIX,), dry_run=True)).target
    gitrepo = gitpython.Repo(repo)
    found = find_blog_post(gitrepo, config, target)
    assert (found.where, str(found.path)) == (
        ON_MAIN,
        "docs/website/blog/2025-11-03-distribution-2543.md",
    )
    # Only on the hotfix branch: a post that came with the tag and was removed on main.
    git(repo, "switch", "-q", "-c", "hotfix/2543.1", "2543.0")
    commit(repo, {"docs/website/blog/2025-11-01-distribution-2543.md": "---\n---\n"}, "post")
    git(repo, "switch", "-q", "main")
    git(repo, "rm", "-q", "docs/website/blog/2025-11-03-distribution-2543.md")
    git(repo, "commit", "-q", "-m", "Move the post away")
    git(repo, "push", "-q", "origin", "main")
    found = find_blog_post(gitrepo, config, target)
    assert (found.where, str(found.path)) == (
        ON_HOTFIX,
        "docs/website/blog/2025-11-01-distribution-2543.md",
    )
    git(repo, "branch", "-D", "hotfix/2543.1")
    assert find_blog_post(gitrepo, config, target).where == NO_POST


def test_a_fix_named_once_the_hotfix_is_tagged_is_refused_with_the_way_out(tmp_path):
    assert inv("hotfix", "--date", DATE, cwd=tmp_path).returncode == 0
    paths = sandbox_paths(tmp_path)
    repo = paths["repo"]
    git(repo, "switch", "-q", "-c", "fix/late", "2543.0")
    late = commit(repo, {"mithril-signer/src/late.rs": "// late\n"}, "A late fix")
    git(repo, "switch", "-q", "main")
    before = (git(repo, "for-each-ref"), git(paths["origin"], "for-each-ref"))
    result = inv("hotfix", "--fix", "fix/late", "--date", DATE, cwd=tmp_path)
    assert result.returncode == 2
    assert f"{TAG} is tagged already and does not hold {late[:12]} (A late fix)" in result.stderr
    assert f"plan the next hotfix with --base {TAG}" in result.stderr
    assert (git(repo, "for-each-ref"), git(paths["origin"], "for-each-ref")) == before
    # A fix the tag holds is fine: nothing is ignored, nothing is refused.
    again = inv("hotfix", "--fix", FIX, "--date", DATE, cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_a_run_stopped_by_a_conflicting_fix_leaves_the_commits_a_clean_run_makes(tmp_path):
    clean, stopped = tmp_path / "clean", tmp_path / "stopped"
    for cwd in (clean, stopped):
        cwd.mkdir()
        ensure_sandbox(cwd)
    assert inv("build", "--fix", FIX, "--date", DATE, cwd=clean).returncode == 0
    repo = sandbox_paths(stopped)["repo"]
    git(repo, "switch", "-q", "-c", "fix/conflicting", "2543.0")
    registration = repo / "mithril-signer/src/registration.rs"
    registration.write_text(registration.read_text().replace("once, then kept", "once, kept"))
    git(repo, "commit", "-q", "-am", "Reword the registration (made today: after the date)")
    git(repo, "switch", "-q", "main")
    failed = inv("build", "--fix", FIX, "--fix", "fix/conflicting", "--date", DATE, cwd=stopped)
    assert failed.returncode == 2 and "does not apply" in failed.stderr
    assert inv("build", "--fix", FIX, "--date", DATE, cwd=stopped).returncode == 0
    branch = "hotfix/2543.1"
    assert git(repo, "rev-parse", branch) == git(sandbox_paths(clean)["repo"], "rev-parse", branch)
