#!/usr/bin/env python3
"""Write the committed ``--complete-platform`` files of the builtin executables' targets.

One JSON file per target and CPython minor version, in the format ``pex3 interpreter
inspect --markers --tags`` prints on a real host (a ``marker_environment`` and the
``compatible_tags``, best first): pex resolves foreign platforms from such files
(``pex --help``: ``--complete-platform``, introduced in pex 2.1.66 with ``pex3 interpreter
inspect`` to generate them on the target host). The tags come from
``packaging.tags`` given each target's platform tags: manylinux tags from the glibc floor
down (PEP 600, with their legacy aliases), macOS tags from ``packaging.tags.mac_platforms``,
``win_amd64`` for Windows. Run again after changing ``release/distribution/targets.py``;
a test checks that the committed files are what this script writes.

Usage: scripts/complete_platforms.py [DIRECTORY]   (default: release/distribution/data/platforms)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from packaging import tags

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from release.distribution.targets import (  # noqa: E402
    GLIBC_FLOOR,
    MACOS_FLOOR,
    PYTHONS,
    TARGETS,
    Target,
)

#: PEP 599 / 571 / 513 names of manylinux_2_17, _2_12 and _2_5.
_LEGACY_MANYLINUX = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
#: The first glibc of each architecture's manylinux wheels.
_MANYLINUX_START = {"x86_64": 5, "aarch64": 17}


def platforms(target: Target) -> list[str]:
    """The target's wheel platform tags, best first."""
    if target.sys_platform == "linux":
        arch = target.machine
        found = []
        for minor in range(GLIBC_FLOOR[1], _MANYLINUX_START[arch] - 1, -1):
            found.append(f"manylinux_{GLIBC_FLOOR[0]}_{minor}_{arch}")
            if minor in _LEGACY_MANYLINUX:
                found.append(f"{_LEGACY_MANYLINUX[minor]}_{arch}")
        return found
    if target.sys_platform == "darwin":
        return list(tags.mac_platforms(MACOS_FLOOR, target.machine))
    if target.sys_platform == "win32":
        return [f"win_{target.machine.lower()}"]
    raise SystemExit(f"no platform tags known for {target.name} ({target.sys_platform})")


def complete_platform(target: Target, python: tuple[int, int]) -> dict[str, object]:
    names = platforms(target)
    interpreter = f"cp{python[0]}{python[1]}"
    compatible = [
        *tags.cpython_tags(python, platforms=names),
        *tags.compatible_tags(python, interpreter, names),
    ]
    version = f"{python[0]}.{python[1]}.0"  # the oldest release of the minor version
    return {
        "marker_environment": {
            "implementation_name": "cpython",
            "implementation_version": version,
            "os_name": target.os_name,
            "platform_machine": target.machine,
            "platform_python_implementation": "CPython",
            "platform_system": target.system,
            "python_full_version": version,
            "python_version": f"{python[0]}.{python[1]}",
            "sys_platform": target.sys_platform,
        },
        "compatible_tags": [str(tag) for tag in compatible],
    }


def write(directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for target in TARGETS.values():
        for python in PYTHONS:
            path = directory / target.platform_file_name(python)
            text = json.dumps(complete_platform(target, python), indent=1) + "\n"
            path.write_text(text)
            written.append(path)
    return written


if __name__ == "__main__":
    default = ROOT / "release" / "distribution" / "data" / "platforms"
    for path in write(Path(sys.argv[1]) if len(sys.argv) > 1 else default):
        print(path)
