"""`inv hotfix` then `inv promote` on the embedded sandbox, as a new user runs them."""

import json
import re
import shutil
import subprocess

from conftest import inv
from pipeline_support import BRANCH, DATE, TAG, git, run_json, sandbox_paths, tree_digest

from release.sandbox._content import HOTFIX_SUMMARY


def test_hotfix_then_promote_end_to_end(tmp_path):
    paths = sandbox_paths(tmp_path)
    shipped = run_json("hotfix", "--date", DATE, cwd=tmp_path)

    # The JSON document: what CI and scripts read.
    assert shipped["tag"] == TAG and shipped["branch"] == BRANCH and shipped["base"] == "2543.0"
    assert shipped["versions"]["mithril-signer"] == "0.2.276"
    assert shipped["versions"]["mithril-aggregator"] == "0.7.93"  # main had 0.7.92
    assert shipped["changed"] == {
        "mithril-aggregator": ["0.7.90", "0.7.93"],
        "mithril-signer": ["0.2.273", "0.2.276"],
    }
    assert shipped["complete"] is True
    assert shipped["repo"] == str(paths["repo"]) and shipped["store"] == str(paths["store"])
    release = shipped["release"]
    assert release["state"] == "prerelease" and release["latest"] is False
    names = {asset["name"] for asset in release["assets"]}
    archives = {
        f"mithril-{TAG}-{t}.tar.gz"
        for t in ("linux-x64", "linux-arm64", "macos-arm64", "windows-x64")
    }
    assert names == archives | {f"{a}.minisig" for a in archives} | {
        "VERSION",
        "CHECKSUM",
        "CHECKSUM.minisig",
        "minisign.pub",
        "rollback.md",  # the SPO notes ship with the release, under CHECKSUM
        "upgrade.md",
    }
    assert set(shipped["notes"]) == {"rollback", "upgrade"}

    # Git: an annotated tag on the hotfix branch, pushed with it; the fix cherry-picked.
    repo = paths["repo"]
    assert git(repo, "cat-file", "-t", TAG) == "tag"
    tagged = git(repo, "rev-parse", f"{TAG}^{{commit}}")
    assert git(repo, "merge-base", "--is-ancestor", tagged, BRANCH) == ""
    assert git(paths["origin"], "rev-parse", f"{TAG}^{{commit}}") == tagged
    assert "cherry picked from commit" in git(repo, "log", "--format=%B", f"2543.0..{TAG}")
    assert 'version = "0.2.276"' in git(repo, "show", f"{TAG}:mithril-signer/Cargo.toml")
    changelog = git(repo, "show", f"{TAG}:CHANGELOG.md")
    assert f"## Mithril Distribution [2543.1] - {DATE}" in changelog
    assert "[2543] - UNRELEASED" not in changelog
    # What the hotfix fixes ([hotfix] summary): a bullet of its CHANGELOG section, and the
    # release body's opening, which links the SPO notes published beside the archives.
    assert f"\n- {HOTFIX_SUMMARY}\n" in changelog.split(f"[2543.1] - {DATE}")[1].split("\n## ")[0]
    body = json.loads((paths["store"] / "index.json").read_text())["releases"][TAG]["body"]
    assert f"## What this hotfix fixes\n\n- {HOTFIX_SUMMARY}\n" in body
    assert f"releases/download/{TAG}/upgrade.md" in body
    checksum = (paths["work"] / "dist" / "CHECKSUM").read_text()
    assert "  rollback.md\n" in checksum and "  upgrade.md\n" in checksum
    section = changelog.split(f"[2543.1] - {DATE}")[1].split("\n## ")[0]
    assert re.search(r"\| mithril-signer +\| `0\.2\.276` +\|", section)
    assert re.search(r"\| mithril-aggregator +\| `0\.7\.93` +\|", section)
    assert re.search(r"\| mithril-stm +\| `0\.5\.5` +\|", section)

    # The downloaded assets verify with the real tools; a tampered archive does not.
    download = tmp_path / "download"
    shutil.copytree(paths["store"] / "releases" / TAG, download)
    checked = subprocess.run(
        ["sha256sum", "-c", "CHECKSUM"], cwd=download, capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    for name in ["CHECKSUM", *sorted(archives)]:
        verified = subprocess.run(
            ["minisign", "-Vm", name, "-p", "minisign.pub"],
            cwd=download,
            check=False,
            capture_output=True,
            text=True,
        )
        assert verified.returncode == 0, verified.stderr
        assert f"version:{TAG} file:{name}" in verified.stdout
    tampered = download / sorted(archives)[0]
    tampered.write_bytes(tampered.read_bytes() + b"\0")
    assert (
        subprocess.run(
            ["minisign", "-Vm", tampered.name, "-p", "minisign.pub"],
            cwd=download,
            check=False,
            capture_output=True,
        ).returncode
        != 0
    )

    # The SPO notes name the right versions and the exact commands.
    rollback = (paths["work"] / "dist" / "rollback.md").read_text()
    assert "`0.2.268`" in rollback and "`2537.0`" in rollback and "-d 2537.0" in rollback
    upgrade = (paths["work"] / "dist" / "upgrade.md").read_text()
    for expected in (
        "`0.2.276`",
        f"-d {TAG}",
        "minisign -Vm CHECKSUM -p minisign.pub",
        "sha256sum -c CHECKSUM",
        "./mithril-signer inspect --kes-key kes.skey --opcert node.cert --network preprod",
        "- mainnet (aggregator 0.7.90): a signer restarted during the epoch",
        "- preview (aggregator 0.7.90): an operator rotating the KES key",
    ):
        assert expected in upgrade, expected
    # Preview lost signing only after a KES rotation, never after a plain restart.
    assert "- preview (aggregator 0.7.90): a signer restarted" not in upgrade

    # Re-running converges: nothing changes in the repository, its origin or the store.
    watched = (paths["repo"], paths["origin"], paths["store"])
    before = tree_digest(*watched)
    again = run_json("hotfix", "--date", DATE, cwd=tmp_path)
    assert [step["changed"] for step in again["steps"]] == [False] * len(again["steps"])
    assert tree_digest(*watched) == before

    # CI's checkout of the pushed tag: a fresh clone, HEAD detached, no local fix branch.
    ci = tmp_path / "ci"
    subprocess.run(["git", "clone", "-q", str(paths["origin"]), str(ci / "repo")], check=True)
    git(ci / "repo", "checkout", "-q", "--detach", TAG)
    sandbox_config = (paths["root"] / "release.toml").read_text()
    (ci / "release.toml").write_text(
        sandbox_config.replace('path = "mithril"', 'path = "repo"')
        .replace('store = "store"', f'store = "{paths["store"]}"')
        .replace('minisign_key = "keys/', f'minisign_key = "{paths["root"]}/keys/')
    )
    planned = run_json(
        "publish.prerelease", "--config", str(ci / "release.toml"), "--dry-run", cwd=ci
    )
    states = {step["step"]: step["state"] for step in planned["steps"]}
    assert (states["preflight"], states["fixes"], states["build"]) == ("done", "done", "to do")

    # Promote, twice: latest release, the published post updated once on main, the fixes
    # brought into main with versions of its own (Mithril's PR #2773 and #2774).
    promoted = run_json("promote", TAG, "--date", "2025-11-08", cwd=tmp_path)
    twice = run_json("promote", TAG, "--date", "2025-11-09", cwd=tmp_path)
    assert promoted["release"]["state"] == "release" and promoted["release"]["latest"] is True
    assert [step["changed"] for step in twice["steps"]] == [False] * len(twice["steps"])
    index = json.loads((paths["store"] / "index.json").read_text())
    assert list(index["releases"]) == [TAG]  # one release, however many runs
    body = json.dumps(index)
    assert "release-mainnet" in body and "release-preprod" in body
    post = "docs/website/blog/2025-11-03-distribution-2543.md"
    assert twice["notes"]["blog"] == str(repo / post)
    text = git(repo, "show", f"main:{post}")
    assert text.count(":::info[Update 2025/11/08]") == 1 and text.count(":::info[") == 1
    assert f"-d {TAG}" in text and "`0.2.276`" in text and "-d 2543.0 " not in text
    blog_dir = git(repo, "ls-tree", "--name-only", "main", "docs/website/blog/").splitlines()
    assert len([name for name in blog_dir if name.endswith("-distribution-2543.md")]) == 1
    assert git(repo, "ls-tree", "--name-only", BRANCH, "docs/website/blog/").count("2543") == 0
    assert git(paths["origin"], "rev-parse", "main") == git(repo, "rev-parse", "main")
    # Main holds the three fixes, the signer one patch above the hotfix (main's code differs)
    # and its own UNRELEASED section above the hotfix's section of the distribution.
    picked = git(repo, "log", "--format=%s", "--grep=cherry picked from commit", "2543.0..main")
    assert (
        picked.splitlines()
        == git(repo, "log", "--format=%s", "2543.0..fix/kes-registration").splitlines()
    )
    assert 'version = "0.2.277"' in git(repo, "show", "main:mithril-signer/Cargo.toml")
    assert 'name = "mithril-signer"\nversion = "0.2.277"' in git(repo, "show", "main:Cargo.lock")
    headings = [
        line for line in git(repo, "show", "main:CHANGELOG.md").splitlines() if line[:3] == "## "
    ]
    assert headings == [
        "## Mithril Distribution [XXXX] - UNRELEASED",
        f"## Mithril Distribution [2543.1] - {DATE}",
        "## Mithril Distribution [2537] - 2025-09-17",
    ]
    # The notes tasks after promotion: defaults that hold (the broken release is the one the
    # hotfix fixes; the report is the one the hotfix's gate wrote).
    rollback = inv("notes.rollback", cwd=tmp_path)
    assert rollback.returncode == 0, rollback.stderr
    assert rollback.stdout.startswith("# Roll the signer back to `0.2.268` (distribution `2537.0`)")
    status = inv("status", "--json", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    states = json.loads(status.stdout)
    assert {step["state"] for step in states["hotfix"] + states["promote"]} == {"done"}
    table = inv("status", cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert f"hotfix {TAG}" in table.stdout and f"promote {TAG}" in table.stdout
    assert table.stdout.count("✓ done") == len(states["hotfix"]) + len(states["promote"])


def test_dry_run_leaves_the_sandbox_and_store_byte_identical(tmp_path):
    created = inv("sandbox", cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    before = tree_digest(sandbox_paths(tmp_path)["root"])
    plan = run_json("hotfix", "--dry-run", "--date", DATE, cwd=tmp_path)
    assert tree_digest(sandbox_paths(tmp_path)["root"]) == before
    assert plan["dry_run"] is True and plan["complete"] is False and plan["release"] is None
    states = {step["step"]: step["state"] for step in plan["steps"]}
    assert states["preflight"] == "done" and states["branch"] == "to do"
    assert plan["changed"]["mithril-signer"] == ["0.2.273", "0.2.276"]


def test_dry_run_without_a_sandbox_creates_nothing(tmp_path):
    result = inv("hotfix", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "planning on a throwaway copy" in result.stderr
    assert list(tmp_path.iterdir()) == []
