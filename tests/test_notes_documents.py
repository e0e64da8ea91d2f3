"""The release body and the SPO notes, rendered with the inputs of the 2543.1 hotfix."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import pytest

from release.config import ReleaseConfig
from release.notes import (
    NOTE_FILES,
    Archive,
    BlogUpdate,
    ComponentUpgrade,
    ComponentVersion,
    ReleaseBodyInput,
    ReleaseStage,
    RollbackInput,
    UpgradeInput,
    Verification,
    load_networks,
    load_report,
    render_release_body,
    render_rollback,
    render_upgrade,
    update_blog_post,
)
from release.notes.affected import deployed_aggregators, operator_impact
from release.notes.errors import NotesError

DATA = Path(__file__).parent / "data" / "notes"
TAG = "2543.1-hotfix"
TARGETS = ("linux-x64", "linux-arm64", "macos-arm64", "windows-x64")
INSTALLER = ReleaseConfig.install_command
SIGNER_INSTALL = (
    "curl --proto '=https' --tlsv1.2 -sSf "
    "https://raw.githubusercontent.com/input-output-hk/mithril/refs/heads/main/mithril-install.sh"
    ' | sh -s -- -c mithril-signer -d 2543.1-hotfix -p "$(pwd)"'
)


@pytest.fixture(scope="module")
def networks():
    return load_networks(DATA / "networks.json")


@pytest.fixture(scope="module")
def report():
    return load_report(DATA)


@pytest.fixture(scope="module")
def impact(networks, report):
    """Who was affected, as the pipeline computes it for the 2543.1 hotfix: every network
    runs the base release's aggregator 0.7.90 (no ``[aggregators]`` table)."""
    deployed = deployed_aggregators(networks, {}, default_version="0.7.90", fixed_version="0.7.93")
    return operator_impact(
        report,
        deployed,
        broken_signer="0.2.273",
        previous_signer="0.2.268",
        fixed_signer="0.2.276",
        fixed_aggregator="0.7.93",
    )


@pytest.fixture(scope="module")
def verification():
    return Verification(minisign_public_key="mithril.pub", minisign_key_id="3C1B27A5E4F09D62")


@pytest.fixture(scope="module")
def archives():
    return tuple(Archive(target, f"mithril-{TAG}-{target}.tar.gz") for target in TARGETS)


def body(networks, report, verification, archives, stage, impact=None, **changes):
    components = tuple(
        ComponentVersion(
            name,
            version,
            changed=name in {"mithril-signer", "mithril-aggregator"},
            shipped=name in {"mithril-signer", "mithril-aggregator"},
        )
        for name, version in [
            ("mithril-aggregator", "0.7.93"),
            ("mithril-client", "0.12.34"),
            ("mithril-common", "0.6.25"),
            ("mithril-signer", "0.2.276"),
        ]
    )
    data = ReleaseBodyInput(
        name="Mithril",
        tag=TAG,
        stage=stage,
        components=components,
        networks=networks,
        archives=archives,
        install_command=INSTALLER,
        verification=verification,
        regression=report.summary(("fixed", "fixed")),
        impact=impact,
    )
    return render_release_body(dataclasses.replace(data, **changes))


def section(text: str, heading: str) -> list[str]:
    """The lines under ``## heading`` up to the next ``## ``."""
    lines = text.splitlines()
    start = lines.index(f"## {heading}") + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("## ")), len(lines))
    return [line for line in lines[start:end] if line]


