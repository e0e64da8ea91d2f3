"""The builtin signer and aggregator per target, with their dependencies inside.

* linux-x64, linux-arm64, macos-arm64: one pex each, holding the ``release`` files the
  executable needs and the locked wheels for CPython 3.11 to 3.13 of that platform (one
  ``--complete-platform`` file per CPython), built with ``--pre-resolved-dists`` from the
  verified wheel cache, so offline and with no resolver run; ``#!/usr/bin/env python3``
  (``--python-shebang``); ``--venv``: the first run makes a venv of the pex's contents in
  the pex root and later runs start there (``pex --help``: "Convert the pex file to a venv
  before executing it"), about 0.17 s for ``--version`` against 0.37 s unzipped each time.
  Reproducible as pex documents it (``pex --help``, pex 2.105.2): without
  ``--use-system-time`` every entry is dated "midnight on January 1, 1980", and without
  ``--compile`` no bytecode (which would not be byte-for-byte identical) is added.
* windows-x64, where pex makes no promise: a zipapp (``mithril-signer.pyz``) beside a
  ``lib`` folder with one directory per CPython (``lib/cp311`` ...), each filled by
  ``pip install --target --platform win_amd64 --python-version X.Y --only-binary=:all:
  --require-hashes --no-deps`` from the same cache (``pip install --help``: ``--platform``
  "only use wheels compatible with <platform>"); the zipapp puts the directory of the
  running CPython on ``sys.path``.

Every build is kept in the cache under the sha256 of all its inputs, so a re-run with the
same sources, lock and platforms copies the earlier bytes instead of building again (the
Windows zipapp itself, a zip of a few hundred kB written in memory, is simply rewritten).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from release._fs import EXECUTABLE_MODE, atomic_write
from release.distribution._archive import zipapp_bytes
from release.distribution.errors import BuildError
from release.distribution.targets import (
    PEX,
    PYTHON_RANGE,
    PYTHONS,
    TARGETS,
    platform_file,
    platform_tags,
)
from release.distribution.wheels import (
    cache_root,
    complete_platform_args,
    load_lock,
    wheel_directory,
)

INTERPRETER = "/usr/bin/env python3"
ENTRY_MODULE = "release.nodes.cli"
#: The module pex runs (``-e MODULE:main``), generated per component with its version.
_PEX_ENTRY = "mithril_entry"
#: Where the Windows zipapp finds its dependencies: ``lib/cpXY`` beside it.
LIB_DIR = "lib"
#: Kept builds: the oldest beyond this many are removed when a new one is stored.
MAX_CACHED_BUILDS = 48
#: Bumped when the way a build turns inputs into bytes changes: earlier cache entries retire.
_BUILD_SCHEMA = "4"
_BUILD_TIMEOUT_S = 300

_PEX_ENTRY_TEMPLATE = '''\
"""{component} {version}: this project's fixed {kind}, with its dependencies inside."""

import sys

from {entry_module} import {kind}_main


def main() -> None:
    sys.exit({kind}_main(version={version!r}, dependencies={dependencies!r}))
'''

_ZIPAPP_MAIN_TEMPLATE = '''\
"""{component} {version}: this project's fixed {kind}, a zipapp beside its lib folder."""

import os
import sys

_lib = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    "{lib}",
    "cp%d%d" % sys.version_info[:2],
)
if not os.path.isdir(_lib):
    sys.exit(
        "{component} runs on CPython {pythons} with its {lib} folder beside it; "
        "no " + _lib + " for Python " + sys.version.split()[0]
    )
sys.path.insert(1, _lib)
from {entry_module} import {kind}_main

