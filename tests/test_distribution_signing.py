"""Checksums and signatures, checked with the real ``sha256sum``, ``minisign`` and ``gpg``."""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import git
import nacl.pwhash.scrypt
import pytest

from release.distribution import _git as steps
from release.distribution.checksums import digest_file, digest_files
from release.distribution.errors import (
    ArtifactError,
    GpgError,
    SigningKeyError,
    SigningPasswordError,
)
from release.distribution.signing import (
    generate_minisign_key,
    load_minisign_key,
    planned_files,
    read_minisign_public_key,
    sign_distribution,
)
from release.distribution.versions import parse_distribution_version

VERSION = parse_distribution_version("2543.1-hotfix")
ARCHIVES = ["mithril-2543.1-hotfix-linux-x64.tar.gz", "mithril-2543.1-hotfix-macos-arm64.tar.gz"]
#: Cheap scrypt limits for tests (minisign's defaults take about a GiB and seconds).
LIGHT = {"opslimit": nacl.pwhash.scrypt.OPSLIMIT_MIN, "memlimit": nacl.pwhash.scrypt.MEMLIMIT_MIN}


def run(*command: str | Path, cwd: Path | None = None, stdin: str | None = None, env=None):
    return subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        input=stdin,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def dist(tmp_path):
    directory = tmp_path / "dist"
    directory.mkdir()
    for index, name in enumerate(ARCHIVES):
        (directory / name).write_bytes(os.urandom(200_000 + index))
    (directory / "VERSION").write_text("2543.1-hotfix\n")
    return directory


@pytest.fixture
def key_files(tmp_path):
    secret, public = tmp_path / "keys" / "minisign.key", tmp_path / "keys" / "minisign.pub"
    key_id = generate_minisign_key(secret, public)
    return secret, public, key_id


@pytest.fixture(scope="session")
def gpg_home():
    """A throwaway keyring with one passphrase-less signing key; its fingerprint."""
    home = Path(tempfile.mkdtemp(prefix="g", dir="/tmp"))  # short: gpg-agent socket paths
    environment = {**os.environ, "GNUPGHOME": str(home)}
    created = run(
        "gpg",
        "--batch",
        "--passphrase",
        "",
        "--quick-gen-key",
        "Release Tester <rt@example.invalid>",
        "ed25519",
        "sign",
        "never",
        env=environment,
    )
    assert created.returncode == 0, created.stderr
    listing = run("gpg", "--batch", "--with-colons", "--list-secret-keys", env=environment).stdout
    fingerprint = next(
        line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr")
    )
    yield home, fingerprint
    run("gpgconf", "--kill", "all", env=environment)
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def gpg_key(gpg_home, monkeypatch):
    home, fingerprint = gpg_home
    monkeypatch.setenv("GNUPGHOME", str(home))
    return fingerprint


def test_generated_key_has_minisign_formats_and_private_mode(key_files):
    secret, public, key_id = key_files
    assert secret.stat().st_mode & 0o777 == 0o600
    lines = public.read_text().splitlines()
    assert lines[0] == f"untrusted comment: minisign public key {key_id}"
    assert lines[1].startswith("RW") and len(lines[1]) == 56
    loaded = load_minisign_key(secret)
    assert loaded.public_key == read_minisign_public_key(public)
    assert loaded.public_key.key_id_hex == key_id
    with pytest.raises(SigningKeyError, match="already exists; a signing key is never overwritten"):
        generate_minisign_key(secret, public)


@pytest.mark.parametrize("password", [None, "correct horse"])
def test_real_minisign_signs_with_our_key(tmp_path, password):
    secret, public = tmp_path / "k.key", tmp_path / "k.pub"
    generate_minisign_key(secret, public, password=password, **LIGHT)
    document = tmp_path / "document.txt"
    document.write_text("signed by minisign itself\n")
    signed = run(
        "minisign",
        "-S",
        "-s",
        secret,
        "-m",
        document,
        "-t",
        "from minisign",
        stdin=f"{password}\n" if password else None,
    )
    assert signed.returncode == 0, signed.stderr + signed.stdout
    verified = run("minisign", "-Vm", document, "-p", public)
    assert verified.returncode == 0, verified.stderr
    assert "Trusted comment: from minisign" in verified.stdout


def test_we_load_a_key_made_by_minisign(tmp_path):
    secret, public = tmp_path / "m.key", tmp_path / "m.pub"
    made = run("minisign", "-G", "-W", "-s", secret, "-p", public)
    assert made.returncode == 0, made.stderr
    assert load_minisign_key(secret).public_key == read_minisign_public_key(public)


