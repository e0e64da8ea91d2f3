"""Custom networks from TOML/JSON files, and clear errors naming the file and the key."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from release.chain import (
    NETWORKS,
    NetworkConfigError,
    UnknownNetworkError,
    get_network,
    get_networks,
    load_networks,
)

DEVNETS = Path(__file__).parent / "data" / "regression" / "devnets.toml"
DEVNET = {
    "epoch_length": 600,
    "slot_length": 0.1,
    "slots_per_kes_period": 129600,
    "max_kes_evolutions": 62,
    "shelley_epoch": 0,
    "shelley_slot": 0,
    "shelley_start": "2025-01-01T00:00:00Z",
}


def test_toml_file_with_top_level_tables():
    networks = load_networks(DEVNETS)
    assert set(networks) == {"tiny", "mithril-e2e"}
    tiny = networks["tiny"]
    assert (tiny.epoch_length, tiny.slots_per_kes_period) == (40, 15)
    assert tiny.kes_periods_in_epoch(3) == range(8, 11)  # slots 120..159


def test_json_file_under_a_networks_key(tmp_path):
    path = tmp_path / "nets.json"
    path.write_text(json.dumps({"networks": {"devnet": DEVNET}}))
    devnet = load_networks(path)["devnet"]
    assert devnet.slot_length == 0.1
    assert devnet.time_of(10).isoformat() == "2025-01-01T00:00:01+00:00"
    assert devnet.slot_at(devnet.time_of(12345)) == 12345


def test_a_network_round_trips_through_its_json_form(tmp_path):
    path = tmp_path / "nets.json"
    table = NETWORKS["preprod"].as_json()
    del table["name"]
    path.write_text(json.dumps({"copy": table}))
    copy = load_networks(path)["copy"]
    assert copy.as_json() == {**NETWORKS["preprod"].as_json(), "name": "copy"}


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"epoch_length": 0}, "network 'devnet': epoch_length must be a positive integer"),
        ({"epoch_length": "600"}, "devnet.epoch_length must be an integer"),
        ({"max_kes_evolutions": 70}, "only has 64 periods"),
        ({"slot_length": 0.0000001}, "whole number of microseconds"),
        ({"shelley_start": "2025-01-01T00:00:00"}, "devnet.shelley_start has no timezone"),
        ({"shelley_start": "soon"}, "devnet.shelley_start is not an ISO 8601 time"),
        ({"colour": "blue"}, "unknown key\\(s\\) colour"),
    ],
)
def test_bad_parameters_name_the_file_and_the_key(tmp_path, change, message):
    path = tmp_path / "nets.json"
    path.write_text(json.dumps({"devnet": {**DEVNET, **change}}))
    with pytest.raises(NetworkConfigError, match=message) as raised:
        load_networks(path)
    assert str(path) in str(raised.value)


def test_missing_parameters_are_listed(tmp_path):
    path = tmp_path / "nets.toml"
    path.write_text("[devnet]\nepoch_length = 10\n")
    with pytest.raises(NetworkConfigError, match="missing slot_length, slots_per_kes_period"):
        load_networks(path)


def test_file_level_errors(tmp_path):
    with pytest.raises(NetworkConfigError, match="cannot read the networks file"):
        load_networks(tmp_path / "absent.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[devnet\n")
    with pytest.raises(NetworkConfigError, match="not valid TOML"):
        load_networks(bad)
    other = tmp_path / "nets.yaml"
    other.write_text("devnet: {}")
    with pytest.raises(NetworkConfigError, match=r"\.toml or \.json"):
        load_networks(other)
    builtin = tmp_path / "nets.json"
    builtin.write_text(json.dumps({"mainnet": DEVNET}))
    with pytest.raises(NetworkConfigError, match="built-in network"):
        load_networks(builtin)


def test_lookup_by_name():
    custom = load_networks(DEVNETS)
    assert get_network("preview") is NETWORKS["preview"]
    assert get_network("tiny", custom) is custom["tiny"]
    assert [n.name for n in get_networks(["preview", "tiny", "preview"], custom)] == [
        "preview",
        "tiny",
    ]
    with pytest.raises(
        UnknownNetworkError, match="unknown network 'tiny'; known networks: mainnet"
    ):
        get_network("tiny")