sys.exit({kind}_main(version={version!r}, dependencies={dependencies!r}))
'''


@dataclass(frozen=True)
class Executable:
    #: The file a host runs.
    path: Path
    #: Archive name -> file: the executable, and on Windows its ``lib`` folder.
    members: dict[str, Path]


@dataclass(frozen=True)
class BundledWheel:
    """A dependency inside an executable, as its own ``.dist-info`` describes it."""

    project: str
    version: str
    #: The ``Tag:`` lines of its ``WHEEL`` file.
    tags: frozenset[str]
    #: The CPython whose ``lib`` directory holds it (Windows), None inside a pex.
    python: tuple[int, int] | None = None


@dataclass(frozen=True)
class Contents:
    """What an executable carries: ``release`` files (name -> CRC-32) and wheels."""

    packaging: str
    sources: dict[str, int]
    wheels: tuple[BundledWheel, ...]


def build_builtin(
    kind: str,
    *,
    component: str,
    version: str,
    target: str,
    files: Mapping[str, Path],
    output_dir: Path,
    epoch: int,
) -> Executable:
    """``component`` (the fixed ``kind``) for ``target`` in ``output_dir`` (cached by content)."""
    try:
        spec = TARGETS[target]
    except KeyError:
        raise BuildError(
            f"target {target} cannot be built: the builtin {kind} is built for "
            f"{', '.join(TARGETS)} only (set the component's targets)"
        ) from None
    sources = {name: path.read_bytes() for name, path in files.items()}
    dependencies = tuple(sorted(load_lock().projects))
    name = spec.executable_name(component)
    fields = {
        "component": component,
        "version": version,
        "kind": kind,
        "entry_module": ENTRY_MODULE,
        "dependencies": dependencies,
    }
    output = output_dir / name
    if spec.packaging == PEX:
        sources[f"{_PEX_ENTRY}.py"] = _PEX_ENTRY_TEMPLATE.format(**fields).encode()
        wheels = wheel_directory(target)
        built = _cached(
            ["pex", target, _digest_files(sources), _digest_dir(wheels), _platforms_digest(target)],
            lambda out: _run_pex(sources, wheels, target, out / "executable"),
        )
        _copy(built / "executable", output)
        return Executable(output, {name: output})
    main = _ZIPAPP_MAIN_TEMPLATE.format(**fields, lib=LIB_DIR, pythons=PYTHON_RANGE)
    sources["__main__.py"] = main.encode()
    atomic_write(
        output, zipapp_bytes(sources, epoch=epoch, interpreter=INTERPRETER), mode=EXECUTABLE_MODE
    )
    lib = _windows_lib(target, output_dir / LIB_DIR)
    members = {name: output}
    members.update(
        {
            f"{LIB_DIR}/{path.relative_to(lib).as_posix()}": path
            for path in sorted(lib.rglob("*"))
            if path.is_file()
        }
    )
    return Executable(output, members)


def describe(executable: Path) -> Contents:
    """The ``release`` files and the wheels (with their tags) an executable carries."""
    if not zipfile.is_zipfile(executable):
        raise BuildError(f"{executable} is not a pex or zipapp (not a zip archive)")
    with zipfile.ZipFile(executable) as archive:
        names = archive.namelist()
        sources = {
            info.filename: info.CRC
            for info in archive.infolist()
            if info.filename.startswith("release/") and not info.is_dir()
        }
        if "PEX-INFO" in names:
            info = json.loads(archive.read("PEX-INFO"))
            wheels = tuple(
                _bundled(lambda member, w=wheel: archive.read(f".deps/{w}/{member}"), names, wheel)
                for wheel in sorted(info["distributions"])
            )
            return Contents(PEX, sources, wheels)
    lib = executable.parent / LIB_DIR
    found = []
    for python in PYTHONS:
        directory = lib / f"cp{python[0]}{python[1]}"
        for dist_info in sorted(directory.glob("*.dist-info")):
            found.append(_dist_info(dist_info, python))
    return Contents("zipapp+lib", sources, tuple(found))


def structure_problems(target: str, contents: Contents, reference: Contents) -> list[str]:
    """Why ``contents`` is not ``target``'s build of the same program as ``reference``.

    Same ``release`` files; the same projects at the same versions; for every CPython the
    target runs on, one wheel of each project whose tags that platform accepts; no wheel a
    host of the target would reject.
    """
    problems = []
    changed = sorted(set(contents.sources.items()).symmetric_difference(reference.sources.items()))
    if changed:
        names = sorted({name for name, _ in changed})
        problems.append(f"release files differ: {', '.join(names[:5])}")
    projects = {(w.project, w.version) for w in contents.wheels}
    expected = {(w.project, w.version) for w in reference.wheels}
    if projects != expected:
        problems.append(
            "dependencies differ: "
            + ", ".join(f"{p} {v}" for p, v in sorted(projects.symmetric_difference(expected)))
        )
    accepted = set().union(*(platform_tags(target, python) for python in PYTHONS))
    for wheel in contents.wheels:
        if not wheel.tags & accepted:
            problems.append(
                f"{wheel.project} {wheel.version} is a wheel for {', '.join(sorted(wheel.tags))}, "
                f"not for {target}"
            )
    for python in PYTHONS:
        tags = platform_tags(target, python)
        runnable = {
            w.project for w in contents.wheels if w.tags & tags and w.python in (None, python)
        }
        missing = sorted({p for p, _ in projects} - runnable)
        if missing:
            problems.append(f"no wheel of {', '.join(missing)} for CPython {python[0]}.{python[1]}")
    return problems


def _bundled(read: Callable[[str], bytes], names: list[str], wheel: str) -> BundledWheel:
    prefix = f".deps/{wheel}/"
    (dist_info,) = {
        name[len(prefix) :].split("/")[0]
        for name in names
        if name.startswith(prefix) and name[len(prefix) :].split("/")[0].endswith(".dist-info")
    }
    return _parse_dist_info(
        read(f"{dist_info}/METADATA").decode(), read(f"{dist_info}/WHEEL").decode(), None
    )


def _dist_info(directory: Path, python: tuple[int, int]) -> BundledWheel:
    return _parse_dist_info(
        (directory / "METADATA").read_text(), (directory / "WHEEL").read_text(), python
    )


def _parse_dist_info(
    metadata_text: str, wheel_text: str, python: tuple[int, int] | None
) -> BundledWheel:
    fields = _header_fields(metadata_text)
    tags = frozenset(tag for line in _header_values(wheel_text, "Tag") for tag in _expand(line))
    return BundledWheel(fields["Name"].lower().replace("_", "-"), fields["Version"], tags, python)


def _expand(tag: str) -> list[str]:
    """``cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64`` -> one tag per platform: a
    compressed tag set (PEP 425) stands for every combination of its dotted parts."""
    python, abi, platform = tag.split("-")
    return [
        f"{p}-{a}-{x}"
        for p in python.split(".")
        for a in abi.split(".")
        for x in platform.split(".")
    ]


def _header_fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in text.split("\n\n", 1)[0].splitlines():
        key, _, value = line.partition(":")
        fields.setdefault(key.strip(), value.strip())
    return fields


def _header_values(text: str, key: str) -> list[str]:
    return [
        line.partition(":")[2].strip()
        for line in text.splitlines()
        if line.partition(":")[0].strip() == key
    ]


def _run_pex(sources: Mapping[str, bytes], wheels: Path, target: str, output: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="pex-sources-") as scratch:
        root = Path(scratch)
        for name, content in sources.items():
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
        command = [
            sys.executable, "-m", "pex", *load_lock().requirements,
            "--no-pypi", "--pre-resolved-dists", str(wheels),
            "--sources-directory", str(root), "--entry-point", f"{_PEX_ENTRY}:main",
            "--python-shebang", INTERPRETER, "--venv",
            *complete_platform_args(target),
            "--pex-root", str(cache_root() / "pex-root"),
            "--output-file", str(output),
        ]  # fmt: skip
        _run(command, f"pex build for {target}")


def _windows_lib(target: str, destination: Path) -> Path:
    """``lib/cpXY`` per CPython: the target's locked wheels installed by pip, no resolving."""
    wheels = wheel_directory(target)
    if destination.is_dir():
        return destination
    built = _cached(
        ["lib", target, _digest_dir(wheels), _platforms_digest(target)],
        lambda out: _pip_install_all(target, wheels, out / LIB_DIR),
    )
    shutil.copytree(built / LIB_DIR, destination)
    return destination


def _pip_install_all(target: str, wheels: Path, lib: Path) -> None:
    lock = load_lock()
    hashes: dict[str, list[str]] = {}
    for path in sorted(wheels.glob("*.whl")):
        locked = lock.wheels[path.name]
        hashes.setdefault(f"{locked.project}=={locked.version}", []).append(locked.sha256)
    requirements = lib.parent / "requirements.txt"
    requirements.parent.mkdir(parents=True, exist_ok=True)
    requirements.write_text(
        "".join(
            f"{pin} " + " ".join(f"--hash=sha256:{digest}" for digest in digests) + "\n"
            for pin, digests in sorted(hashes.items())
        )
    )
    for python in PYTHONS:
        tag = f"cp{python[0]}{python[1]}"
        command = [
            sys.executable, "-m", "pip", "install", "--isolated", "--quiet",
            "--disable-pip-version-check", "--no-index", "--find-links", str(wheels),
            "--target", str(lib / tag), "--platform", "win_amd64",
            "--python-version", f"{python[0]}.{python[1]}", "--implementation", "cp",
            "--abi", tag, "--only-binary=:all:", "--require-hashes", "--no-deps",
            "--no-compile", "--requirement", str(requirements),
        ]  # fmt: skip
        _run(command, f"pip install of the {target} dependencies for CPython {python}")
        # Console scripts pip wrote for this (Unix) build host: of no use on Windows, and
        # their #! line would make the folder depend on where it was built.
        shutil.rmtree(lib / tag / "bin", ignore_errors=True)
    requirements.unlink()


def _run(command: list[str], what: str) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PEX_", "PIP_", "PYTHON"))
    }
    try:
        completed = subprocess.run(
            command,
            capture_output=True,
            text=True,
            check=False,
            timeout=_BUILD_TIMEOUT_S,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        raise BuildError(f"{what} took over {_BUILD_TIMEOUT_S} s") from None
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-5:])
        raise BuildError(f"{what} failed (exit {completed.returncode}):\n{tail}")


def _cached(key_parts: list[str], produce: Callable[[Path], None]) -> Path:
    """The directory ``produce`` fills, kept under the digest of its inputs and reused."""
    tools = f"pex {metadata.version('pex')} pip {metadata.version('pip')}"
    key = hashlib.sha256(
        "\0".join([_BUILD_SCHEMA, tools, load_lock().digest, *key_parts]).encode()
    ).hexdigest()
    builds = cache_root() / "builds"
    entry = builds / key
    if entry.is_dir():
        os.utime(entry)  # recently used: the last to be pruned
        return entry
    builds.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{key[:16]}-", dir=builds))
    try:
        produce(partial)
        try:
            partial.rename(entry)
        except OSError:  # built meanwhile by another process: same inputs, same bytes
            if not entry.is_dir():
                raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    _prune(builds)
    return entry


def _prune(builds: Path) -> None:
    entries = sorted(
        (path for path in builds.iterdir() if path.is_dir() and not path.name.startswith(".")),
        key=lambda path: path.stat().st_mtime,
    )
    for stale in entries[:-MAX_CACHED_BUILDS]:
        shutil.rmtree(stale, ignore_errors=True)


def _copy(source: Path, output: Path) -> None:
    output.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(output, source.read_bytes(), mode=EXECUTABLE_MODE)


def _digest_files(files: Mapping[str, bytes]) -> str:
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _digest_dir(directory: Path) -> str:
    """The wheels' names: their bytes are the lock's (checked), and the lock is in every key."""
    return _digest_files({path.name: b"" for path in directory.glob("*.whl")})


def _platforms_digest(target: str) -> str:
    return _digest_files(
        {str(python): platform_file(target, python).read_bytes() for python in PYTHONS}
    )
