"""The SPO diagnostics as an operator runs them: files written, exit codes, messages."""

import json
import stat
from pathlib import Path

from release import kes

DATA = Path(__file__).parent / "data" / "kes"
SEED = "00" * 32


def test_keygen_writes_cardano_cli_envelopes_with_a_private_signing_key(run_inv, tmp_path):
    result = run_inv("kes.keygen", "--seed", SEED, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    skey = (tmp_path / "kes.skey").read_text()
    assert stat.S_IMODE((tmp_path / "kes.skey").stat().st_mode) == 0o600
    sk = kes.kes_signing_key_from_envelope(skey)
    assert sk == kes.keygen(bytes(32))[0]
    assert report["kes_vk"] == kes.verification_key(sk).hex()
    assert SEED not in result.stdout + result.stderr
    assert sk.hex() not in result.stdout + result.stderr
    again = run_inv("kes.keygen", "--seed", SEED, cwd=tmp_path)
    assert again.returncode == 2
    assert "already exists (pass --force to replace it)" in again.stderr


def test_keygen_dry_run_writes_nothing(run_inv, tmp_path):
    result = run_inv("kes.keygen", "--dry-run", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_seed_is_refused_with_a_clear_message(run_inv, tmp_path):
    result = run_inv("kes.keygen", "--seed", "abcd", cwd=tmp_path)
    assert result.returncode == 2
    assert "--seed must be 32 bytes (64 hex digits), got 2 bytes" in result.stderr
    assert "Traceback" not in result.stderr


def test_issue_opcert_with_a_counter_file_then_inspect(run_inv, tmp_path):
    assert run_inv("kes.keygen", "--seed", SEED, cwd=tmp_path).returncode == 0
    assert run_inv("kes.cold-keygen", cwd=tmp_path).returncode == 0
    result = run_inv(
        "kes.issue-opcert",
        "--kes-vkey",
        "kes.vkey",
        "--cold-skey",
        "cold.skey",
        "--counter-file",
        "cold.counter",
        "--kes-period",
        "823",
        "--json",
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    issued = json.loads(result.stdout)
    assert issued["issue_number"] == 0
    next_issue, _ = kes.issue_counter_from_envelope((tmp_path / "cold.counter").read_text())
    assert next_issue == 1
    described = json.loads(run_inv("kes.inspect", "node.cert", "--json", cwd=tmp_path).stdout)
    assert described["start_kes_period"] == 823
    assert described["signature_valid"] is True
    assert described["pool_id"] == issued["pool_id"]
    assert described["kes_vk"] == kes.keygen(bytes(32))[1].hex()


def test_inspect_reports_the_seven_level_key_as_an_error(run_inv):
    result = run_inv("kes.inspect", str(DATA / "cardano-cli/keys_kes_keys_signing_key"))
    assert result.returncode == 2
    assert "704 bytes (a 7-level, 2^7-period KES key)" in result.stderr


def test_verify_exit_codes(run_inv):
    vectors = json.loads((DATA / "kes-crate/vectors.json").read_text())
    sig5 = vectors["sum6"]["sig_period5_448_hex"]
    args = [
        "kes.verify",
        "--vk",
        vectors["sum6"]["vk_hex__DERIVED"],
        "--message",
        vectors["message_hex"],
        "--signature",
        sig5,
    ]
    valid = run_inv(*args, "--period", "5")
    assert valid.returncode == 0, valid.stderr
    invalid = run_inv(*args, "--period", "4", "--json")
    assert invalid.returncode == 1
    assert json.loads(invalid.stdout) == {"valid": False, "period": 4, "signed_at_period": 5}
    malformed = run_inv(*args[:-1], sig5[:-2], "--period", "5")
    assert malformed.returncode == 2
    assert "448 raw bytes" in malformed.stderr
