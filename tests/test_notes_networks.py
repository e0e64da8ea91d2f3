"""networks.json: Mithril networks per Cardano network, and where each stage is deployed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from release.notes import (
    NetworksFileError,
    ReleaseStage,
    compatibility,
    load_networks,
    parse_networks,
)

NETWORKS = Path(__file__).parent / "data" / "notes" / "networks.json"
FACTS = Path(__file__).parent / "data" / "sandbox" / "facts.json"


@pytest.fixture(scope="module")
def networks():
    return load_networks(NETWORKS)


def test_the_real_file_parses(networks):
    assert [network.name for network in networks] == ["mainnet", "preprod", "preview"]
    preview = networks[2]
    assert [mithril.name for mithril in preview.mithril_networks] == [
        "pre-release-preview",
        "testing-preview",
    ]
    assert [mithril.tier for mithril in preview.mithril_networks] == ["pre-release", "testing"]
    assert preview.minimum_node_versions == (
        ("mithril-signer", "10.4.1"),
        ("mithril-aggregator", "10.4.1"),
    )
    assert networks[0].mithril_networks[0].aggregator_urls == (
        "https://aggregator.release-mainnet.api.mithril.network/aggregator",
    )


@pytest.mark.parametrize(
    ("stage", "table"),
    [(ReleaseStage.PRERELEASE, "pre_release"), (ReleaseStage.RELEASE, "release_proposed")],
)
def test_compatibility_matches_the_published_tables(networks, stage, table):
    expected = json.loads(FACTS.read_text(encoding="utf-8"))["compatibility_tables"][table]
    computed = {
        name: "✔" if deployed else "⛔" for name, deployed in compatibility(networks, stage)
    }
    assert computed == expected
    assert list(computed) == list(expected)  # file order: mainnet, preprod, preview


def test_tiers_come_from_the_names_not_a_list():
    networks = parse_networks(
        json.dumps(
            {
                "sanchonet": {
                    "cardano-minimum-version": {"mithril-signer": "10.5.0"},
                    "mithril-networks": [
                        {"release-sanchonet": {"aggregators": []}},
                        {"pre-release-sanchonet": {"aggregators": []}},
                        {"testing-sanchonet": {"aggregators": []}},
                    ],
                }
            }
        )
    )
    assert compatibility(networks, ReleaseStage.PRERELEASE) == [
        ("release-sanchonet", False),
        ("pre-release-sanchonet", True),
        ("testing-sanchonet", False),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", "not JSON"),
        ("[]", "expected an object of Cardano network"),
        ('{"m": {"mithril-networks": []}}', r"m.cardano-minimum-version"),
        ('{"m": {"cardano-minimum-version": {}, "mithril-networks": {}}}', r"m.mithril-networks"),
        (
            '{"m": {"cardano-minimum-version": {}, "mithril-networks": [{"x": {"aggregators":'
            " [1]}}]}}",
            r"m.mithril-networks\[0\].x.aggregators",
        ),
    ],
)
def test_malformed_files_name_the_key(text, message):
    with pytest.raises(NetworksFileError, match=message):
        parse_networks(text, source="networks.json")


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(NetworksFileError, match=r"nope\.json: cannot read"):
        load_networks(tmp_path / "nope.json")
