"""The platforms the builtin signer and aggregator are built for, and what a host needs.

One place for the facts the build, the gate and the release notes share: each target's
wheel platform tags (the committed ``--complete-platform`` files in ``data/platforms`` are
generated from them by ``scripts/complete_platforms.py``), the Python versions an
executable runs on, and the one-line host requirement a note prints per target.
"""

from __future__ import annotations

import json
import platform
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from release.distribution.errors import BuildError

#: The committed ``--complete-platform`` files, ``TARGET-cpXY.json``.
PLATFORMS_DIR = Path(__file__).resolve().parent / "data" / "platforms"

#: The CPython minor versions every executable runs on (one complete platform each).
PYTHONS = ((3, 11), (3, 12), (3, 13))
PYTHON_RANGE = "3.11 to 3.13"
#: The oldest glibc a Linux host may have: cbor2's Linux wheels are ``manylinux_2_28``.
GLIBC_FLOOR = (2, 28)
#: The oldest macOS: pyblst's and cbor2's Apple-silicon wheels are ``macosx_11_0_arm64``.
MACOS_FLOOR = (11, 0)

#: How a target's executables are packaged: a pex holding its wheels, or (Windows, where
#: pex makes no promise) a zipapp beside a ``lib`` folder of installed wheels.
PEX = "pex"
ZIPAPP_WITH_LIB = "zipapp+lib"


@dataclass(frozen=True)
class Target:
    name: str
    packaging: str
    #: PEP 508 marker values of the target's CPython (``sys_platform``, ``platform_machine``...).
    system: str
    sys_platform: str
    os_name: str
    machine: str
    #: What a host needs to run the executables, one line for the release notes.
    host: str
    #: The executable's file name for a component name.
    suffix: str = ""

    def executable_name(self, component: str) -> str:
        return component + self.suffix

    def platform_file_name(self, python: tuple[int, int]) -> str:
        return f"{self.name}-cp{python[0]}{python[1]}.json"


_UNIX_HOST = (
    "{what}, and a python3 {pythons} on PATH ({where}); nothing to pip install: "
    "the executables carry their dependencies"
)

TARGETS: dict[str, Target] = {
    target.name: target
    for target in (
        Target(
            "linux-x64",
            PEX,
            "Linux",
            "linux",
            "posix",
            "x86_64",
            _UNIX_HOST.format(
                what=f"Linux x86-64 with glibc {GLIBC_FLOOR[0]}.{GLIBC_FLOOR[1]} or later",
                pythons=PYTHON_RANGE,
                where="Linux distributions ship one",
            ),
        ),
        Target(
            "linux-arm64",
            PEX,
            "Linux",
            "linux",
            "posix",
            "aarch64",
            _UNIX_HOST.format(
                what=f"Linux arm64 with glibc {GLIBC_FLOOR[0]}.{GLIBC_FLOOR[1]} or later",
                pythons=PYTHON_RANGE,
                where="Linux distributions ship one",
            ),
        ),
        Target(
            "macos-arm64",
            PEX,
            "Darwin",
            "darwin",
            "posix",
            "arm64",
            _UNIX_HOST.format(
                what=f"macOS {MACOS_FLOOR[0]} or later on Apple silicon",
                pythons=PYTHON_RANGE,
                where="install one from python.org or Homebrew",
            ),
        ),
        Target(
            "windows-x64",
            ZIPAPP_WITH_LIB,
            "Windows",
            "win32",
            "nt",
            "AMD64",
            f"Windows x64 with Python {PYTHON_RANGE} (install it from python.org); unpack the "
            "archive and run `py mithril-signer.pyz` there, beside its lib folder; "
            "nothing to pip install",
            suffix=".pyz",
        ),
    )
}


def host_requirement(target: str) -> str:
    """What a host of ``target`` needs to run the shipped executables (for the notes)."""
    try:
        return TARGETS[target].host
    except KeyError:
        raise BuildError(
            f"no builtin executables for target {target!r} (known: {', '.join(TARGETS)})"
        ) from None


def host_requirements_markdown(targets: Iterable[str]) -> str:
    """A Markdown list, one line per shipped target: what its host needs (for the notes)."""
    return "\n".join(f"- `{target}`: {host_requirement(target)}." for target in targets)


def host_target() -> str | None:
    """The target this machine runs, None when it runs none of :data:`TARGETS`."""
    machine = platform.machine().lower()
    for target in TARGETS.values():
        if sys.platform == target.sys_platform and machine == target.machine.lower():
            return target.name
    return None


def platform_file(target: str, python: tuple[int, int]) -> Path:
    """The committed ``--complete-platform`` file of ``target`` for CPython ``python``."""
    return PLATFORMS_DIR / TARGETS[target].platform_file_name(python)


@cache
def platform_tags(target: str, python: tuple[int, int]) -> frozenset[str]:
    """The wheel tags (``cp311-abi3-manylinux_2_28_x86_64``) a host of ``target`` accepts."""
    return frozenset(json.loads(platform_file(target, python).read_text())["compatible_tags"])
