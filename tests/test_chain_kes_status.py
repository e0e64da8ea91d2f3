"""kes_status: what ``inv kes.check`` tells an operator about a certificate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from release.chain import NETWORKS, KesVerdict, kes_status

PREPROD = NETWORKS["preprod"]
INCIDENT = datetime(2025, 11, 6, 17, 7, 14, tzinfo=UTC)


def test_a_fresh_certificate_at_the_incident():
    status = kes_status(PREPROD, 823, INCIDENT)
    assert (status.current_kes_period, status.evolutions, status.verdict) == (
        823,
        0,
        KesVerdict.VALID,
    )
    assert status.expiry_kes_period == 823 + 62
    assert status.expires_at == PREPROD.time_of(PREPROD.kes_period_first_slot(885))
    assert status.remaining == status.expires_at - INCIDENT
    assert "evolution 0 of 62" in status.message
    document = status.as_json()
    assert document["verdict"] == "valid"
    assert document["expires_at"].endswith("Z")


def test_verdicts_around_expiry():
    start = 823 - 61  # evolution 61 at the incident: the last valid one
    last_valid = kes_status(PREPROD, start, INCIDENT)
    assert last_valid.evolutions == 61
    assert last_valid.verdict is KesVerdict.EXPIRING
    assert "rotate the KES key soon" in last_valid.message
    expired = kes_status(PREPROD, start - 1, INCIDENT)
    assert expired.verdict is KesVerdict.EXPIRED
    assert expired.remaining == timedelta(0)
    assert "expired" in expired.message
    future = kes_status(PREPROD, 824, INCIDENT)
    assert future.verdict is KesVerdict.NOT_YET_VALID
    assert future.evolutions == -1


def test_warning_threshold_is_adjustable():
    status = kes_status(PREPROD, 823 - 58, INCIDENT, warn_within=timedelta(days=1))
    assert status.verdict is KesVerdict.VALID
    assert (
        kes_status(PREPROD, 823 - 58, INCIDENT, warn_within=timedelta(days=30)).verdict
        is KesVerdict.EXPIRING
    )