def test_prerelease_body_tables(networks, report, verification, archives):
    text = body(networks, report, verification, archives, ReleaseStage.PRERELEASE)
    assert text.startswith("> This is a **pre-release** of Mithril distribution `2543.1-hotfix`")
    assert section(text, "Components") == [
        "| Component          | Version   | Changed |",
        "| ------------------ | --------- | ------- |",
        "| mithril-aggregator | `0.7.93`  | ✔       |",
        "| mithril-client     | `0.12.34` |         |",
        "| mithril-common     | `0.6.25`  |         |",
        "| mithril-signer     | `0.2.276` | ✔       |",
    ]
    assert section(text, "Networks compatibility") == [
        "| Network               | Compatible |",
        "| --------------------- | ---------- |",
        "| `release-mainnet`     | ⛔          |",
        "| `release-preprod`     | ⛔          |",
        "| `pre-release-preview` | ✔          |",
        "| `testing-preview`     | ⛔          |",
    ]
    assert section(text, "Cardano node compatibility")[1:] == [
        "| Cardano network | Mithril networks                         | mithril-signer |"
        " mithril-aggregator |",
        "| --------------- | ---------------------------------------- | -------------- |"
        " ------------------ |",
        "| mainnet         | `release-mainnet`                        | `>= 10.4.1`    | `>="
        " 10.4.1`        |",
        "| preprod         | `release-preprod`                        | `>= 10.4.1`    | `>="
        " 10.4.1`        |",
        "| preview         | `pre-release-preview`, `testing-preview` | `>= 10.4.1`    | `>="
        " 10.4.1`        |",
    ]
    assert section(text, "Platform support")[2:] == [
        "| Linux x86-64   | `linux-x64`   | `mithril-2543.1-hotfix-linux-x64.tar.gz`   |",
        "| Linux ARM64    | `linux-arm64` | `mithril-2543.1-hotfix-linux-arm64.tar.gz` |",
        "| macOS ARM64    | `macos-arm64` | `mithril-2543.1-hotfix-macos-arm64.tar.gz` |",
        "| Windows x86-64 | `windows-x64` | `mithril-2543.1-hotfix-windows-x64.tar.gz` |",
    ]


def test_promoted_body_marks_the_release_networks_compatible(
    networks, report, verification, archives
):
    text = body(networks, report, verification, archives, ReleaseStage.RELEASE)
    assert text.startswith("> Mithril distribution `2543.1-hotfix` is **released**")
    assert section(text, "Networks compatibility")[2:] == [
        "| `release-mainnet`     | ✔          |",
        "| `release-preprod`     | ✔          |",
        "| `pre-release-preview` | ✔          |",
        "| `testing-preview`     | ⛔          |",
    ]


def test_body_install_and_verification_commands(networks, report, verification, archives):
    lines = body(networks, report, verification, archives, ReleaseStage.PRERELEASE).splitlines()
    assert SIGNER_INSTALL in lines
    assert SIGNER_INSTALL.replace("mithril-signer", "mithril-aggregator") in lines
    assert not any("-c mithril-common" in line for line in lines)  # not shipped
    for command in [
        "   head -n 1 mithril.pub",
        "   minisign -Vm CHECKSUM -p mithril.pub",
        "   sha256sum -c CHECKSUM --ignore-missing",
        "   minisign -Vm mithril-2543.1-hotfix-linux-x64.tar.gz -p mithril.pub",
    ]:
        assert command in lines
    assert any("key id `3C1B27A5E4F09D62`" in line for line in lines)
    assert not any("gpg" in line for line in lines)


def test_body_with_gpg_adds_the_gpg_check(networks, report, archives):
    with_gpg = Verification("mithril.pub", "3C1B27A5E4F09D62", gpg_key="0A1B2C3D4E5F6A7B")
    lines = body(networks, report, with_gpg, archives, ReleaseStage.PRERELEASE).splitlines()
    assert "   gpg --import public-key.gpg" in lines
    assert "   gpg --verify CHECKSUM.asc" in lines
    assert any("`0A1B2C3D4E5F6A7B`" in line for line in lines)


def test_body_regression_summary_in_plain_words(networks, report, impact, verification, archives):
    text = body(networks, report, verification, archives, ReleaseStage.PRERELEASE, impact)
    lines = section(text, "Regression gate")
    assert lines[0].startswith(
        "The epoch-window regression suite ran the signer and aggregator of this release through"
        " 119,750,400 registration cases on mainnet, preprod and preview, over 3 consecutive"
        " epochs"
    )
    assert lines[0].endswith("at every chain lag it sweeps: none lost signing.")
    assert section(text, "With this release's signer")[:3] == [
        "- on mainnet, signer 0.2.276 never lost signing with aggregator 0.7.90, 2603.1 and 0.7.93",
        "- on preprod, signer 0.2.276 never lost signing with aggregator 0.7.90, 2603.1 and 0.7.93",
        "- on preview, signer 0.2.276 never lost signing with aggregator 0.7.90, 2603.1 and 0.7.93",
    ]


def test_body_says_when_the_gate_did_not_run(networks, report, verification, archives):
    text = body(networks, report, verification, archives, ReleaseStage.PRERELEASE, regression=None)
    assert section(text, "Regression gate") == [
        "The epoch-window regression suite was not run for this release."
    ]


