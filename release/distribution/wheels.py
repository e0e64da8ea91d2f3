"""The builtin executables' runtime dependencies: the committed lock and a cache of its wheels.

``data/runtime-lock.json`` is a pex universal lock (``scripts/lock-runtime.sh``: wheels only,
CPython 3.11 to 3.13, Linux, macOS and Windows) naming every wheel by URL and sha256. The
build never resolves anything: ``python -m release.distribution.wheels`` (run by
``scripts/setup.sh``) downloads, per target, the wheels pex selects from the lock for that
target's complete platforms (``pex3 download --lock``, which checks each against the lock's
hash), and every build checks the cached files against the lock again before using them. So
builds run offline once the cache is filled, and a cache that was tampered with, or filled
from another lock, is refused by name.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from release.distribution.errors import BuildError
from release.distribution.targets import PEX, PYTHONS, TARGETS, platform_file

#: The committed lock (package data, so a wheel install of the tool has it too).
LOCK_FILE = Path(__file__).resolve().parent / "data" / "runtime-lock.json"
#: Environment variable naming the cache directory (default ``~/.cache/mithril-release``).
CACHE_ENV = "MITHRIL_RELEASE_CACHE"
#: Written last into a target's wheel directory: its download finished.
_COMPLETE = ".complete"
_DOWNLOAD_TIMEOUT_S = 600


@dataclass(frozen=True)
class LockedWheel:
    project: str
    version: str
    filename: str
    sha256: str


@dataclass(frozen=True)
class RuntimeLock:
    #: The requirements the lock was made from (``pynacl>=1.5`` ...).
    requirements: tuple[str, ...]
    #: Every locked wheel by file name.
    wheels: dict[str, LockedWheel]
    #: sha256 of the lock file: wheel caches are kept per lock.
    digest: str

    @property
    def projects(self) -> dict[str, str]:
        """Locked project name -> version."""
        return {wheel.project: wheel.version for wheel in self.wheels.values()}


def cache_root() -> Path:
    """Where downloaded wheels and finished builds are kept (``$MITHRIL_RELEASE_CACHE``)."""
    configured = os.environ.get(CACHE_ENV)
    if configured:
        return Path(configured).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "mithril-release"


def load_lock() -> RuntimeLock:
    """The lock's requirements and wheels; a lock holding anything but wheels is refused."""
    return _load_lock(LOCK_FILE)


@cache
def _load_lock(path: Path) -> RuntimeLock:
    raw = path.read_bytes()
    try:
        document = json.loads(raw)
        (resolve,) = document["locked_resolves"]
        wheels = {}
        for locked in resolve["locked_requirements"]:
            for artifact in locked["artifacts"]:
                filename = artifact["url"].rsplit("/", 1)[-1]
                if not filename.endswith(".whl") or artifact["algorithm"] != "sha256":
                    raise BuildError(f"{path}: {filename} is not a sha256-pinned wheel")
                wheels[filename] = LockedWheel(
                    locked["project_name"], locked["version"], filename, artifact["hash"]
                )
        requirements = tuple(document["requirements"])
    except (KeyError, TypeError, ValueError) as failure:
        raise BuildError(f"{path} is not a pex universal lock ({failure!r})") from None
    return RuntimeLock(requirements, wheels, hashlib.sha256(raw).hexdigest())


def wheel_directory(target: str, *, download: bool = True) -> Path:
    """The directory of ``target``'s locked wheels, every file checked against the lock.

    Downloads them first when the cache lacks them (unless ``download`` is false); a target
    the lock has no complete set of wheels for is reported as not buildable.
    """
    lock = load_lock()
    directory = cache_root() / "wheels" / lock.digest[:16] / target
    if not (directory / _COMPLETE).is_file():
        if not download:
            raise BuildError(
                f"no wheels of the runtime dependencies for {target} in {directory}: "
                "run ./scripts/setup.sh (or python -m release.distribution.wheels) once online"
            )
        _download(target, directory)
    verify(directory, lock)
    return directory


def verify(directory: Path, lock: RuntimeLock) -> list[LockedWheel]:
    """The wheels in ``directory``, each one a file of the lock with the lock's sha256."""
    found = []
    for path in sorted(directory.glob("*.whl")):
        locked = lock.wheels.get(path.name)
        if locked is None:
            raise BuildError(f"{path} is not a wheel of the lock {LOCK_FILE.name}")
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != locked.sha256:
            raise BuildError(f"{path} has sha256 {digest}, the lock says {locked.sha256}")
        found.append(locked)
    if not found:
        raise BuildError(f"{directory} holds no wheels")
    return found


def fill_cache(targets: tuple[str, ...] = tuple(TARGETS)) -> dict[str, Path]:
    """Download every target's wheels that the cache lacks (what ``scripts/setup.sh`` runs)."""
    return {target: wheel_directory(target) for target in targets}


def _download(target: str, directory: Path) -> None:
    """``pex3 download --lock`` of the wheels pex selects for the target's complete platforms
    (``pex3 download --help``: "Download distributions instead of resolving them into a
    PEX"); :func:`verify` then checks each file against the lock's sha256 itself."""
    partial = directory.with_name(f"{directory.name}.partial-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        sys.executable, "-m", "pex.cli", "download", "--lock", str(LOCK_FILE),
        "--dest-dir", str(partial), "--pex-root", str(cache_root() / "pex-root"),
        *complete_platform_args(target),
    ]  # fmt: skip
    try:
        completed = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=_DOWNLOAD_TIMEOUT_S
        )
    except subprocess.TimeoutExpired:
        raise BuildError(
            f"downloading the wheels for {target} took over {_DOWNLOAD_TIMEOUT_S} s"
        ) from None
    if completed.returncode != 0:
        shutil.rmtree(partial, ignore_errors=True)
        raise BuildError(
            f"target {target} cannot be built: pex found no complete set of wheels for it in "
            f"{LOCK_FILE.name} or could not download them ({_pex_reason(completed.stderr)})"
        )
    (partial / _COMPLETE).write_text(f"{target}\n")
    try:
        partial.rename(directory)
    except OSError:  # another process finished the same download first: keep its files
        shutil.rmtree(partial, ignore_errors=True)
        if not (directory / _COMPLETE).is_file():
            raise


def _pex_reason(stderr: str) -> str:
    """pex's own words on what failed, without its long lists of artifact URLs."""
    lines = [line.strip() for line in stderr.splitlines()]
    said = [
        line
        for line in lines
        if line and not line.startswith("http") and ("compatible" in line or "rror" in line)
    ]
    return " | ".join(dict.fromkeys(said[-3:] or lines[-3:]))


def complete_platform_args(target: str) -> list[str]:
    """``--complete-platform FILE`` for each CPython the target's executables run on."""
    args = []
    for python in PYTHONS:
        args += ["--complete-platform", str(platform_file(target, python))]
    return args


def main() -> int:
    for target, directory in fill_cache().items():
        kind = "pex" if TARGETS[target].packaging == PEX else "lib"
        print(f"{target} ({kind}): {len(list(directory.glob('*.whl')))} wheels in {directory}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BuildError as failure:
        sys.exit(f"error: {failure}")
