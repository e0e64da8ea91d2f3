"""Each signer and aggregator profile on hand-built scenarios, including the spec's worked
example (preprod epoch 250) and the aggregator log line of issue #2771."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from release.chain import NETWORKS, ManualClock
from release.kes import OpCert, keygen
from release.nodes import (
    Aggregator,
    AttemptStatus,
    InProcessTransport,
    KesCredentials,
    ProtocolKeyStore,
    Registration,
    RegistrationStore,
    Signer,
    aggregator_profile_for_version,
    get_verifier,
    signer_profile_for_version,
)
from release.nodes.errors import CredentialsError, ProfileError
from release.stm import new_protocol_key

PREPROD = NETWORKS["preprod"]
EPOCH = 250
FIRST = PREPROD.epoch_first_slot(EPOCH)  # KES period 820
COLD = bytes(range(32))
KES_A = keygen(b"A" * 32)
KES_B = keygen(b"B" * 32)
PROTOCOL_KEYS = [new_protocol_key(bytes([n]) * 32) for n in range(4)]


def slot_at(text: str) -> int:
    return PREPROD.slot_at(datetime.fromisoformat(text.replace("Z", "+00:00")))


def credentials(key=KES_A, start=800, issue=0) -> KesCredentials:
    secret_key, vk = key
    return KesCredentials(secret_key, OpCert.issue(vk, COLD, issue, start))


class World:
    """An aggregator at a movable slot and a signer store that survives restarts."""

    def __init__(self, verifier: str, network=PREPROD, stake=None) -> None:
        self.network = network
        self.clock = ManualClock(network, FIRST)
        pool = credentials().pool_id
        self.aggregator = Aggregator(
            network, verifier, stake or {pool: 10}, RegistrationStore(), self.clock
        )
        self.store = ProtocolKeyStore()

    def attempt(self, profile: str, slot: int, creds=None, *, aggregator_slot=None):
        self.clock.move_to(slot if aggregator_slot is None else aggregator_slot)
        signer = Signer(
            self.network,
            creds or credentials(),
            self.store,
            InProcessTransport(self.aggregator),
            profile=profile,
        )
        return signer.register(self.network.point(slot))


LATE = slot_at("2025-11-05T13:00:00Z")  # 85 h into epoch 250, KES period 823


def test_worked_example_restart_late_in_the_epoch_loses_35_hours():
    world = World("0.7.90")
    assert world.attempt("0.2.273", FIRST).status is AttemptStatus.REGISTERED
    failed = world.attempt("0.2.273", LATE)
    assert failed.status is AttemptStatus.REJECTED
    assert failed.http_status == 400
    assert (
        "KES signature verification error: CurrentKesPeriod=23, StartKesPeriod=800"
        in failed.message
    )
    # The signer retries every cycle with the same stale data until the epoch ends.
    retries = range(LATE + 90, PREPROD.epoch_last_slot(EPOCH) + 1, 3 * 3600)
    assert all(world.attempt("0.2.273", slot).status is AttemptStatus.REJECTED for slot in retries)
    lost = PREPROD.time_of(PREPROD.epoch_first_slot(EPOCH + 1)) - PREPROD.time_of(LATE)
    assert lost == timedelta(hours=35)
    # The next epoch starts over with a fresh key for the next recording epoch.
    assert (
        world.attempt("0.2.273", PREPROD.epoch_first_slot(EPOCH + 1)).status
        is AttemptStatus.REGISTERED
    )


@pytest.mark.parametrize(
    ("profile", "status"),
    [
        ("0.2.268", AttemptStatus.REGISTERED),
        ("0.2.276", AttemptStatus.ALREADY_REGISTERED),
        ("fixed", AttemptStatus.REGISTERED),
    ],
)
def test_the_other_profiles_survive_the_late_restart(profile, status):
    world = World("0.7.90")
    world.attempt(profile, FIRST)
    attempt = world.attempt(profile, LATE)
    assert attempt.status is status
    stored = world.aggregator.store.get(EPOCH + 1, credentials().pool_id)
    assert stored is not None
    assert stored.protocol_key == world.store.load(EPOCH + 1).protocol_key


def test_one_kes_period_of_drift_is_still_tolerated_by_the_strict_window():
    world = World("0.7.90")
    world.attempt("0.2.273", FIRST)  # KES period 820
    next_period = PREPROD.kes_period_first_slot(821)
    assert world.attempt("0.2.273", next_period).status is AttemptStatus.REGISTERED
    assert (
        world.attempt("0.2.273", PREPROD.kes_period_first_slot(822)).status
        is AttemptStatus.REJECTED
    )


def test_the_issue_log_line_after_a_kes_rotation():
    world = World("0.7.90")
    world.attempt("0.2.273", FIRST)
    incident = slot_at("2025-11-06T17:07:14Z")
    rotated = credentials(KES_B, start=823, issue=1)
    attempt = world.attempt("0.2.273", incident, rotated)
    assert (
        "KES signature verification error: CurrentKesPeriod=0, StartKesPeriod=823"
        in attempt.message
    )
    assert world.attempt("fixed", incident, rotated).status is AttemptStatus.REGISTERED


def test_upgrade_from_0_2_268_resends_its_stored_signature():
    world = World("0.7.90")
    world.attempt("0.2.268", FIRST)
    assert world.attempt("0.2.273", LATE).status is AttemptStatus.REJECTED
    assert world.attempt("fixed", LATE).status is AttemptStatus.REGISTERED


def test_store_semantics_per_profile():
    world = World("fixed")
    # 0.2.268: nothing stored when refused, replaced after each success.
    world.clock.move_to(FIRST)
    wrong_epoch = world.attempt(
        "0.2.268", FIRST, aggregator_slot=PREPROD.epoch_first_slot(EPOCH + 1)
    )
    assert wrong_epoch.status is AttemptStatus.REJECTED and world.store.load(EPOCH + 1) is None
    world.attempt("0.2.268", FIRST)
    first_key = world.store.load(EPOCH + 1).protocol_key
    world.attempt("0.2.268", FIRST + 10)
    assert world.store.load(EPOCH + 1).protocol_key != first_key

    # 0.2.273: insert or ignore, then the stored key and signature are sent.
    other = World("fixed")
    a = other.attempt("0.2.273", FIRST)
    b = other.attempt("0.2.273", LATE)
    assert a.sent.protocol_key == b.sent.protocol_key
    assert a.sent.kes_signature == b.sent.kes_signature
    assert b.sent.kes_period == 23  # current evolutions, with the old signature

    # 0.2.276: stored only after acceptance; nothing sent once stored.
    hotfix = World("fixed")
    refused = hotfix.attempt("0.2.276", FIRST, aggregator_slot=PREPROD.epoch_first_slot(EPOCH + 1))
    assert refused.status is AttemptStatus.REJECTED and hotfix.store.load(EPOCH + 1) is None
    assert hotfix.attempt("0.2.276", FIRST).status is AttemptStatus.REGISTERED
    skipped = hotfix.attempt("0.2.276", LATE)
    assert skipped.status is AttemptStatus.ALREADY_REGISTERED and skipped.sent is None

    # fixed: one key per recording epoch, signed afresh each time, no signature stored.
    fixed = World("fixed")
    a, b = fixed.attempt("fixed", FIRST), fixed.attempt("fixed", LATE)
    assert a.sent.protocol_key == b.sent.protocol_key
    assert a.sent.kes_signature != b.sent.kes_signature
    assert (a.sent.kes_period, b.sent.kes_period) == (20, 23)
    assert fixed.store.load(EPOCH + 1).kes_signature is None


@pytest.mark.parametrize(
    ("verifier", "m", "window"),
    [
        ("0.7.90", 0, [0]),
        ("0.7.90", 5, [4, 5]),
        ("0.7.90", 64, [63]),
        ("0.7.90", 65, []),
        ("0.7.90", -1, []),
        ("2603.1", 0, [0, 1]),
        ("2603.1", 5, [4, 5, 6]),
        ("2603.1", 63, [62, 63]),
        ("2603.1", 65, [63]),  # Rust: a period >= 63 verifies as 63
        ("2603.1", 66, []),
        ("fixed", 5, [2, 3, 4, 5, 6]),
        ("fixed", 61, list(range(2, 62))),
        ("fixed", 62, []),
    ],
)
def test_verifier_windows(verifier, m, window):
    assert list(get_verifier(verifier).window(m, 3, 62)) == window


def test_legacy_windows_accept_a_period_63_signature_at_evolutions_64_like_rust():
    network = NETWORKS["preprod"]
    start = 823 - 64
    creds = credentials(start=start)
    key = PROTOCOL_KEYS[1]
    signature = creds.sign(key, 63)
    registration = Registration(EPOCH + 1, key, signature, creds.opcert, 63)
    for verifier, accepted in (("0.7.90", True), ("2603.1", True), ("fixed", False)):
        clock = ManualClock(network, PREPROD.kes_period_first_slot(823))  # evolutions 64
        aggregator = Aggregator(network, verifier, {creds.pool_id: 1}, RegistrationStore(), clock)
        assert aggregator.handle_registration(registration).accepted is accepted, verifier


def test_aggregator_refusals():
    world = World("fixed")
    creds = credentials()
    key = PROTOCOL_KEYS[2]
    world.clock.move_to(LATE)

    def send(**changes):
        fields = {
            "epoch": EPOCH + 1,
            "protocol_key": key,
            "kes_signature": creds.sign(key, 23),
            "opcert": creds.opcert,
            "kes_period": 23,
        }
        return world.aggregator.handle_registration(Registration(**{**fields, **changes}))

    assert send().status == 201
    # Mithril: 500 for any epoch but the open round's; 550 only while no round is open.
    assert send(epoch=EPOCH + 2).status == 500
    assert send(epoch=EPOCH).status == 500
    world.aggregator.round_open = lambda: False
    closed = send()
    assert (closed.status, closed.label) == (550, "registration_round_not_yet_opened")
    world.aggregator.round_open = lambda: True
    forged = OpCert(creds.opcert.kes_vk, 0, 801, creds.opcert.signature, creds.opcert.cold_vk)
    reply = send(opcert=forged)
    assert (reply.status, reply.label) == (400, "failed_signer_registration")
    assert "not signed by its cold key" in reply.message
    assert "test-mode" in send(opcert=None).message
    stranger = KesCredentials(KES_A[0], OpCert.issue(KES_A[1], b"\x09" * 32, 0, 800))
    unknown = send(opcert=stranger.opcert, kes_signature=stranger.sign(key, 23))
    assert unknown.status == 400 and "not in the stake distribution" in unknown.message
    wrong_key = send(kes_signature=credentials(KES_B).sign(key, 23))
    assert "CurrentKesPeriod=23, StartKesPeriod=800" in wrong_key.message
    # A second registration replaces the first (insert or replace); the same key again too.
    other = PROTOCOL_KEYS[3]
    assert send(protocol_key=other, kes_signature=creds.sign(other, 22)).status == 201
    assert send(protocol_key=other, kes_signature=creds.sign(other, 22)).status == 201
    assert world.aggregator.store.count() == 1
    assert world.aggregator.store.get(EPOCH + 1, creds.pool_id).protocol_key == other
    # The proof is checked last: a swapped proof with a good KES signature is refused so.
    swapped = key[:96] + key[144:] + key[96:144]
    reply = send(protocol_key=swapped, kes_signature=creds.sign(swapped, 23))
    assert (reply.status, reply.label) == (400, "failed_signer_registration")
    assert "proof of possession does not match" in reply.message
    borrowed = key[:96] + other[96:]  # another key's proof
    reply = send(protocol_key=borrowed, kes_signature=creds.sign(borrowed, 23))
    assert "proof of possession does not match" in reply.message
    # ...and after the stake check: a stranger's bad proof is refused for its stake first.
    reply = send(
        opcert=stranger.opcert, protocol_key=swapped, kes_signature=stranger.sign(swapped, 23)
    )
    assert "not in the stake distribution" in reply.message


def test_fixed_aggregator_refuses_an_expired_certificate_and_the_fixed_signer_does_not_send_it():
    start = 823 - 62
    expired = credentials(start=start)
    world = World("fixed")
    legacy = world.attempt("0.2.268", LATE, expired)
    assert legacy.status is AttemptStatus.REJECTED
    assert "not valid at KES period 823" in legacy.message
    fixed = world.attempt("fixed", LATE, expired)
    assert fixed.status is AttemptStatus.FAILED and fixed.sent is None
    assert "expired" in fixed.message
    strict = World("0.7.90")
    assert (
        strict.attempt("0.2.268", LATE, expired).status is AttemptStatus.REGISTERED
    )  # the leniency


def test_signer_side_failures():
    world = World("fixed")
    beyond = world.attempt("0.2.268", LATE, credentials(start=823 - 64))  # evolutions 64
    assert (
        beyond.status is AttemptStatus.FAILED
        and "cannot KES-sign at evolutions 64" in beyond.message
    )
    future = world.attempt("fixed", LATE, credentials(start=900))
    assert (
        future.status is AttemptStatus.FAILED and "after the current period 823" in future.message
    )


def test_credentials_must_match():
    secret_key, _ = KES_A
    with pytest.raises(CredentialsError, match="does not match the operational certificate"):
        KesCredentials(secret_key, OpCert.issue(KES_B[1], COLD, 0, 800))
    with pytest.raises(ProfileError, match="unknown signer profile"):
        Signer(
            PREPROD,
            credentials(),
            ProtocolKeyStore(),
            InProcessTransport(World("fixed").aggregator),
            profile="0.2.270",
        )


@pytest.mark.parametrize(
    ("version", "profile"),
    [
        ("0.2.200", "0.2.268"),
        ("0.2.268", "0.2.268"),
        ("0.1.9", "0.2.268"),
        ("0.2.270", None),
        ("0.2.273", "0.2.273"),
        ("0.2.275", "0.2.273"),
        ("v0.2.274", "0.2.273"),
        ("0.2.276", "0.2.276"),
        ("0.2.277", None),
        ("1.0.0", None),
    ],
)
def test_signer_profile_for_version(version, profile):
    assert signer_profile_for_version(version) == profile


def test_signer_profile_for_version_rejects_garbage():
    with pytest.raises(ProfileError, match="signer version 'latest' is not SemVer"):
        signer_profile_for_version("latest")


@pytest.mark.parametrize(
    ("version", "profile"),
    [("0.7.84", "0.7.90"), ("0.7.90", "0.7.90"), ("0.7.91", None), ("0.8.0", None)],
)
def test_aggregator_profile_for_version(version, profile):
    assert aggregator_profile_for_version(version) == profile


def test_aggregator_profile_for_version_rejects_garbage():
    with pytest.raises(ProfileError, match="aggregator version 'unstable' is not SemVer"):
        aggregator_profile_for_version("unstable")
