"""Bad files and values given to the ``kes.*`` tasks: a message naming the culprit, no
traceback, nothing written; and the wording of the verdicts an operator acts on."""

from __future__ import annotations

import json
import stat
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import inv

from release import kes
from release.chain import NETWORKS, kes_status
from release.kes._envelope import TextEnvelope

PREPROD = NETWORKS["preprod"]
INCIDENT = datetime(2025, 11, 6, 17, 7, 14, tzinfo=UTC)
AT = "2025-11-06T17:07:14Z"
CURRENT_PERIOD = 823  # preprod's KES period at the incident
MESSAGE = b"registration".hex()
CHECK = ["kes.check", "kes.skey", "node.cert"]


@pytest.fixture
def pool(tmp_path) -> Path:
    """A KES key and the certificate of a pool, written as cardano-cli writes them."""
    sk, _ = kes.keygen(bytes(range(32)))
    (tmp_path / "kes.skey").write_text(kes.kes_signing_key_envelope(sk))
    (tmp_path / "cold.skey").write_text(kes.cold_signing_key_envelope(bytes(32)))
    _certificate(tmp_path, CURRENT_PERIOD - 10)
    return tmp_path


def _certificate(directory: Path, start: int) -> None:
    vk = kes.verification_key(kes.keygen(bytes(range(32)))[0])
    opcert = kes.OpCert.issue(vk, bytes(32), 0, start)
    (directory / "node.cert").write_text(kes.opcert_envelope(opcert))


def _tree(root: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(root.iterdir()) if path.is_file()}


def _refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip() == f"error: {message}"


@pytest.mark.parametrize(
    ("argv", "bad", "what"),
    [
        (["kes.check", "kes.skey", "node.cert", "--at", AT], "kes.skey", "KES signing key"),
        (
            ["kes.check", "kes.skey", "node.cert", "--at", AT],
            "node.cert",
            "operational certificate",
        ),
        (["kes.inspect", "node.cert"], "node.cert", "file"),
        (
            ["nodes.signer", "kes.skey", "node.cert", "http://127.0.0.1:9", "preprod", "--at", AT],
            "node.cert",
            "operational certificate",
        ),
    ],
)
def test_a_file_that_is_not_utf8_is_named(pool, argv, bad, what):
    (pool / bad).write_bytes(b'{"type": "\xff\xfe"}')
    before = _tree(pool)
    _refused(
        inv(*argv, cwd=pool),
        f"the {what} {bad} is not a text envelope: byte 10 is not UTF-8 text",
    )
    assert _tree(pool) == before


def test_a_huge_file_is_refused_unread(pool):
    with (pool / "node.cert").open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)  # sparse: 64 MiB of zeros
    result = inv(*CHECK, "--at", AT, cwd=pool)
    _refused(
        result,
        "the operational certificate node.cert is not a text envelope: larger than 65536 bytes",
    )


@pytest.mark.parametrize(
    ("bad", "content", "message"),
    [
        ("node.cert", "{}", 'the operational certificate node.cert: the text envelope has no "type"'
         " string"),
        ("kes.skey", "[1]", "the KES signing key kes.skey: a text envelope is a JSON object with"
         " type, description and cborHex"),
        ("node.cert", TextEnvelope("NodeOperationalCertificate", "", b"\xff").to_text(),
         "the operational certificate node.cert: operational certificate is not valid CBOR"),
    ],
)  # fmt: skip
def test_envelope_and_cbor_errors_name_the_file_of_the_two(pool, bad, content, message):
    (pool / bad).write_text(content)
    result = inv("kes.check", "kes.skey", "node.cert", "--at", AT, cwd=pool)
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr


def _check_lines(pool: Path, start: int) -> tuple[int, dict[str, str], list[str]]:
    _certificate(pool, start)
    result = inv("kes.check", "kes.skey", "node.cert", "--network", "preprod", "--at", AT, cwd=pool)
    lines = result.stdout.splitlines()
    fields = dict(line.split(": ", 1) for line in lines if not line.startswith("- "))
    return result.returncode, fields, [line[2:] for line in lines if line.startswith("- ")]


