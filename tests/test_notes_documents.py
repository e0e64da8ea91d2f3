"""The release body and the SPO notes, rendered with the inputs of the 2543.1 hotfix."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from release.config import ReleaseConfig
from release.notes import (
    Archive,
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
)

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
def verification():
    return Verification(minisign_public_key="mithril.pub", minisign_key_id="3C1B27A5E4F09D62")


@pytest.fixture(scope="module")
def archives():
    return tuple(Archive(target, f"mithril-{TAG}-{target}.tar.gz") for target in TARGETS)


def body(networks, report, verification, archives, stage, **changes):
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
        regression=report.summary(("fixed", "fixed"), incident=("0.2.273", "0.7.90")),
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


def test_body_regression_summary_in_plain_words(networks, report, verification, archives):
    text = body(networks, report, verification, archives, ReleaseStage.PRERELEASE)
    lines = section(text, "Regression gate")
    assert lines[0].startswith(
        "The epoch-window regression suite ran the signer and aggregator of this release through"
        " 5,702,400 registration cases on mainnet, preprod and preview, over 3 consecutive epochs"
    )
    assert lines[0].endswith("every case ended as it should.")
    assert "signer `0.2.273` with aggregator `0.7.90` fails" in lines[1]
    assert lines[2:] == [
        "- on mainnet and preprod: a signer restarted 48 h or more into the epoch"
        " (until the epoch ends)",
        "- on mainnet and preprod: a signer upgraded from the previous version 48 h or more into"
        " the epoch (until the epoch ends)",
    ]


def test_body_says_when_the_gate_did_not_run(networks, report, verification, archives):
    text = body(networks, report, verification, archives, ReleaseStage.PRERELEASE, regression=None)
    assert section(text, "Regression gate") == [
        "The epoch-window regression suite was not run for this release."
    ]


def rollback(networks, report, **changes):
    data = RollbackInput(
        name="Mithril",
        signer_component="mithril-signer",
        broken_tag="2543.0",
        broken_signer_version="0.2.273",
        rollback_tag="2537.0",
        rollback_signer_version="0.2.268",
        install_command=INSTALLER,
        aggregator_version="0.7.90",
        affected=report.outcome("0.2.273", "0.7.90").windows,
        rollback_outcome=report.outcome("0.2.268", "0.7.90"),
        networks=networks,
    )
    return render_rollback(dataclasses.replace(data, **changes))


def test_rollback_names_the_version_and_the_command(networks, report):
    text = rollback(networks, report)
    lines = text.splitlines()
    assert lines[0] == "# Roll the signer back to `0.2.268` (distribution `2537.0`)"
    assert SIGNER_INSTALL.replace("2543.1-hotfix", "2537.0") in lines
    assert "It must print `0.2.268`." in lines
    assert (
        "- on mainnet and preprod: a signer restarted 48 h or more into the epoch (until the"
        " epoch ends)" in lines
    )


def test_rollback_says_what_happens_to_the_stored_keys(networks, report):
    keys = section(rollback(networks, report), "Your stored keys")
    assert keys[0].startswith(
        "- Your KES key, operational certificate and cold key are not modified"
    )
    assert keys[1] == (
        "- Signer `0.2.268` does not reuse the protocol key that `0.2.273` stored for the coming"
        " epoch. At every registration it makes a fresh protocol key, signs it with your current"
        " KES"
        " key, and overwrites the stored one. There is nothing to delete by hand."
    )


def test_rollback_says_when_the_signer_signs_again(networks, report):
    at_once = section(rollback(networks, report), "When your signer signs again")
    assert at_once[0].startswith("At once: when it starts, signer `0.2.268` registers")
    assert "every 60 to 120 seconds" in at_once[0]
    # The aggregators to ask are those of the affected networks, preview is not one.
    assert at_once[-5:-1] == [
        "# release-mainnet",
        "curl -s https://aggregator.release-mainnet.api.mithril.network/aggregator"
        "/signers/registered/EPOCH | grep POOL_ID",
        "# release-preprod",
        "curl -s https://aggregator.release-preprod.api.mithril.network/aggregator"
        "/signers/registered/EPOCH | grep POOL_ID",
    ]
    failing_restart = report.outcome("0.2.273", "0.7.90")  # a rollback that would fail restarts
    later = section(
        rollback(networks, report, rollback_outcome=failing_restart), "When your signer signs again"
    )
    assert later[0].startswith("At the next epoch boundary:")


def upgrade(networks, report, verification, archives):
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
            affected_signer="0.2.273",
            affected_aggregator="0.7.90",
            affected=report.outcome("0.2.273", "0.7.90").windows,
            install_command=INSTALLER,
            archives=archives,
            verification=verification,
            networks=networks,
            regression=report.summary(("fixed", "fixed")),
        )
    )


def test_upgrade_says_what_changes_and_who_was_affected(networks, report, verification, archives):
    text = upgrade(networks, report, verification, archives)
    assert text.splitlines()[0] == "# Upgrade to Mithril distribution `2543.1-hotfix`"
    assert section(text, "What changes")[2:] == [
        "| Component          | Before (`2543.0`) | After (`2543.1-hotfix`) |",
        "| ------------------ | ----------------- | ----------------------- |",
        "| mithril-signer     | `0.2.273`         | `0.2.276`               |",
        "| mithril-aggregator | `0.7.90`          | `0.7.93`                |",
    ]
    assert section(text, "Who was affected")[1:3] == [
        "- on mainnet and preprod: a signer restarted 48 h or more into the epoch (until the"
        " epoch ends)",
        "- on mainnet and preprod: a signer upgraded from the previous version 48 h or more into"
        " the"
        " epoch (until the epoch ends)",
    ]


def test_upgrade_commands_and_checks(networks, report, verification, archives):
    lines = upgrade(networks, report, verification, archives).splitlines()
    assert SIGNER_INSTALL in lines
    assert SIGNER_INSTALL.replace("mithril-signer", "mithril-aggregator") in lines
    assert "   minisign -Vm CHECKSUM -p mithril.pub" in lines
    assert "   sha256sum -c CHECKSUM --ignore-missing" in lines
    assert "   ./mithril-signer --version  # must print 0.2.276" in lines
    assert [line.strip() for line in lines if "inv kes.check" in line] == [
        "inv kes.check --kes-key kes.skey --opcert node.cert --network mainnet",
        "inv kes.check --kes-key kes.skey --opcert node.cert --network preprod",
    ]
    assert lines[-1].startswith("The regression suite ran this signer and aggregator through")
