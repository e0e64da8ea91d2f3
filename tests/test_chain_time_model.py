"""The time model against the public anchors, and its invariants."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from release.chain import (
    NETWORKS,
    ManualClock,
    TimeFormatError,
    TimeRangeError,
    WallClock,
    clock_for,
    parse_time,
)

DATA = Path(__file__).parent / "data" / "chain" / "anchors.json"
FACTS = json.loads(DATA.read_text())


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@pytest.mark.parametrize("name", ["mainnet", "preprod", "preview"])
def test_builtin_networks_match_the_genesis_facts(name):
    facts, network = FACTS["networks"][name], NETWORKS[name]
    assert network.epoch_length == facts["epoch_length_slots"]
    assert network.slot_length == facts["slot_length_s"]
    assert network.slots_per_kes_period == facts["slots_per_kes_period"]
    assert network.max_kes_evolutions == facts["max_kes_evolutions"]
    assert network.shelley_epoch == facts["shelley_start"]["epoch"]
    assert network.shelley_slot == facts["shelley_start"]["slot"]
    assert network.shelley_start == utc(facts["shelley_start"]["time"])


@pytest.mark.parametrize(
    "anchor", FACTS["time_anchors"], ids=lambda a: f"{a['network']}-{a['epoch']}"
)
def test_time_anchors(anchor):
    network = NETWORKS[anchor["network"]]
    start = utc(anchor["epoch_start"])
    assert network.epoch_start_time(anchor["epoch"]) == start
    assert network.epoch_of(network.slot_at(start)) == anchor["epoch"]
    assert network.epoch_of(network.slot_at(start - timedelta(seconds=1))) == anchor["epoch"] - 1
    first, last = anchor["kes_periods_spanned"]
    assert network.kes_periods_in_epoch(anchor["epoch"]) == range(first, last + 1)


def test_the_incident_log_line_is_in_preprod_epoch_250_kes_period_823():
    preprod = NETWORKS["preprod"]
    point = preprod.point(preprod.slot_at(utc("2025-11-06T17:07:14Z")))
    assert (point.epoch, point.kes_period) == (250, 823)
    assert preprod.hours_into_epoch(point.slot) == pytest.approx(113.12, abs=0.01)


@pytest.mark.parametrize("name", ["mainnet", "preprod"])
def test_every_long_epoch_spans_four_kes_periods_in_a_three_epoch_phase_cycle(name):
    network = NETWORKS[name]
    phases = set()
    for epoch in range(network.shelley_epoch + 300, network.shelley_epoch + 306):
        assert len(network.kes_periods_in_epoch(epoch)) == 4
        first = network.epoch_first_slot(epoch)
        phases.add((first % network.slots_per_kes_period) * 3 // network.slots_per_kes_period)
    assert phases == {0, 1, 2}


def test_a_preview_epoch_spans_one_or_two_kes_periods():
    preview = NETWORKS["preview"]
    spans = [len(preview.kes_periods_in_epoch(epoch)) for epoch in range(1000, 1009)]
    assert set(spans) == {1, 2}


def test_kes_evolutions_and_opcert_validity_window():
    preprod = NETWORKS["preprod"]
    slot = preprod.kes_period_first_slot(823)
    assert preprod.kes_evolutions(slot, 823) == 0
    assert preprod.kes_evolutions(slot - 1, 823) == -1
    assert not preprod.opcert_valid_at(slot - 1, 823)
    assert preprod.opcert_valid_at(slot, 823)
    expiry = preprod.opcert_expiry_slot(823)
    assert expiry == preprod.kes_period_first_slot(823 + 62)
    assert preprod.opcert_valid_at(expiry - 1, 823)
    assert not preprod.opcert_valid_at(expiry, 823)
    assert preprod.opcert_expiry_time(823) == preprod.time_of(expiry)


def test_times_before_the_shelley_era_are_refused_with_a_clear_error():
    mainnet = NETWORKS["mainnet"]
    with pytest.raises(TimeRangeError, match="Shelley"):
        mainnet.slot_at(utc("2019-01-01T00:00:00Z"))
    with pytest.raises(TimeRangeError, match="first Shelley slot"):
        mainnet.epoch_of(10)
    with pytest.raises(TimeRangeError, match="no timezone"):
        mainnet.slot_at(datetime(2025, 1, 1))


@given(
    st.datetimes(
        min_value=datetime(2023, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
    )
)
def test_slot_and_time_round_trip(moment):
    for network in NETWORKS.values():
        slot = network.slot_at(moment)
        assert network.time_of(slot) <= moment < network.time_of(slot + 1)
        epoch = network.epoch_of(slot)
        assert network.epoch_first_slot(epoch) <= slot <= network.epoch_last_slot(epoch)
        period = network.kes_period_of(slot)
        assert (
            network.kes_period_first_slot(period)
            <= slot
            < network.kes_period_first_slot(period + 1)
        )
        assert period in network.kes_periods_in_epoch(epoch)


def test_parse_time_requires_a_timezone():
    assert parse_time("2025-11-06T17:07:14Z") == utc("2025-11-06T17:07:14Z")
    assert parse_time("2025-11-06T19:07:14+02:00") == utc("2025-11-06T17:07:14Z")
    with pytest.raises(TimeFormatError, match="timezone"):
        parse_time("2025-11-06T17:07:14")
    with pytest.raises(TimeFormatError, match="ISO 8601"):
        parse_time("yesterday")


def test_clocks():
    preprod = NETWORKS["preprod"]
    fixed = clock_for(preprod, at="2025-11-06T17:07:14Z")
    assert isinstance(fixed, ManualClock)
    assert fixed.now().kes_period == 823
    assert clock_for(preprod, slot=106358400).now().epoch == 250
    wall = clock_for(preprod)
    assert isinstance(wall, WallClock)
    assert wall.now().epoch > 250
    with pytest.raises(TimeFormatError, match="not both"):
        clock_for(preprod, slot=1, at="2025-11-06T17:07:14Z")
    with pytest.raises(TimeRangeError):
        clock_for(NETWORKS["mainnet"], slot=5)