def rollback(networks, report, impact, **changes):
    data = RollbackInput(
        name="Mithril",
        signer_component="mithril-signer",
        broken_tag="2543.0",
        broken_signer_version="0.2.273",
        rollback_tag="2537.0",
        rollback_signer_version="0.2.268",
        install_command=INSTALLER,
        aggregator_version="0.7.90",
        impact=impact,
        rollback_outcome=report.outcome("0.2.268", "0.7.90"),
        networks=networks,
        archives=tuple(Archive(t, f"mithril-2537.0-{t}.tar.gz") for t in TARGETS),
        verification=Verification("mithril.pub", "3C1B27A5E4F09D62"),
    )
    return render_rollback(dataclasses.replace(data, **changes))


MAINNET_RESTART = (
    "- mainnet (aggregator 0.7.90): a signer restarted during the epoch after registering at"
    " its start: 48 h or more into the epoch (50 % of the moments in an epoch), it lost signing"
    " until the epoch's end: 30.8 h on average, at most 72 h"
)


def test_rollback_names_the_version_and_the_command(networks, report, impact):
    text = rollback(networks, report, impact)
    lines = text.splitlines()
    assert lines[0] == "# Roll the signer back to `0.2.268` (distribution `2537.0`)"
    assert SIGNER_INSTALL.replace("2543.1-hotfix", "2537.0") in lines
    assert "It must print `0.2.268`." in lines
    assert MAINNET_RESTART in lines
    # The download is checked before it replaces anything.
    assert "   minisign -Vm mithril-2537.0-linux-x64.tar.gz -p mithril.pub" in lines


def test_rollback_says_what_happens_to_the_stored_keys(networks, report, impact):
    keys = section(rollback(networks, report, impact), "Your stored keys")
    assert keys[0].startswith(
        "- Your KES key, operational certificate and cold key are not modified"
    )
    assert keys[1] == (
        "- Signer `0.2.268` does not reuse the protocol key that `0.2.273` stored for the coming"
        " epoch. At every registration it makes a fresh protocol key, signs it with your current"
        " KES"
        " key, and overwrites the stored one. There is nothing to delete by hand."
    )


def test_rollback_says_when_the_signer_signs_again(networks, report, impact):
    text = rollback(networks, report, impact)
    at_once = section(text, "When your signer signs again")
    assert at_once[0].startswith("At once: when it starts, signer `0.2.268` registers")
    assert "every 60 to 120 seconds" in at_once[0]
    # Preview is affected too (KES rotation): its aggregator is asked as well.
    check = section(text, "Check that your pool is registered")
    assert [line for line in check if line.startswith("# ")] == [
        "# release-mainnet",
        "# release-preprod",
        "# pre-release-preview",
    ]
    failing_restart = report.outcome("0.2.273", "0.7.90")  # a rollback that would fail restarts
    later = section(
        rollback(networks, report, impact, rollback_outcome=failing_restart),
        "When your signer signs again",
    )
    assert later[0].startswith("At the next epoch boundary:")


def upgrade(networks, report, impact, verification, archives):
    return render_upgrade(
        UpgradeInput(
            name="Mithril",
            tag=TAG,
            base_tag="2543.0",
            components=(
                ComponentUpgrade("mithril-signer", "0.2.273", "0.2.276"),
                ComponentUpgrade("mithril-aggregator", "0.7.90", "0.7.93"),
            ),
            changes=(
                "The signer signs its protocol key afresh with the current KES key at every"
                " registration.",
                "The aggregator accepts any KES period of the current epoch.",
            ),
            impact=impact,
            signer_component="mithril-signer",
            install_command=INSTALLER,
            archives=archives,
            verification=verification,
            networks=networks,
            regression=report.summary(("fixed", "fixed")),
            host_requirements="A host needs python3.",
        )
    )


def test_upgrade_says_what_changes_and_who_was_affected(
    networks, report, impact, verification, archives
):
    text = upgrade(networks, report, impact, verification, archives)
    assert text.splitlines()[0] == "# Upgrade to Mithril distribution `2543.1-hotfix`"
    assert section(text, "What changes")[2:] == [
        "| Component          | Before (`2543.0`) | After (`2543.1-hotfix`) |",
        "| ------------------ | ----------------- | ----------------------- |",
        "| mithril-signer     | `0.2.273`         | `0.2.276`               |",
        "| mithril-aggregator | `0.7.90`          | `0.7.93`                |",
    ]
    who = section(text, "Who was affected")
    assert who[1] == MAINNET_RESTART
    # Delays and the expiry policy are not lost signing: they are listed apart.
    assert not any("expired" in line or "later cycle" in line for line in who)
    improved = section(text, "Also improved")
    assert any("expired operational certificate" in line for line in improved)
    assert not any("lost signing until" in line for line in improved)
    assert section(text, "What a host needs") == ["A host needs python3."]