def test_a_certificate_not_yet_valid_shows_no_negative_evolutions(pool):
    code, fields, notes = _check_lines(pool, CURRENT_PERIOD + 20)
    assert code == 1
    assert fields["KES evolutions"] == (
        f"none yet: the certificate is not yet valid (starts at KES period {CURRENT_PERIOD + 20})"
    )
    assert "-20" not in "\n".join(fields.values())
    assert fields["certificate expires"].endswith(f"(KES period {CURRENT_PERIOD + 82})")
    assert notes[0].startswith(f"the certificate starts at KES period {CURRENT_PERIOD + 20}")


def test_an_expired_certificate_shows_no_count_past_the_maximum(pool):
    code, fields, notes = _check_lines(pool, 0)  # 823 evolutions at AT, of 62
    assert code == 1
    assert fields["KES evolutions"] == "all 62 used: the certificate has expired"
    assert "823" not in fields["KES evolutions"]
    assert "certificate expires" not in fields
    assert fields["certificate expired"].endswith("(KES period 62)")
    assert notes[0].startswith("the certificate expired at ")


def test_eleven_days_before_expiry_is_a_warning(pool):
    # The start period whose certificate expires 11 days (give or take a KES period) after AT.
    start = next(
        s
        for s in range(CURRENT_PERIOD, CURRENT_PERIOD - 62, -1)
        if kes_status(PREPROD, s, INCIDENT).remaining <= timedelta(days=11)
    )
    remaining = kes_status(PREPROD, start, INCIDENT).remaining
    assert timedelta(days=9) < remaining <= timedelta(days=11)
    code, fields, notes = _check_lines(pool, start)
    assert code == 0  # a warning, not yet an action
    assert fields["verdict"] == "ok, with warnings"
    assert notes == [kes_status(PREPROD, start, INCIDENT).message]
    assert notes[0].endswith("rotate the KES key soon")
    # Fifteen days ahead is no warning.
    later = next(
        s
        for s in range(CURRENT_PERIOD - 40, CURRENT_PERIOD)
        if kes_status(PREPROD, s, INCIDENT).remaining > timedelta(days=15)
    )
    code, fields, notes = _check_lines(pool, later)
    assert (code, fields["verdict"], notes) == (0, "ok", [])


def _verify_args(period: str) -> list[str]:
    sk, vk = kes.keygen(bytes(range(32)))
    signature = kes.sign(kes.evolve(sk, 5), bytes.fromhex(MESSAGE)).hex()
    return ["kes.verify", vk.hex(), MESSAGE, signature, "--period", period]


def test_verify_never_prints_none(tmp_path):
    valid = inv(*_verify_args("5"), cwd=tmp_path)
    assert valid.returncode == 0, valid.stderr
    assert valid.stdout == "valid: yes\nperiod: 5\n"
    elsewhere = inv(*_verify_args("4"), cwd=tmp_path)
    assert elsewhere.returncode == 1
    assert elsewhere.stdout == "valid: no\nperiod: 4\nsigned at period: 5\n"
    args = _verify_args("5")
    args[2] = b"another message".hex()
    nowhere = inv(*args, cwd=tmp_path)
    assert nowhere.returncode == 1
    assert "None" not in nowhere.stdout
    assert nowhere.stdout.endswith(
        "signed at period: none of 0..63 (another key or another message)\n"
    )
    as_json = inv(*args, "--json", cwd=tmp_path)
    assert json.loads(as_json.stdout)["signed_at_period"] is None


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("-1", "--period -1 is negative: give evolutions since the certificate's start, 0 or more"),
        ("64", "--period 64 is past a Sum6 key's life: give 0..63"),
    ],
)
def test_a_bad_period_value_is_named_as_such(tmp_path, period, message):
    _refused(inv(*_verify_args(period), cwd=tmp_path), message)


