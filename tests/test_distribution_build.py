"""The build: per-target executables of the fixed nodes, shell builds, reproducible archives,
VERSION. (The shipped executables themselves: test_distribution_executables.py.)"""

from __future__ import annotations

import gzip
import io
import json
import os
import subprocess
import sys
import tarfile
import textwrap
import zipfile
from pathlib import Path

import pytest

from release.config import load_config
from release.distribution.build import (
    build_distribution,
    build_executable,
    planned_files,
    runtime_files,
)
from release.distribution.errors import BuildError
from release.distribution.versions import parse_distribution_version

EPOCH = 1762509600  # 2025-11-07T10:00:00Z
VERSION = parse_distribution_version("2543.1-hotfix")
VENV_PATH = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}

STAND_IN = {
    "release/__init__.py": '"""Stand-in of the release package."""\n',
    "release/errors.py": "class StandInError(Exception):\n    pass\n",
    "release/nodes/__init__.py": "",
    "release/nodes/cli.py": """\
        import argparse

        from release.errors import StandInError
        from release.kes import describe

        from . import profiles


        def _main(prog, argv, version, behaviour):
            parser = argparse.ArgumentParser(prog=prog, description=f"stand-in {prog}")
            parser.add_argument("--version", action="version", version=f"{prog} {version}")
            parser.parse_args(argv)
            print(describe(), behaviour, profiles.NAMES, StandInError.__name__)
            return 0


        def signer_main(argv=None, *, version="dev", profile="fixed", dependencies=()):
            return _main("mithril-signer", argv, version, profile)


        def aggregator_main(argv=None, *, version="dev", verifier="fixed", dependencies=()):
            return _main("mithril-aggregator", argv, version, verifier)
        """,
    "release/nodes/profiles.py": "NAMES = ('fixed',)\n",
    "release/nodes/tests/test_cli.py": "def test_nothing():\n    pass\n",
    "release/nodes/__pycache__/cli.cpython-311.pyc": "not python\n",
    "release/kes/__init__.py": "def describe():\n    return 'kes'\n",
    # Packed too: the gate runs the regression suite from the executable itself.
    "release/regression/__init__.py": "from release.kes import describe\n",
    "release/kes/data/table.json": "[]\n",
    "release/publish/__init__.py": "import requests_not_needed\n",
    "release/pipeline.py": "import release.publish\n",
}


@pytest.fixture
def stand_in(tmp_path):
    root = tmp_path / "src"
    for name, text in STAND_IN.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return root


def run(*command: str | Path, **kwargs) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        **kwargs,
    )


def test_runtime_files_follow_imports_and_leave_the_rest_out(stand_in):
    assert sorted(runtime_files(stand_in)) == [
        "release/__init__.py",
        "release/errors.py",
        "release/kes/__init__.py",
        "release/kes/data/table.json",
        "release/nodes/__init__.py",
        "release/nodes/cli.py",
        "release/nodes/profiles.py",
        "release/regression/__init__.py",
    ]


def build_stand_in(stand_in: Path, target: str, out: Path):
    return build_executable(
        "signer",
        component="mithril-signer",
        version="0.2.276",
        target=target,
        output_dir=out,
        epoch=EPOCH,
        source_root=stand_in,
    )


def test_the_windows_zipapp_is_deterministic_and_finds_its_lib_folder(stand_in, tmp_path):
    first = build_stand_in(stand_in, "windows-x64", tmp_path / "a")
    second = build_stand_in(stand_in, "windows-x64", tmp_path / "b")
    assert first.path.name == "mithril-signer.pyz"
    assert first.path.read_bytes() == second.path.read_bytes()
    assert first.path.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    assert first.path.stat().st_mode & 0o777 == 0o755
    with zipfile.ZipFile(first.path) as archive:
        infos = archive.infolist()
        names = [info.filename for info in infos]
        assert names == sorted(names) and "__main__.py" in names
        assert all(info.date_time == (2025, 11, 7, 10, 0, 0) for info in infos)
        assert all(info.external_attr >> 16 == 0o100644 for info in infos)
        assert "version='0.2.276'" in archive.read("__main__.py").decode()
    libs = sorted({name.split("/")[1] for name in first.members if name.startswith("lib/")})
    assert libs == ["cp311", "cp312", "cp313"]
    # The stand-in imports no dependency, so it runs here too, beside its lib folder...
    completed = run(sys.executable, "-I", "-S", first.path, "--version")
    assert (completed.returncode, completed.stdout.strip()) == (0, "mithril-signer 0.2.276")
    # ... and refuses to start without it.
    (tmp_path / "a" / "lib").rename(tmp_path / "a" / "elsewhere")
    completed = run(sys.executable, "-I", "-S", first.path, "--version")
    assert "runs on CPython 3.11 to 3.13 with its lib folder beside it" in completed.stderr


def test_the_pex_runs_through_its_shebang(stand_in, tmp_path):
    built = build_stand_in(stand_in, "linux-x64", tmp_path)
    assert built.path.read_bytes().startswith(b"#!/usr/bin/env python3\n")
    completed = run(built.path, "--version", env=VENV_PATH)  # python3 found on PATH
    assert (completed.returncode, completed.stdout.strip()) == (0, "mithril-signer 0.2.276")
    completed = run(sys.executable, "-I", built.path)
    assert (completed.returncode, completed.stdout.split()) == (
        0,
        ["kes", "fixed", "('fixed',)", "StandInError"],
    )


def test_unknown_targets_are_named_not_built(stand_in, tmp_path):
    with pytest.raises(BuildError, match=r"target linux-riscv64 cannot be built: .* linux-x64"):
        build_stand_in(stand_in, "linux-riscv64", tmp_path)


