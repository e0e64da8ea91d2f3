"""The shipped executables themselves: reproducible per-target builds from the committed lock,
run on a Python with nothing installed, wheels of each target's platform, a wheel cache that is
checked against the lock, and the committed complete platforms as their script writes them."""

from __future__ import annotations

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest
from executables_support import EPOCH, ROOT, built_from, shipped

from release.chain import NETWORKS
from release.config import load_config
from release.distribution import executables, wheels
from release.distribution.build import build_distribution
from release.distribution.errors import BuildError
from release.distribution.targets import TARGETS, host_requirement, host_requirements_markdown
from release.distribution.versions import parse_distribution_version
from release.kes import (
    OpCert,
    cold_verification_key,
    kes_signing_key_envelope,
    keygen,
    opcert_envelope,
    pool_id_from_cold_vk,
)

__all__ = ["shipped"]  # the session fixture, imported for pytest

LOCKED = {wheel.project: wheel.version for wheel in wheels.load_lock().wheels.values()}


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cold_cache(tmp_path, monkeypatch):
    """An empty build cache whose wheel directories are the ones ``scripts/setup.sh`` filled
    (and whose pex root, pex's own cache of its tools, is the usual one)."""
    filled = [wheels.wheel_directory(target, download=False) for target in TARGETS]
    filled_root = wheels.cache_root()
    (filled_root / "pex-root").mkdir(exist_ok=True)
    filled.append(filled_root / "pex-root")

    def fresh(name: str) -> Path:
        root = tmp_path / name
        for directory in filled:
            link = root / directory.relative_to(filled_root)
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(directory)
        monkeypatch.setenv(wheels.CACHE_ENV, str(root))
        return root

    return fresh


def test_two_builds_give_the_same_bytes(tmp_path, cold_cache):
    digests = []
    for name in ("one", "two"):
        root = cold_cache(name)
        built = built_from(ROOT, tmp_path / f"out-{name}", ("linux-x64", "windows-x64"))
        assert len(list((root / "builds").iterdir())) == 3  # each built here: 2 pex, 1 lib
        windows = built["windows-x64"]["signer"].parent
        digests.append(
            {
                "linux signer": sha256(built["linux-x64"]["signer"]),
                "linux aggregator": sha256(built["linux-x64"]["aggregator"]),
                "windows signer": sha256(built["windows-x64"]["signer"]),
                "windows lib": sorted(
                    (p.relative_to(windows).as_posix(), sha256(p))
                    for p in (windows / "lib").rglob("*")
                    if p.is_file()
                ),
            }
        )
    assert digests[0] == digests[1]


def test_a_rebuild_comes_from_the_cache(tmp_path, cold_cache, monkeypatch):
    cold_cache("cache")
    first = built_from(ROOT, tmp_path / "first")["linux-x64"]["signer"]

    def no_build(command: list[str], what: str) -> None:
        raise AssertionError(f"rebuilt: {what}")

    monkeypatch.setattr(executables, "_run", no_build)
    again = built_from(ROOT, tmp_path / "again")["linux-x64"]["signer"]
    assert sha256(again) == sha256(first)
    # A changed input is a new build.
    with pytest.raises(AssertionError, match="rebuilt: pex build for linux-x64"):
        built_from(ROOT, tmp_path / "other", version="9.9.10")


def bare_python(tmp_path: Path) -> Path:
    """A Python with nothing installed: a fresh venv without pip, from the base interpreter."""
    base = getattr(sys, "_base_executable", sys.executable)
    venv = tmp_path / "bare"
    subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    probe = subprocess.run(
        [python, "-I", "-c", "import nacl"], capture_output=True, text=True, check=False
    )
    assert probe.returncode != 0 and "No module named 'nacl'" in probe.stderr
    return python