def test_a_missing_or_non_integer_period(tmp_path):
    args = _verify_args("0")[:-2]
    _refused(
        inv(*args, cwd=tmp_path),
        "--period is required: evolutions since the certificate's start",
    )
    result = inv(*args, "--period", "five", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == "--period 'five' is not an integer"


def test_issue_opcert_values_are_checked_the_same_way(pool):
    kes_vk = kes.verification_key(kes.keygen(bytes(range(32)))[0])
    (pool / "kes.vkey").write_text(kes.kes_verification_key_envelope(kes_vk))
    before = _tree(pool)
    base = ["kes.issue-opcert", "kes.vkey", "cold.skey", "--out", "new.cert"]
    _refused(
        inv(*base, "--kes-period", "-3", "--issue-number", "0", cwd=pool),
        "--kes-period -3 is negative: give the absolute KES period the certificate starts at,"
        " 0 or more",
    )
    _refused(
        inv(*base, "--kes-period", "800", "--issue-number", "-1", cwd=pool),
        "--issue-number -1 is negative: give the certificate's issue number, 0 or more",
    )
    assert _tree(pool) == before


@pytest.mark.parametrize("form", ["cardano-cli", "mithril"])
def test_a_sum6_key_typed_as_another_depth_is_refused(pool, form):
    sk, _ = kes.keygen(bytes(range(32)))
    envelope = TextEnvelope.parse(kes.kes_signing_key_envelope(sk, mithril=form == "mithril"))
    retyped = TextEnvelope("KesSigningKey_ed25519_kes_2^7", envelope.description, envelope.cbor)
    (pool / "kes.skey").write_text(retyped.to_text())
    size = kes.CLI_SECRET_KEY_SIZE if form == "cardano-cli" else kes.SECRET_KEY_SIZE
    message = (
        "the envelope's type 'KesSigningKey_ed25519_kes_2^7' does not match its key:"
        f" {size} bytes is a Sum6 (2^6-period) key, whose type is 'KesSigningKey_ed25519_kes_2^6'"
    )
    _refused(inv("kes.inspect", "kes.skey", cwd=pool), f"the file kes.skey: {message}")
    check = inv("kes.check", "kes.skey", "node.cert", "--at", AT, cwd=pool)
    _refused(check, f"the KES signing key kes.skey: {message}")


def _git_repo(path: Path) -> Path:
    subprocess.run(["git", "init", "-q", str(path)], check=True)
    return path


@pytest.mark.parametrize(
    ("task", "secret"), [("kes.keygen", "kes.skey"), ("kes.cold-keygen", "cold.skey")]
)
def test_key_generators_refuse_to_drop_a_secret_key_into_a_repository(tmp_path, task, secret):
    repo = _git_repo(tmp_path / "repo")
    (repo / "docs").mkdir()
    result = inv(task, cwd=repo / "docs")
    _refused(
        result,
        f"the current directory is in the git work tree {repo}, where {secret} could be"
        " committed: pass --out PATH (outside the repository, or ignored by git)",
    )
    assert sorted(p.name for p in repo.iterdir()) == [".git", "docs"]
    assert list((repo / "docs").iterdir()) == []


def test_a_key_goes_where_the_user_said_or_where_git_ignores_it(tmp_path):
    repo = _git_repo(tmp_path / "repo")
    said = inv("kes.keygen", "--out", "mine.skey", cwd=repo)
    assert said.returncode == 0, said.stderr
    assert stat.S_IMODE((repo / "mine.skey").stat().st_mode) == 0o600
    (repo / ".gitignore").write_text("*.skey\n")
    ignored = inv("kes.cold-keygen", cwd=repo)
    assert ignored.returncode == 0, ignored.stderr
    assert stat.S_IMODE((repo / "cold.skey").stat().st_mode) == 0o600


def test_a_replaced_secret_key_is_private_too(tmp_path):
    (tmp_path / "cold.skey").write_text("old")
    (tmp_path / "cold.skey").chmod(0o644)
    result = inv("kes.cold-keygen", "--force", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE((tmp_path / "cold.skey").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "cold.vkey").stat().st_mode) == 0o644
