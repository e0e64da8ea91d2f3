"""The run-loop model against the behaviour table of the Mithril facts (§2, §3): delays
of one cycle within the chain lag, the incident's lost hours, the expiry policy, 550/500,
and the recording epoch taken from the aggregator's epoch settings."""

from __future__ import annotations

import pytest

from release.chain import NETWORKS
from release.kes import OpCert, keygen
from release.nodes import AGGREGATOR_PROFILES, SIGNER_PROFILES, KesCredentials
from release.nodes.messages import Registration
from release.regression.families import FAMILIES
from release.regression.world import InProcessBackend, KeyRing, Outcome, RoundFront, Stage

PREPROD = NETWORKS["preprod"]
EPOCH = 250  # the incident's epoch: KES periods 820..823


@pytest.fixture(scope="module")
def keys():
    return KeyRing()


@pytest.fixture
def backend(keys):
    backend = InProcessBackend({keys.pool_id: 1})
    yield backend
    backend.close()


def stage(backend, keys, signer, aggregator, *, lag=0, run_interval=60, epoch=EPOCH):
    return Stage(
        backend,
        keys,
        PREPROD,
        epoch,
        signer,
        aggregator,
        lag_seconds=lag,
        run_interval=run_interval,
    )


@pytest.mark.parametrize("aggregator", AGGREGATOR_PROFILES)
@pytest.mark.parametrize("signer", SIGNER_PROFILES)
def test_a_fresh_signature_within_the_lag_after_a_boundary(backend, keys, signer, aggregator):
    """The aggregator's node 60 s behind; a new signer signs 5 s after the KES boundary of
    period 822. The strict window {m-1, m} refuses evolutions m+1 and the next cycle (60 s
    later, when the aggregator's node has crossed the boundary too) registers: a delay of
    one cycle. The wider windows accept at once (spec §3: "a delay of one cycle, not a lost
    epoch")."""
    boundary = PREPROD.kes_period_first_slot(822)
    outcome = FAMILIES["start-up"].play(
        stage(backend, keys, signer, aggregator, lag=-60), "", boundary + 5
    )
    if aggregator == "0.7.90":
        assert (outcome.kind, outcome.retries, outcome.seconds) == (Outcome.DELAYED, 1, 60.0)
    else:
        assert (outcome.kind, outcome.retries) == (Outcome.FIRST_ATTEMPT, 0)
    # Outside the lag (70 s after the boundary) every pair registers at once.
    later = FAMILIES["start-up"].play(
        stage(backend, keys, signer, aggregator, lag=-60), "", boundary + 70
    )
    assert later.kind is Outcome.FIRST_ATTEMPT


@pytest.mark.parametrize("lag", [-120, 0, 120])
def test_the_incident_loses_signing_until_the_epoch_ends(backend, keys, lag):
    """0.2.273 with 0.7.90, registered at the epoch's first slot (KES period 820, 24 h
    into it), restarted 60 h in (period 822: two boundaries later, at 12 h and 48 h): the
    stale signature is refused at every cycle and signing is lost for the 60 h left in the
    epoch."""
    first = PREPROD.epoch_first_slot(EPOCH)
    assert PREPROD.kes_period_of(first) == 820
    assert PREPROD.kes_period_first_slot(822) == first + 48 * 3600
    outcome = FAMILIES["restart"].play(
        stage(backend, keys, "0.2.273", "0.7.90", lag=lag), "", first + 60 * 3600
    )
    assert outcome.kind is Outcome.LOST
    assert outcome.seconds == 60 * 3600
    assert "CurrentKesPeriod=22" in outcome.detail  # evolutions 22, made at 20
    # The rollback target, and the upstream hotfix, keep signing.
    for signer in ("0.2.268", "0.2.276", "fixed"):
        kept = FAMILIES["restart"].play(
            stage(backend, keys, signer, "0.7.90", lag=lag), "", first + 60 * 3600
        )
        assert kept.kind is Outcome.FIRST_ATTEMPT, signer


def test_one_boundary_after_the_first_registration_the_stale_signature_still_verifies(
    backend, keys
):
    first = PREPROD.epoch_first_slot(EPOCH)
    outcome = FAMILIES["restart"].play(
        stage(backend, keys, "0.2.273", "0.7.90"), "", first + 30 * 3600
    )
    assert outcome.kind is Outcome.FIRST_ATTEMPT


@pytest.mark.parametrize(
    ("signer", "aggregator", "expected"),
    [
        ("0.2.268", "0.7.90", Outcome.ACCEPTED_EXPIRED),
        ("0.2.268", "2603.1", Outcome.ACCEPTED_EXPIRED),
        ("0.2.268", "fixed", Outcome.REFUSED_EXPIRED),
        ("fixed", "0.7.90", Outcome.REFUSED_EXPIRED),  # the fixed signer does not send it
        ("fixed", "fixed", Outcome.REFUSED_EXPIRED),
    ],
)
def test_an_expired_certificate_is_a_policy_outcome(backend, keys, signer, aggregator, expected):
    """No Mithril aggregator checks max_kes_evolutions (spec §3): accepting an expired
    certificate is not a failure of that version, refusing it is our policy."""
    boundary = PREPROD.kes_period_first_slot(
        PREPROD.kes_period_of(PREPROD.epoch_first_slot(EPOCH)) + 1
    )
    expired = FAMILIES["opcert-expiry"].play(
        stage(backend, keys, signer, aggregator), "", boundary + 10
    )
    assert expired.kind is expected
    assert not expired.failed
    valid = FAMILIES["opcert-expiry"].play(
        stage(backend, keys, signer, aggregator), "", boundary - 10
    )
    assert valid.kind is Outcome.FIRST_ATTEMPT