def test_the_linux_signer_registers_on_a_python_with_nothing_installed(tmp_path, shipped):
    python = bare_python(tmp_path)
    signer, aggregator = shipped["linux-x64"]["signer"], shipped["linux-x64"]["aggregator"]
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PEX_"))},
        "PEX_ROOT": str(tmp_path / "pex-root"),
    }
    version = subprocess.run(
        [python, "-I", signer, "--version", "--verbose"],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    assert version.returncode == 0, version.stderr
    lines = version.stdout.splitlines()
    assert lines[0] == "mithril-signer 9.9.9 (behaviour fixed)"
    assert lines[1].startswith(f"Python {sys.version.split()[0]} (")
    assert lines[2:] == [f"{project} {LOCKED[project]}" for project in sorted(LOCKED)]

    secret_key, vk = keygen(b"\x31" * 32)
    cold = b"\x32" * 32
    (tmp_path / "kes.skey").write_text(kes_signing_key_envelope(secret_key))
    (tmp_path / "node.cert").write_text(opcert_envelope(OpCert.issue(vk, cold, 0, 800)))
    pool = pool_id_from_cold_vk(cold_verification_key(cold))
    (tmp_path / "stake.json").write_text(json.dumps({pool: 100}))
    slot = str(NETWORKS["preprod"].epoch_first_slot(250))  # KES period 823: the opcert's + 23
    server = subprocess.Popen(
        [python, "-I", aggregator, "--network", "preprod", "--slot", slot, "--port", "0",
         "--quiet", "--stake", tmp_path / "stake.json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=environment,
    )  # fmt: skip
    try:
        line = server.stdout.readline()
        assert line.startswith("listening on "), server.stderr.read()
        registered = subprocess.run(
            [python, "-I", signer, "--network", "preprod", "--slot", slot,
             "--aggregator", line.removeprefix("listening on ").strip(), "--json",
             "--kes-key", tmp_path / "kes.skey", "--opcert", tmp_path / "node.cert"],
            capture_output=True, text=True, check=False, env=environment, timeout=60,
        )  # fmt: skip
    finally:
        server.terminate()
        server.communicate(timeout=30)
    assert registered.returncode == 0, registered.stderr
    report = json.loads(registered.stdout)
    assert (report["status"], report["pool_id"]) == ("registered", pool)


def other_pythons() -> list[Path]:
    """The CPython 3.11 to 3.13 interpreters of this machine besides the tool's own."""
    found = {Path(p) for p in ("/usr/bin/python3.11", "/usr/bin/python3.12", "/usr/bin/python3.13")}
    found |= set(Path(sys.base_prefix).parent.glob("3.1[123]*/bin/python3.1[123]"))
    own = Path(getattr(sys, "_base_executable", sys.executable)).resolve()
    return sorted(p for p in found if p.is_file() and p.resolve() != own)


def test_the_linux_signer_runs_on_every_python_of_this_machine(tmp_path, shipped):
    """Each CPython minor version picks its own wheels from the same pex (cp311, cp312...)."""
    pythons = other_pythons()
    assert pythons, "no other CPython 3.11 to 3.13 here: the run above is the only one"
    for python in pythons:
        version = subprocess.run(
            [python, "-I", shipped["linux-x64"]["signer"], "--version", "--verbose"],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, "PEX_ROOT": str(tmp_path / "pex-root")},
        )
        assert version.returncode == 0, (python, version.stderr)
        assert f"pyblst {LOCKED['pyblst']}" in version.stdout.splitlines(), python


def wheel_tags(wheel_file: bytes) -> set[str]:
    """The platform parts of a wheel's ``Tag:`` lines (compressed tag sets split)."""
    tags = set()
    for line in wheel_file.decode().splitlines():
        if line.startswith("Tag:"):
            python, _, platforms = line.removeprefix("Tag:").strip().split("-")
            tags |= {f"{python}-{platform}" for platform in platforms.split(".")}
    return tags


def archive_wheels(archive_path: Path, member: str) -> dict[str, set[str]]:
    """wheel name -> its tags, read from the pex ``member`` inside a release archive."""
    with tarfile.open(archive_path) as archive:
        pex = archive.extractfile(member).read()
    found = {}
    with zipfile.ZipFile(io.BytesIO(pex)) as inner:
        for name in inner.namelist():
            parts = name.split("/")
            if parts[0] == ".deps" and len(parts) == 4 and parts[3] == "WHEEL":
                found[parts[1]] = wheel_tags(inner.read(name))
    return found


def test_the_arm64_and_macos_archives_hold_wheels_of_their_platform(tmp_path, shipped):
    (tmp_path / "release.toml").write_text(
        "[distribution]\nname = 'Mithril'\n"
        "[[components]]\nname = 'mithril-signer'\nmanifest = 'a/Cargo.toml'\nbuilder = 'signer'\n"
        "[[components]]\nname = 'mithril-aggregator'\nmanifest = 'b/Cargo.toml'\n"
        "builder = 'aggregator'\n"
        "[signing]\nminisign_key = 'minisign.key'\n"
    )
    result = build_distribution(
        load_config(cwd=tmp_path),
        parse_distribution_version("2543.1"),
        versions={"mithril-signer": "9.9.9", "mithril-aggregator": "9.9.9"},
        epoch=EPOCH,
        dist_dir=tmp_path / "dist",
        stage_dir=tmp_path / "stage",
    )
    assert len({sha256(path) for path in result.files}) == len(result.files)  # all differ
    expected = {
        "linux-arm64": lambda tag: tag.endswith("_aarch64") and "manylinux" in tag,
        "macos-arm64": lambda tag: (
            tag.startswith(("macosx_", "cp")) and tag.endswith(("_arm64", "_universal2"))
        ),
    }
    for target, fits in expected.items():
        archive = result.dist_dir / f"mithril-2543.1-{target}.tar.gz"
        for member in ("mithril-signer", "mithril-aggregator"):
            found = archive_wheels(archive, member)
            assert {name.split("-")[0] for name in found} == set(LOCKED)
            for name, tags in found.items():
                platforms = {tag.split("-", 1)[1] for tag in tags}
                assert platforms == {"any"} or all(fits(p) for p in platforms), (name, tags)
            for python in ("cp311", "cp312", "cp313"):
                compiled = {
                    n.split("-")[0]
                    for n, tags in found.items()
                    if any(t.startswith(python + "-") for t in tags)
                }
                assert {"cbor2", "cffi", "pyblst"} <= compiled, (target, python)


def test_a_wheel_cache_unlike_the_lock_is_refused(tmp_path, monkeypatch):
    directory = wheels.wheel_directory("linux-x64", download=False)
    monkeypatch.setenv(wheels.CACHE_ENV, str(tmp_path))
    copy = tmp_path / directory.relative_to(directory.parents[2])
    copy.mkdir(parents=True)
    for path in directory.iterdir():
        (copy / path.name).write_bytes(path.read_bytes())
    assert wheels.wheel_directory("linux-x64", download=False) == copy
    victim = sorted(copy.glob("pyblst-*.whl"))[0]
    victim.write_bytes(victim.read_bytes() + b"\0")
    with pytest.raises(BuildError, match=rf"{victim.name} has sha256 .*, the lock says"):
        wheels.wheel_directory("linux-x64", download=False)
    victim.rename(copy / "stranger-1.0-py3-none-any.whl")
    with pytest.raises(BuildError, match=r"stranger-1\.0-py3-none-any\.whl is not a wheel of the"):
        wheels.wheel_directory("linux-x64", download=False)


def test_a_target_the_lock_has_no_wheels_for_is_named(tmp_path, monkeypatch):
    lock = json.loads(wheels.LOCK_FILE.read_text())
    for locked in lock["locked_resolves"][0]["locked_requirements"]:
        if locked["project_name"] == "pyblst":
            locked["artifacts"] = [a for a in locked["artifacts"] if "macosx" not in a["url"]]
    (tmp_path / "lock.json").write_text(json.dumps(lock))
    monkeypatch.setattr(wheels, "LOCK_FILE", tmp_path / "lock.json")
    monkeypatch.setenv(wheels.CACHE_ENV, str(tmp_path / "cache"))
    # pex refuses from the lock alone, before downloading anything.
    with pytest.raises(BuildError, match=r"target macos-arm64 cannot be built: .*pyblst"):
        wheels.wheel_directory("macos-arm64")
    assert not list((tmp_path / "cache" / "wheels").rglob("*.whl"))


def test_the_complete_platforms_are_what_their_script_writes(tmp_path):
    subprocess.run(
        [sys.executable, ROOT / "scripts" / "complete_platforms.py", tmp_path],
        check=True,
        capture_output=True,
    )
    committed = ROOT / "release" / "distribution" / "data" / "platforms"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in committed.iterdir())
    for path in tmp_path.iterdir():
        assert path.read_text() == (committed / path.name).read_text(), path.name
    linux = json.loads((committed / "linux-x64-cp312.json").read_text())
    assert linux["compatible_tags"][0] == "cp312-cp312-manylinux_2_28_x86_64"
    assert "cp312-abi3-manylinux2014_x86_64" in linux["compatible_tags"]
    assert not any("manylinux_2_29" in tag for tag in linux["compatible_tags"])


def test_the_lock_is_made_from_the_runtime_dependencies_of_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = {
        spec.replace(" ", "")
        for spec in project["dependencies"]
        if spec.split(">")[0].split("=")[0].lower() in {"pynacl", "cbor2", "bech32", "pyblst"}
    }
    assert set(wheels.load_lock().requirements) == {spec.lower() for spec in declared}


def test_each_target_says_what_its_host_needs():
    assert "python3 3.11 to 3.13" in host_requirement("linux-x64")
    assert "glibc 2.28" in host_requirement("linux-arm64")
    assert "macOS 11" in host_requirement("macos-arm64")
    assert "py mithril-signer.pyz" in host_requirement("windows-x64")
    assert all("nothing to pip install" in host_requirement(target) for target in TARGETS)
    with pytest.raises(BuildError, match="no builtin executables for target 'solaris'"):
        host_requirement("solaris")
    lines = host_requirements_markdown(["linux-x64", "windows-x64"]).splitlines()
    assert lines == [
        f"- `linux-x64`: {host_requirement('linux-x64')}.",
        f"- `windows-x64`: {host_requirement('windows-x64')}.",
    ]