CONFIG = """\
[distribution]
name = "Mithril"
targets = ["linux-x64", "windows-x64"]

[[components]]
name = "mithril-signer"
manifest = "mithril-signer/Cargo.toml"
builder = "signer"

[[components]]
name = "mithril-aggregator"
manifest = "mithril-aggregator/Cargo.toml"
builder = "aggregator"

[[components]]
name = "mithril-client-cli"
manifest = "mithril-client-cli/Cargo.toml"
build = @CLIENT_BUILD@
targets = ["linux-x64"]

[[components]]
name = "mithril-common"
manifest = "mithril-common/Cargo.toml"

[signing]
minisign_key = "minisign.key"
"""
CLIENT_BUILD = (
    "printf 'client for %s built at %s\\n' {target} \"$SOURCE_DATE_EPOCH\" > {out}/mithril-client"
)
VERSIONS = {
    "mithril-signer": "0.2.276",
    "mithril-aggregator": "0.7.90",
    "mithril-client-cli": "0.12.33",
}


def write_config(directory: Path, client_build: str = CLIENT_BUILD):
    (directory / "release.toml").write_text(
        CONFIG.replace("@CLIENT_BUILD@", json.dumps(client_build))
    )
    return load_config(cwd=directory)


@pytest.fixture
def config(tmp_path):
    return write_config(tmp_path)


def build(config, stand_in, where: Path):
    return build_distribution(
        config,
        VERSION,
        versions=VERSIONS,
        epoch=EPOCH,
        dist_dir=where / "dist",
        stage_dir=where / "build",
        source_root=stand_in,
    )


def test_two_builds_are_byte_identical(config, stand_in, tmp_path):
    first = build(config, stand_in, tmp_path / "one")
    second = build(config, stand_in, tmp_path / "two")
    names = [path.name for path in first.files]
    assert names == [
        "mithril-2543.1-hotfix-linux-x64.tar.gz",
        "mithril-2543.1-hotfix-windows-x64.tar.gz",
        "VERSION",
    ]
    assert names == planned_files(config, VERSION)
    assert sorted(os.listdir(first.dist_dir)) == sorted(names)
    for one, two in zip(first.files, second.files, strict=True):
        assert one.read_bytes() == two.read_bytes(), one.name
    assert (first.dist_dir / "VERSION").read_text() == "2543.1-hotfix\n"
    assert set(first.builtin) == {"signer", "aggregator"}
    assert first.executables[("mithril-client-cli", "linux-x64")].read_text() == (
        f"client for linux-x64 built at {EPOCH}\n"
    )


def test_archives_are_normalised(config, stand_in, tmp_path):
    result = build(config, stand_in, tmp_path)
    linux = result.dist_dir / "mithril-2543.1-hotfix-linux-x64.tar.gz"
    raw = linux.read_bytes()
    assert raw[4:8] == b"\0\0\0\0", "gzip header mtime must be 0"
    assert raw[3] & 0x08 == 0, "no file name in the gzip header"
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(raw))) as archive:
        members = archive.getmembers()
        assert [m.name for m in members] == [
            "mithril-aggregator",
            "mithril-client",
            "mithril-signer",
        ]
        for member in members:
            assert member.isfile() and "/" not in member.name
            assert (
                member.mode,
                member.uid,
                member.gid,
                member.uname,
                member.gname,
                member.mtime,
            ) == (
                0o755,
                0,
                0,
                "",
                "",
                EPOCH,
            )
        signer = archive.extractfile("mithril-signer").read()
    assert signer == result.builtin["signer"]["linux-x64"].read_bytes()
    with tarfile.open(result.dist_dir / "mithril-2543.1-hotfix-windows-x64.tar.gz") as archive:
        members = {member.name: member for member in archive.getmembers()}
    executables = sorted(name for name in members if "/" not in name)
    assert executables == ["mithril-aggregator.pyz", "mithril-signer.pyz"]
    assert {members[name].mode for name in executables} == {0o755}
    lib = [member for name, member in members.items() if "/" in name]
    assert lib and all(m.name.startswith("lib/cp3") and m.mode == 0o644 for m in lib)
    assert "lib/cp313/pyblst-0.3.15.dist-info/WHEEL" in members


def test_a_rebuild_replaces_the_distribution_whole(config, stand_in, tmp_path):
    result = build(config, stand_in, tmp_path)
    (result.dist_dir / "stale-from-an-older-build.tar.gz").write_bytes(b"old")
    build(config, stand_in, tmp_path)
    assert "stale-from-an-older-build.tar.gz" not in os.listdir(result.dist_dir)
    assert not (tmp_path / "dist.partial").exists()


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            "echo compiling; echo 'error[E0425]: cannot find value' >&2; exit 3",
            r"build of mithril-client-cli for linux-x64 failed \(exit 3\).*\nerror\[E0425\]",
        ),
        ("true {out}", r"build of mithril-client-cli for linux-x64 wrote nothing into"),
        (
            "mkdir {out}/bin",
            r"left directories in .* \(bin\); archives hold files at their root only",
        ),
    ],
)
def test_failing_builds_are_reported(tmp_path, stand_in, command, message):
    config = write_config(tmp_path, f"{command} # {{out}}")
    with pytest.raises(BuildError, match=message):
        build(config, stand_in, tmp_path)


def test_build_directories_never_hold_the_repository(config, stand_in, tmp_path):
    with pytest.raises(BuildError, match="holds the repository"):
        build_distribution(
            config,
            VERSION,
            versions=VERSIONS,
            epoch=EPOCH,
            dist_dir=tmp_path,
            stage_dir=tmp_path / "stage",
            source_root=stand_in,
        )