def test_encrypted_key_needs_the_right_password(tmp_path):
    secret, public = tmp_path / "e.key", tmp_path / "e.pub"
    generate_minisign_key(secret, public, password="s3cret", **LIGHT)
    assert load_minisign_key(secret, "s3cret").public_key == read_minisign_public_key(public)
    with pytest.raises(SigningPasswordError, match=r"e\.key: wrong password"):
        load_minisign_key(secret, "guess")
    with pytest.raises(SigningPasswordError, match=r"e\.key is encrypted: a password is needed"):
        load_minisign_key(secret)


def _key_line(path: Path) -> bytes:
    return base64.b64decode(path.read_text().splitlines()[1])


def _key_file(raw: bytes) -> str:
    return f"untrusted comment: x\n{base64.b64encode(raw).decode()}\n"


@pytest.mark.parametrize(
    ("mangle", "message"),
    [
        (lambda raw: "", r"not a minisign secret key file \(expected an 'untrusted comment: '"),
        (lambda raw: "untrusted comment: x\nnot base64!\n", r"line 2 is not base64"),
        (lambda raw: _key_file(raw[:-1]), r"157 bytes of key data, expected 158"),
        (lambda raw: _key_file(b"Xx" + raw[2:]), r"unsupported signature algorithm b'Xx'"),
        (lambda raw: _key_file(raw[:2] + b"Ar" + raw[4:]), r"unsupported key derivation b'Ar'"),
        (
            lambda raw: _key_file(raw[:70] + bytes([raw[70] ^ 1]) + raw[71:]),
            r"corrupted key \(the checksum does not match\)",
        ),
    ],
)
def test_bad_key_files_are_explained(key_files, tmp_path, mangle, message):
    secret = key_files[0]
    broken = tmp_path / "broken.key"
    broken.write_text(mangle(_key_line(secret)))
    with pytest.raises(SigningKeyError, match=rf"broken\.key: .*{message}"):
        load_minisign_key(broken)
    with pytest.raises(SigningKeyError, match=r"absent\.key: no such minisign secret key file"):
        load_minisign_key(tmp_path / "absent.key")


def test_signing_needs_a_built_distribution_and_writes_nothing_without_one(tmp_path, key_files):
    key = load_minisign_key(key_files[0])
    with pytest.raises(ArtifactError, match=r"nowhere: no such distribution directory"):
        sign_distribution(tmp_path / "nowhere", key, VERSION)
    assert not (tmp_path / "nowhere").exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "VERSION").write_text("2543.1-hotfix\n")
    with pytest.raises(
        ArtifactError, match=r"empty: no \*\.tar\.gz archive to sign \(build first\)"
    ):
        sign_distribution(empty, key, VERSION)
    assert sorted(os.listdir(empty)) == ["VERSION"]


def test_one_read_gives_both_digests(dist):
    path = dist / ARCHIVES[0]
    digest = digest_file(path)
    assert digest.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert digest.blake2b == hashlib.blake2b(path.read_bytes()).digest()
    assert digest_files([path, dist / "VERSION"], workers=2)[0] == digest


def test_signed_distribution_verifies_with_the_real_tools(dist, key_files):
    secret, _, key_id = key_files
    signed = sign_distribution(dist, load_minisign_key(secret), VERSION)
    names = sorted(os.listdir(dist))
    assert names == sorted(["VERSION", *ARCHIVES, *planned_files(ARCHIVES, gpg_key=None)])
    assert [path.name for path in signed.files] == planned_files(ARCHIVES, gpg_key=None)
    assert signed.public_key.key_id_hex == key_id

    checked = run("sha256sum", "-c", "CHECKSUM", cwd=dist)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert sorted(
        line.split()[1] for line in (dist / "CHECKSUM").read_text().splitlines()
    ) == sorted(["VERSION", "minisign.pub", *ARCHIVES])
    for name in ["CHECKSUM", *ARCHIVES]:
        verified = run("minisign", "-Vm", dist / name, "-p", dist / "minisign.pub")
        assert verified.returncode == 0, verified.stderr
        assert f"Trusted comment: version:2543.1-hotfix file:{name}" in verified.stdout

    tampered = dist / ARCHIVES[1]
    tampered.write_bytes(tampered.read_bytes()[:-1] + b"!")
    rejected = run("minisign", "-Vm", tampered, "-p", dist / "minisign.pub")
    assert rejected.returncode == 1
    assert "Signature verification failed" in rejected.stderr
    assert run("sha256sum", "-c", "CHECKSUM", cwd=dist).returncode == 1


def test_signing_is_reproducible_and_idempotent(dist, key_files, tmp_path):
    key = load_minisign_key(key_files[0])
    copy = tmp_path / "copy"
    shutil.copytree(dist, copy)
    first = sign_distribution(dist, key, VERSION)
    assert len(first.written) == len(first.files)
    files = {path.name: path.read_bytes() for path in first.files}
    again = sign_distribution(dist, key, VERSION, workers=1)
    assert again.written == ()
    elsewhere = sign_distribution(copy, key, VERSION)
    assert {path.name: path.read_bytes() for path in elsewhere.files} == files