def _registration(keys, epoch):
    secret_key, vk = keygen(bytes(32))
    credentials = KesCredentials(secret_key, OpCert.issue(vk, keys.cold_seed, 0, 800))
    key = bytes(192)
    return Registration(
        epoch=epoch,
        protocol_key=key,
        kes_signature=credentials.sign(key, 20),
        opcert=credentials.opcert,
        kes_period=20,
        party_id=credentials.pool_id,
    )


def test_550_only_with_no_open_round_and_500_for_another_epoch(backend, keys):
    """openapi 0.1.54 at 2543.0: 550 when no registration round is open; 500 "unexpected
    signer registration round epoch" for a message of any other epoch than the open round."""
    world = stage(backend, keys, "fixed", "fixed")
    front = world.transport
    assert isinstance(front, RoundFront)
    boundary = PREPROD.epoch_first_slot(EPOCH + 1)
    world.clock.slot = boundary + 10
    world.clock.round_opens_at = boundary + 90
    # Between the epoch-change steps: no round open, whatever the epoch.
    for epoch in (EPOCH + 1, EPOCH + 2, EPOCH + 3):
        assert front.send(_registration(keys, epoch)).status == 550
    world.clock.slot = boundary + 90  # the round for EPOCH + 2 is open
    for epoch in (EPOCH + 1, EPOCH + 3):
        reply = front.send(_registration(keys, epoch))
        assert reply.status == 500
        assert "unexpected signer registration round epoch" in reply.message
    # The open round reaches the aggregator's own checks (here its KES window: 400).
    assert front.send(_registration(keys, EPOCH + 2)).status not in (500, 550)


def test_the_round_opened_late_delays_the_epoch_change_registration(backend, keys):
    """The aggregator opens its round 90 s after its epoch change: the signer's cycles at
    the change and 60 s later get 550, the one at 120 s registers (two retries)."""
    first = PREPROD.epoch_first_slot(EPOCH)
    outcome = FAMILIES["epoch-boundary"].play(
        stage(backend, keys, "fixed", "0.7.90"), "", first + 3600
    )
    assert (outcome.kind, outcome.retries, outcome.seconds) == (Outcome.DELAYED, 2, 120.0)
    assert "HTTP 550 round_not_opened" in outcome.detail


def test_the_recording_epoch_comes_from_the_aggregators_epoch_settings(backend, keys):
    """The aggregator's node 60 s behind at the epoch change: its epoch settings still say
    the previous epoch, so the signer waits (mithril-signer 2543.0 state_machine.rs,
    Unregistered: it registers only once epoch_settings.epoch >= its epoch) and never sends
    a registration for a round ahead of the aggregator's; the next cycle registers for the
    epoch after its own."""
    first = PREPROD.epoch_first_slot(EPOCH)
    world = stage(backend, keys, "fixed", "0.7.90", lag=-60)
    loop = world.run_loop(world.usual_credentials(), first + 10)
    assert loop.registered and loop.retries == 1 and loop.recording_epoch == EPOCH + 1
    assert world.aggregator.store.for_epoch(EPOCH + 1)
    assert not world.aggregator.store.for_epoch(EPOCH + 2)
    assert world.aggregator.verifications == 1  # the waiting cycle sent nothing


def test_cycles_in_an_unchanged_view_are_skipped_without_changing_the_outcome(backend, keys):
    first = PREPROD.epoch_first_slot(EPOCH)
    restart = first + 60 * 3600
    skipping = stage(backend, keys, "0.2.273", "0.7.90", lag=-10)
    fast = FAMILIES["restart"].play(skipping, "", restart)
    every = Stage(
        backend, keys, PREPROD, EPOCH, "0.2.273", "0.7.90", lag_seconds=-10, skip_unchanged=False
    )
    slow = FAMILIES["restart"].play(every, "", restart)
    assert fast.verdict == slow.verdict and fast.seconds == slow.seconds
    assert len(fast.views) < 10 < len(slow.views)  # 60 h of cycles: 3600 attempts


def test_the_in_process_backend_checks_each_certificate_once_and_refuses_a_forged_one(
    keys, monkeypatch
):
    """The suite's aggregators memoise certificate validations by value, per run and bounded:
    the same certificate is checked once however often it comes, and a forged one is
    refused every time."""
    checked = []
    validate = OpCert.validate
    monkeypatch.setattr(OpCert, "validate", lambda cert: checked.append(cert) or validate(cert))
    backend = InProcessBackend({keys.pool_id: 1})
    try:
        aggregator, transport, clock = backend.open(PREPROD, "fixed")
        clock.slot = PREPROD.epoch_first_slot(EPOCH)
        credentials = keys.credentials(PREPROD.kes_period_of(clock.slot) - 20)
        key = keys.next_protocol_key()
        honest = Registration(
            epoch=EPOCH + 1, protocol_key=key, kes_signature=credentials.sign(key, 20),
            opcert=credentials.opcert, kes_period=20, party_id=credentials.pool_id,
        )  # fmt: skip
        assert [transport.send(honest).status for _ in range(3)] == [201, 201, 201]
        assert checked == [honest.opcert]
        opcert = honest.opcert
        forged = OpCert(
            opcert.kes_vk, opcert.issue_number, opcert.start_kes_period,
            bytes(64), opcert.cold_vk,
        )  # fmt: skip
        refused = Registration(
            epoch=EPOCH + 1, protocol_key=honest.protocol_key,
            kes_signature=honest.kes_signature, opcert=forged, kes_period=20,
            party_id=honest.party_id,
        )  # fmt: skip
        assert [transport.send(refused).status for _ in range(2)] == [400, 400]
        assert checked == [honest.opcert, forged]
        assert aggregator.opcert_check.cache_info().maxsize is not None  # type: ignore[attr-defined]
    finally:
        backend.close()