def test_upgrade_commands_and_checks(networks, report, impact, verification, archives):
    lines = upgrade(networks, report, impact, verification, archives).splitlines()
    assert SIGNER_INSTALL in lines
    assert SIGNER_INSTALL.replace("mithril-signer", "mithril-aggregator") in lines
    assert "   minisign -Vm CHECKSUM -p mithril.pub" in lines
    assert "   sha256sum -c CHECKSUM --ignore-missing" in lines
    assert "   ./mithril-signer --version  # must show 0.2.276" in lines
    assert [line.strip() for line in lines if " inspect --kes-key" in line] == [
        f"./mithril-signer inspect --kes-key kes.skey --opcert node.cert --network {network}"
        for network in ("mainnet", "preprod", "preview")
    ]
    assert "POOL_ID=$(./mithril-signer inspect --opcert node.cert --pool-id)" in lines


def affected_lines(text: str) -> list[str]:
    """The bullet list under the paragraph that opens "who was affected"."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if "lost signing where the earlier" in line)
    items = []
    for line in lines[start + 2 :]:
        if not line.startswith("- "):
            break
        items.append(line)
    return items


def test_the_four_documents_list_the_same_affected_items(
    networks, report, impact, verification, archives, tmp_path
):
    """One source, the same words: rollback.md, upgrade.md, the release body and the blog
    update print exactly the same list (issue: operators read each of them)."""
    post = (DATA / "blog-2543-mithril-format.md").read_text(encoding="utf-8")
    update = BlogUpdate(
        date=datetime.date(2025, 11, 7),
        tag=TAG,
        release_url=f"https://github.com/input-output-hk/mithril/releases/tag/{TAG}",
        previous_tag="2543.0",
        previous_release_url="https://github.com/input-output-hk/mithril/releases/tag/2543.0",
        previous_signer_version="0.2.273",
        signer_version="0.2.276",
        fixes=("A signer restarted late in an epoch registers again",),
        impact=impact,
        notes=tuple((name, f"https://example.invalid/{name}") for name in NOTE_FILES.values()),
    )
    documents = {
        "rollback": rollback(networks, report, impact),
        "upgrade": upgrade(networks, report, impact, verification, archives),
        "body": body(networks, report, verification, archives, ReleaseStage.RELEASE, impact),
        "blog": update_blog_post(post, update),
    }
    lists = {name: affected_lines(text) for name, text in documents.items()}
    assert lists["rollback"] == [f"- {line}" for line in impact.affected]
    assert len(lists["rollback"]) == 7
    assert all(found == lists["rollback"] for found in lists.values()), lists


def test_none_failed_holds_for_the_aggregator_each_network_runs(networks, report):
    """``[aggregators]``: preview's pre-release network already runs the hotfix's aggregator,
    mainnet one the suite has no model of; the statements say exactly what they hold for."""
    deployed = deployed_aggregators(
        networks,
        {"pre-release-preview": "0.7.93", "release-mainnet": "0.7.99"},
        default_version="0.7.90",
        fixed_version="0.7.93",
    )
    assert [(a.mithril_network, a.version, a.profile) for a in deployed] == [
        ("release-mainnet", "0.7.99", None),
        ("release-preprod", "0.7.90", "0.7.90"),
        ("pre-release-preview", "0.7.93", "fixed"),
    ]
    impact = operator_impact(
        report,
        deployed,
        broken_signer="0.2.273",
        previous_signer="0.2.268",
        fixed_signer="0.2.276",
        fixed_aggregator="0.7.93",
    )
    assert impact.not_judged == (
        "on mainnet, release-mainnet runs aggregator 0.7.99, which the regression suite has no"
        " model of: nothing is claimed for it",
    )
    assert impact.affected_networks == ("preprod", "preview")
    assert any(
        line.startswith("preview (aggregator 0.7.93): an operator rotating")
        for line in impact.affected
    )
    assert impact.with_deployed[-1].startswith(
        "on preview, with aggregator 0.7.93, signer 0.2.276 never lost signing"
    )


def test_an_aggregators_table_naming_an_unknown_network_is_refused(networks):
    with pytest.raises(NotesError, match=r"\[aggregators\] names release-mainet, not a Mithril"):
        deployed_aggregators(
            networks, {"release-mainet": "0.7.90"}, default_version="0.7.90", fixed_version="0.7.93"
        )
