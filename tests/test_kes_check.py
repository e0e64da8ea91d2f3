"""`inv kes.check`: the operator's verdict on a KES key and certificate at a given time."""

import json

import pytest

from release import kes

PREPROD_2771 = "2025-11-06T17:07:14Z"  # the log line of issue #2771: KES period 823 on preprod


@pytest.fixture
def pool(tmp_path):
    """A KES key and a certificate starting at KES period 820, as cardano-cli files."""
    sk, vk = kes.keygen(bytes([7]) * 32)
    cold_seed = bytes([9]) * 32
    (tmp_path / "kes.skey").write_text(kes.kes_signing_key_envelope(sk))
    (tmp_path / "node.cert").write_text(
        kes.opcert_envelope(kes.OpCert.issue(vk, cold_seed, 0, 820))
    )
    other_sk, other_vk = kes.keygen(bytes([8]) * 32)
    (tmp_path / "other.skey").write_text(kes.kes_signing_key_envelope(other_sk))
    (tmp_path / "rotated.cert").write_text(
        kes.opcert_envelope(kes.OpCert.issue(other_vk, cold_seed, 1, 823))
    )
    return tmp_path, kes.pool_id_from_cold_vk(kes.cold_verification_key(cold_seed))


def check(run_inv, cwd, *, at, opcert="node.cert"):
    """`inv kes.check --json` on preprod with kes.skey and ``opcert``, at the time ``at``."""
    result = run_inv(
        "kes.check",
        *("--kes-key", "kes.skey", "--opcert", opcert, "--network", "preprod", "--at", at),
        "--json",
        cwd=cwd,
    )
    return result.returncode, json.loads(result.stdout) if result.stdout else None, result.stderr


def test_a_matching_key_and_certificate_are_ok(run_inv, pool):
    cwd, pool_id = pool
    code, report, _ = check(run_inv, cwd, at=PREPROD_2771)
    assert code == 0
    assert report["pool_id"] == pool_id
    assert report["current_kes_period"] == 823
    assert report["evolutions"] == 3
    assert report["expiry_kes_period"] == 882
    assert report["expires_at"].startswith("2026-02-02T00:00:00")
    assert report["signs_now"] is True
    assert report["verdict"] == "ok"


def test_a_key_that_is_not_the_certified_one_needs_action(run_inv, pool):
    cwd, _ = pool
    code, report, _ = check(run_inv, cwd, at=PREPROD_2771, opcert="rotated.cert")
    assert code == 1
    assert report["key_matches_opcert"] is False
    assert report["verdict"] == "action needed"
    assert any("not the one the certificate endorses" in problem for problem in report["problems"])


def test_expired_and_not_yet_valid_certificates(run_inv, pool):
    cwd, _ = pool
    code, report, _ = check(run_inv, cwd, at="2026-03-01T00:00:00Z")
    assert code == 1
    assert report["verdict"] == "action needed"
    assert any("expired" in problem for problem in report["problems"])
    code, report, _ = check(run_inv, cwd, at="2025-10-01T00:00:00Z")
    assert code == 1
    assert any("starts at KES period 820" in problem for problem in report["problems"])


def test_close_to_expiry_is_a_warning_not_a_failure(run_inv, pool):
    cwd, _ = pool
    code, report, _ = check(run_inv, cwd, at="2026-01-30T00:00:00Z")
    assert code == 0
    assert report["verdict"] == "ok, with warnings"
    assert report["warnings"]


def test_human_output_and_bad_inputs(run_inv, pool):
    cwd, _ = pool
    result = run_inv(
        "kes.check",
        "--kes-key",
        "kes.skey",
        "--opcert",
        "node.cert",
        "--network",
        "preprod",
        "--at",
        PREPROD_2771,
        cwd=cwd,
    )
    assert result.returncode == 0, result.stderr
    assert "verdict: ok" in result.stdout
    unknown = run_inv(
        "kes.check", "--kes-key", "kes.skey", "--opcert", "node.cert", "--network", "nope", cwd=cwd
    )
    assert unknown.returncode == 2
    assert "nope" in unknown.stderr
    badtime = run_inv(
        "kes.check", "--kes-key", "kes.skey", "--opcert", "node.cert", "--at", "yesterday", cwd=cwd
    )
    assert badtime.returncode == 2
    assert "not an ISO 8601 time" in badtime.stderr
    swapped = run_inv("kes.check", "--kes-key", "node.cert", "--opcert", "kes.skey", cwd=cwd)
    assert swapped.returncode == 2
    assert "expected a KES signing key envelope" in swapped.stderr