def test_gpg_checksums_and_public_key_as_mithril_ships_them(dist, key_files, gpg_key):
    signed = sign_distribution(dist, load_minisign_key(key_files[0]), VERSION, gpg_key=gpg_key)
    assert [path.name for path in signed.files] == planned_files(ARCHIVES, gpg_key=gpg_key)
    verified = run("gpg", "--batch", "--verify", dist / "CHECKSUM.asc")
    assert verified.returncode == 0, verified.stderr
    assert "Good signature" in verified.stderr
    listed = run("gpg", "--batch", "--decrypt", dist / "CHECKSUM.asc").stdout
    names = [line.split("  ")[1] for line in listed.splitlines()]
    everything_but_itself = sorted(
        f"./{name}" for name in os.listdir(dist) if name != "CHECKSUM.asc"
    )
    assert names == everything_but_itself
    checked = run("sha256sum", "-c", "-", cwd=dist, stdin=listed)
    assert checked.returncode == 0, checked.stdout

    # A user with only the shipped public key verifies the list.
    user_home = Path(tempfile.mkdtemp(prefix="u", dir="/tmp"))
    try:
        user = {**os.environ, "GNUPGHOME": str(user_home)}
        assert run("gpg", "--batch", "--import", dist / "public-key.gpg", env=user).returncode == 0
        assert run("gpg", "--batch", "--verify", dist / "CHECKSUM.asc", env=user).returncode == 0
    finally:
        run("gpgconf", "--kill", "all", env=user)
        shutil.rmtree(user_home, ignore_errors=True)

    asc = (dist / "CHECKSUM.asc").read_bytes()
    again = sign_distribution(dist, load_minisign_key(key_files[0]), VERSION, gpg_key=gpg_key)
    assert again.written == ()
    assert (dist / "CHECKSUM.asc").read_bytes() == asc


def test_release_tag_is_gpg_signed_when_configured(tmp_path, gpg_key, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Release Tester")
        config.set_value("user", "email", "rt@example.invalid")
    repo.index.commit("release commit")
    outcome = steps.ensure_tag(
        repo, VERSION.tag, message="Mithril distribution 2543.1-hotfix", gpg_key=gpg_key
    )
    assert outcome.detail.endswith(f"signed by {gpg_key}")
    verified = run("git", "tag", "-v", VERSION.tag, cwd=tmp_path / "repo")
    assert verified.returncode == 0, verified.stderr
    assert "Good signature" in verified.stderr


def test_a_tag_signing_failure_names_the_key_and_leaves_no_tag(tmp_path, gpg_key, monkeypatch):
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    repo = git.Repo.init(tmp_path / "repo", initial_branch="main")
    with repo.config_writer() as config:
        config.set_value("user", "name", "Release Tester")
        config.set_value("user", "email", "rt@example.invalid")
    repo.index.commit("release commit")
    unknown = "0x0123456789ABCDEF"
    with pytest.raises(
        GpgError, match=rf"signing tag 2543\.1-hotfix with GPG key {unknown} failed"
    ):
        steps.ensure_tag(repo, VERSION.tag, message="x", gpg_key=unknown)
    assert VERSION.tag not in [tag.name for tag in repo.tags]


def test_secret_key_never_leaves_the_key_file(tmp_path, dist, capsys, caplog):
    caplog.set_level(logging.DEBUG)
    secret, public = tmp_path / "keys" / "release.key", tmp_path / "keys" / "release.pub"
    generate_minisign_key(secret, public, password="pw", **LIGHT)
    key = load_minisign_key(secret, "pw")
    secret_bytes = key._signing_key.encode() + bytes(key._signing_key.verify_key)
    seed = secret_bytes[:32]
    forms = [
        seed,
        secret_bytes,
        seed.hex().encode(),
        seed.hex().upper().encode(),
        base64.b64encode(seed),
        base64.b64encode(secret_bytes),
    ]
    sign_distribution(dist, key, VERSION)
    messages = [repr(key), str(key.public_key), key.public_key.file_text()]
    for attempt in ("wrong", None):
        with pytest.raises(SigningKeyError) as failure:
            load_minisign_key(secret, attempt)
        messages.append(str(failure.value))
    captured = capsys.readouterr()
    haystacks = [
        captured.out.encode(),
        captured.err.encode(),
        caplog.text.encode(),
        *(message.encode() for message in messages),
    ]
    haystacks += [
        path.read_bytes() for path in tmp_path.rglob("*") if path.is_file() and path != secret
    ]
    for haystack in haystacks:
        for form in forms:
            assert form not in haystack
