"""The release gate: judge the BUILT signer and aggregator executables, not the tree.

It runs the executables of the target this machine is (linux-x64 here) on a CPython 3.11 to
3.13 started as ``python -I`` (:data:`PEX_ISOLATION`) with a fresh pex root: no ``PYTHON*``
variables and no user site, and the pex then runs in a venv of its own in that root, holding
only what it carries, so neither the tool's site-packages nor their ``.pth`` import hooks
reach it (a Windows zipapp, which has no such venv, runs as ``python -I -S``). Every module
the suite imports is checked to come from the executable or the standard library. Three
parts, all against the artifacts:

1. The suite, run by the executable itself (the regression code is packed in it), so the
   profiles, verifiers and expectations packed in the artifact are what is judged.
2. The incident replayed over HTTP with the executables as black boxes: the built
   aggregator served on 127.0.0.1 with its own default verifier, the built signer run with
   its own default profile and a persistent store, at the slots of issue #2771 on preprod:
   restart late in the epoch, upgrade from 0.2.268, KES rotation (the log line's
   CurrentKesPeriod=0, StartKesPeriod=823), an aggregator one KES period behind, and an
   expired certificate that must be refused. The aggregator is restarted between steps
   over the same database, so registrations must also survive process restarts.
3. The other targets' executables, which this machine cannot run, checked by structure: the
   same ``release`` files and dependency versions as the ones that ran, and for every CPython
   3.11 to 3.13 a wheel of each dependency tagged for that target's platform.
"""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from hashlib import blake2b
from pathlib import Path
from types import ModuleType

from release.chain import NETWORKS, Network
from release.kes import OpCert, kes_signing_key_envelope, keygen, opcert_envelope
from release.nodes import KesCredentials, ProtocolKeyStore, Signer
from release.nodes.transport import HttpTransport
from release.processes import dying_with_us
from release.regression.errors import GateError
from release.regression.suite import DEFAULT_EPOCHS, DEFAULT_NETWORKS, INCIDENT_TIME

#: How the gate runs Python (https://docs.python.org/3/using/cmdline.html): ``-I`` ignores
#: ``PYTHON*`` variables, the user site and the script's directory. A pex (built ``--venv``)
#: re-executes itself in its own venv, whose only site-packages are its contents.
PEX_ISOLATION = ("-I",)
#: A zipapp runs on the interpreter's own ``sys.path``: ``-S`` also skips site-packages and
#: their ``.pth`` files, so no editable install's import hook can lend it a module.
ZIPAPP_ISOLATION = ("-I", "-S")
#: The programs the gate runs, per target.
KINDS = ("signer", "aggregator")

#: Generous bounds for one executable run; the whole gate normally takes well under 60 s.
SUITE_TIMEOUT_S = 120
PROCESS_TIMEOUT_S = 30

_SUITE_SCRIPT = """
import json, os, sys, sysconfig
roots, prepend = json.loads(sys.argv[1]), json.loads(sys.argv[2])
report_dir, request = sys.argv[3], json.loads(sys.argv[4])
sys.path[0:0] = prepend
stdlib = {sysconfig.get_paths()[key] for key in ("stdlib", "platstdlib")}

def inside(path):
    return any(path.startswith(root) for root in roots)

def standard(path):
    installed = set(path.split(os.sep)) & {"site-packages", "dist-packages"}
    return any(path.startswith(s) for s in stdlib) and not installed

try:
    from release.chain.config import network_from_table
    from release.regression import run_suite
except ImportError as failure:
    print(json.dumps({"error": "the executable cannot run the suite: " + str(failure)}))
    sys.exit(3)
networks = [
    network_from_table(name, table, where="gate") if table else name
    for name, table in request["networks"]
]
if request.get("merge"):
    from release.regression import merge_reports
    result = merge_reports(request["merge"], report_dir)
else:
    result = run_suite(
        networks, request["epochs"], report_dir=report_dir, shard=request.get("shard")
    )
outside = sorted(
    name + " (" + module.__file__ + ")" for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None)
    and not inside(module.__file__) and not standard(module.__file__)
)
release = sys.modules["release"].__file__
if outside or not inside(release):
    print(json.dumps({"error": "imported from outside the executable: " + ", ".join(outside)}))
    sys.exit(3)
print(json.dumps({"passed": result.passed, "summary": result.summary}))
"""


@dataclass(frozen=True)
class GateCheck:
    name: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class GateResult:
    passed: bool
    summary: str
    report_dir: Path
    checks: tuple[GateCheck, ...] = ()


def gate(
    executables: Mapping[str, Mapping[str, Path]],
    *,
    report_dir: Path,
    networks: Sequence[str | Network] = DEFAULT_NETWORKS,
    epochs: int = DEFAULT_EPOCHS,
) -> GateResult:
    """Pass only if the executables carry the fix; the suite's report lands in ``report_dir``.

    ``executables`` maps each built target to its ``signer`` and ``aggregator``: those of
    this machine's target run, the others are checked by structure.
    """
    report_dir = Path(report_dir)
    targets, _ = _build_side()
    here = targets.host_target()
    if here is None or here not in executables:
        raise GateError(
            f"the gate runs the executables built for this machine's target "
            f"({here or 'none of ' + ', '.join(targets.TARGETS)}); the build made them for "
            f"{', '.join(executables) or 'no target'}"
        )
    for kind in KINDS:
        if kind not in executables[here]:
            raise GateError(f"no {kind} executable for {here}, the target the gate runs")
    for built in executables.values():
        for path in built.values():
            _require_executable(Path(path))
    signer_exe, aggregator_exe = (Path(executables[here][kind]) for kind in KINDS)
    python = _host_python()
    report_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gate-") as scratch:
        runner = _Runner(python, Path(scratch) / "pex-root")
        # The suite runs in its own process while the incident is replayed: the two share
        # no state, and the gate then costs little more than the suite.
        request = {
            "networks": [
                [n.name, n.as_json()] if isinstance(n, Network) else [n, None] for n in networks
            ],
            "epochs": epochs,
        }
        suites = _start_suites(
            runner, (signer_exe, aggregator_exe), report_dir, Path(scratch), request
        )
        try:
            incident = _Incident(runner, signer_exe, aggregator_exe, Path(scratch)).replay()
        except GateError as failure:
            incident = [GateCheck("incident replayed over HTTP", False, str(failure))]
        except BaseException:
            for suite in suites:
                for process in suite.processes:
                    process.kill()
                    process.wait()
            raise
        checks = _finish_suites(runner, suites, request) + incident
    checks += _structure_checks(executables, here)
    passed = all(check.passed for check in checks)
    failed = [check for check in checks if not check.passed]
    others = [target for target in executables if target != here]
    flags = runner.flags(signer_exe)
    ran = (
        f"ran the {here} {signer_exe.name} and {aggregator_exe.name} with "
        f"{python} {' '.join(flags)} (nothing from the tool's environment)"
    )
    checked = f"; {', '.join(others)} checked by structure" if others else ""
    summary = (
        f"gate passed: {len(checks)} checks; {ran}{checked}"
        if passed
        else "gate FAILED: " + "; ".join(f"{check.name}: {check.detail}" for check in failed)
    )
    (report_dir / "gate.json").write_text(
        json.dumps(
            {
                "passed": passed,
                "summary": summary,
                "ran": {"target": here, "python": python, "flags": list(flags)},
                "checks": [asdict(c) for c in checks],
            },
            indent=2,
        )
        + "\n"
    )
    return GateResult(passed, summary, report_dir, tuple(checks))


def _require_executable(path: Path) -> None:
    if not path.is_file():
        raise GateError(f"the executable {path} does not exist")
    if not zipfile.is_zipfile(path):
        raise GateError(f"{path} is not a pex or zipapp (not a zip archive)")
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
    if "__main__.py" not in names or "release/__init__.py" not in names:
        raise GateError(
            f"{path} is not an executable of the release package (no __main__.py or release/)"
        )


def _build_side() -> tuple[ModuleType, ModuleType]:
    """``release.distribution.targets`` and ``.executables``, imported by name on purpose.

    Only the tool runs the structure checks, never an executable; the packer follows import
    statements, so naming the modules here keeps the build's code out of every executable.
    """
    return (
        importlib.import_module("release.distribution.targets"),
        importlib.import_module("release.distribution.executables"),
    )


def _host_python() -> str:
    """The CPython the executables run on: the one behind the tool's venv, not the venv."""
    base = getattr(sys, "_base_executable", None) or sys.executable
    python = base if Path(base).is_file() else sys.executable
    targets, _ = _build_side()
    if sys.implementation.name != "cpython" or sys.version_info[:2] not in targets.PYTHONS:
        raise GateError(
            f"the gate runs the executables on CPython {targets.PYTHON_RANGE}; {python} is "
            f"{sys.implementation.name} {sys.version.split()[0]}"
        )
    return python


class _Runner:
    """Commands that run an executable isolated, with its own pex root."""

    def __init__(self, python: str, pex_root: Path) -> None:
        self.python, self.pex_root = python, pex_root

    @staticmethod
    def flags(executable: Path) -> tuple[str, ...]:
        return PEX_ISOLATION if _is_pex(executable) else ZIPAPP_ISOLATION

    def command(self, executable: Path, *args: str) -> list[str]:
        return [self.python, *self.flags(executable), str(executable), *args]

    def suite_command(self, executable: Path, *args: str) -> tuple[list[str], dict[str, str]]:
        """Python code run with the executable's own imports: a pex as its interpreter
        (``PEX_INTERPRETER``), a zipapp with its ``lib`` directory for this CPython."""
        environment = self.environment()
        if _is_pex(executable):
            environment["PEX_INTERPRETER"] = "1"
            command = self.command(executable, "-c", _SUITE_SCRIPT)
            roots, prepend = [str(self.pex_root)], []
        else:
            lib_dir = _build_side()[1].LIB_DIR
            lib = executable.parent / lib_dir / f"cp{sys.version_info[0]}{sys.version_info[1]}"
            command = [self.python, *ZIPAPP_ISOLATION, "-c", _SUITE_SCRIPT]
            roots = prepend = [str(executable), str(lib)]
        return [*command, json.dumps(roots), json.dumps(prepend), *args], environment

    def environment(self) -> dict[str, str]:
        """The caller's variables less ``PYTHON*`` and ``PEX_*``, with a fresh pex root."""
        environment = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("PYTHON", "PEX_"))
        }
        environment["PEX_ROOT"] = str(self.pex_root)
        return environment


def _is_pex(executable: Path) -> bool:
    with zipfile.ZipFile(executable) as archive:
        return "PEX-INFO" in archive.namelist()


def _archive_fingerprint(path: Path) -> tuple[tuple[str, int], ...]:
    with zipfile.ZipFile(path) as archive:
        return tuple(
            sorted(
                (i.filename, i.CRC) for i in archive.infolist() if i.filename.startswith("release/")
            )
        )


def _structure_checks(executables: Mapping[str, Mapping[str, Path]], here: str) -> list[GateCheck]:
    """Each target's executables against the ones that ran: same code, wheels of its platform."""
    targets, build = _build_side()
    checks = []
    for kind in KINDS:
        try:
            reference = build.describe(Path(executables[here][kind]))
        except (build.BuildError, KeyError, ValueError, OSError) as failure:
            return [GateCheck(f"{here} {kind} by structure", False, f"unreadable: {failure}")]
        for target, built in executables.items():
            if kind not in built:
                continue
            path = Path(built[kind])
            try:
                contents = build.describe(path)
                problems = build.structure_problems(target, contents, reference)
            except (build.BuildError, KeyError, ValueError, OSError) as failure:
                problems = [f"unreadable: {failure}"]
            detail = "; ".join(problems) or (
                f"same release files, {len({w.project for w in contents.wheels})} dependencies "
                f"with wheels for {target} on CPython {targets.PYTHON_RANGE}"
            )
            checks.append(GateCheck(f"{target} {path.name} by structure", not problems, detail))
    return checks


#: Processes the suite is split over (balanced shards, merged inside the executable): the
#: gate's machines have two cores, and the incident replay fits beside them.
SUITE_SHARDS = 2


@dataclass
class _RunningSuite:
    """The suite inside one executable, running as shards."""

    name: str
    archive: Path
    #: Where the merged report goes.
    report_dir: Path
    shard_dirs: list[Path]
    processes: list[subprocess.Popen[str]]


def _start_suites(
    runner: _Runner,
    executables: Sequence[Path],
    report_dir: Path,
    scratch: Path,
    request: Mapping[str, object],
) -> list[_RunningSuite]:
    """Start the suite inside each distinct executable (once when both pack the same files),
    split over :data:`SUITE_SHARDS` processes (fewer on a machine with fewer cores)."""
    archives = [executables[0]]
    if _archive_fingerprint(executables[1]) != _archive_fingerprint(executables[0]):
        archives.append(executables[1])
    count = max(1, min(SUITE_SHARDS, os.cpu_count() or 1))
    running = []
    for archive in archives:
        target = report_dir if archive == archives[0] else report_dir / "aggregator-archive"
        dirs = [scratch / f"{archive.name}-shard-{k}" for k in range(1, count + 1)]
        processes = [
            _suite_process(runner, archive, directory, {**request, "shard": f"{k}/{count}"})
            for k, directory in enumerate(dirs, 1)
        ]
        running.append(
            _RunningSuite(f"suite inside {archive.name}", archive, target, dirs, processes)
        )
    return running


def _suite_process(
    runner: _Runner, archive: Path, report_dir: Path, request: Mapping[str, object]
) -> subprocess.Popen[str]:
    command, environment = runner.suite_command(
        archive.resolve(), str(report_dir), json.dumps(request)
    )
    report_dir.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        dying_with_us(command),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=report_dir,
        env=environment,
    )


def _finish_suites(
    runner: _Runner, running: Sequence[_RunningSuite], request: Mapping[str, object]
) -> list[GateCheck]:
    """Wait for every shard (within ``SUITE_TIMEOUT_S`` of now), then merge them inside the
    executable: its verdict is the check."""
    deadline = time.monotonic() + SUITE_TIMEOUT_S
    checks = []
    for suite in running:
        problems = [_wait_for(process, deadline)[1] for process in suite.processes]
        problem = next((problem for problem in problems if problem), None)
        if problem is None:
            merge = {**request, "merge": [str(directory) for directory in suite.shard_dirs]}
            process = _suite_process(runner, suite.archive, suite.report_dir, merge)
            outcome, problem = _wait_for(process, deadline)
        if problem is not None or outcome is None:
            checks.append(GateCheck(suite.name, False, problem or "no verdict"))
        else:
            checks.append(
                GateCheck(suite.name, bool(outcome["passed"]), outcome["summary"].splitlines()[0])
            )
    return checks


def _wait_for(
    process: subprocess.Popen[str], deadline: float
) -> tuple[dict[str, object] | None, str | None]:
    """The verdict a suite process printed last, or what went wrong."""
    try:
        stdout, stderr = process.communicate(timeout=max(0.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        return None, f"did not finish within {SUITE_TIMEOUT_S} s"
    outcome = _last_json_line(stdout)
    if outcome is None or "error" in outcome:
        return None, f"could not run ({outcome['error'] if outcome else _tail(stderr)})"
    return outcome, None


class _Incident:
    """Issue #2771 on preprod epoch 250, replayed with the executables over HTTP."""

    network = NETWORKS["preprod"]
    epoch = 250
    cold_seed = blake2b(b"gate:cold", digest_size=32).digest()

    def __init__(
        self, runner: _Runner, signer_exe: Path, aggregator_exe: Path, scratch: Path
    ) -> None:
        self.runner = runner
        self.signer_exe, self.aggregator_exe, self.scratch = signer_exe, aggregator_exe, scratch
        net = self.network
        self.first = net.epoch_first_slot(self.epoch)
        first_period = net.kes_period_of(self.first)
        #: 85 h in, two KES boundaries after the first registration: where 0.2.273 fails.
        self.late = self.first + 85 * 3600
        #: The aggregator log line of the issue, right after a KES rotation.
        self.rotation = net.slot_at(INCIDENT_TIME)
        #: The first slot of the epoch's third KES period, for the one-period-behind check.
        self.boundary = net.kes_period_first_slot(first_period + 2)
        #: The operator's keys, written as cardano-cli files for the signer executable.
        self.credentials = {
            "main": self._kes_files("main", 0, first_period - 20),
            "rotated": self._kes_files("rotated", 1, net.kes_period_of(self.rotation)),
            "expired": self._kes_files(
                "expired", 2, net.kes_period_of(self.late) - net.max_kes_evolutions
            ),
        }
        self.stake = scratch / "stake.json"
        self.stake.write_text(json.dumps({self.credentials["main"].pool_id: 1_000_000}))

    def _kes_files(self, name: str, issue_number: int, start_kes_period: int) -> KesCredentials:
        secret_key, vk = keygen(blake2b(f"gate:kes:{name}".encode(), digest_size=32).digest())
        opcert = OpCert.issue(vk, self.cold_seed, issue_number, start_kes_period)
        (self.scratch / f"{name}.skey").write_text(kes_signing_key_envelope(secret_key))
        (self.scratch / f"{name}.cert").write_text(opcert_envelope(opcert))
        return KesCredentials(secret_key, opcert)

    def replay(self) -> list[GateCheck]:
        checks = []
        with _Aggregator(self, self.first) as url:
            first = self._signer(url, self.first, "main", "restart")
            self._legacy_signer(url, self.first, "upgrade")
        with _Aggregator(self, self.late) as url:
            late = self._signer(url, self.late, "main", "restart")
            checks.append(self._check("restart late in the epoch", first, late))
            upgrade = self._signer(url, self.late, "main", "upgrade")
            checks.append(self._check("upgrade from 0.2.268", None, upgrade))
            checks.append(self._expired_refused(url))
        with _Aggregator(self, self.rotation) as url:
            rotation = self._signer(url, self.rotation, "rotated", "restart")
            checks.append(self._check("KES rotation", None, rotation))
        with _Aggregator(self, self.boundary - 1) as url:
            behind = self._signer(url, self.boundary, "main", "fresh")
            checks.append(self._check("aggregator one KES period behind", None, behind))
        # The hotfix ships the signer alone: it must also work with the strict aggregators
        # the networks run (the built aggregator, told to behave as 0.7.90).
        with _Aggregator(self, self.first, verifier="0.7.90", database="strict") as url:
            first = self._signer(url, self.first, "main", "strict")
        with _Aggregator(self, self.late, verifier="0.7.90", database="strict") as url:
            late = self._signer(url, self.late, "main", "strict")
            checks.append(self._check("restart late in the epoch, aggregator 0.7.90", first, late))
        return checks

    def _signer(
        self, url: str, slot: int, key: str, store: str
    ) -> subprocess.CompletedProcess[str]:
        files = self.scratch
        command = self.runner.command(
            self.signer_exe, "--network", self.network.name,
            "--slot", str(slot), "--aggregator", url, "--json",
            "--kes-key", str(files / f"{key}.skey"), "--opcert", str(files / f"{key}.cert"),
            "--store", str(files / f"{store}.sqlite3"),
        )  # fmt: skip
        return _run(command, self.runner.environment())

    def _legacy_signer(self, url: str, slot: int, store: str) -> None:
        """A 0.2.268 signer (the tree's profile) registering first: the SPO's pre-upgrade state."""
        credentials = self.credentials["main"]
        transport = HttpTransport(url)
        key_store = ProtocolKeyStore(self.scratch / f"{store}.sqlite3")
        try:
            Signer(self.network, credentials, key_store, transport, profile="0.2.268").register(
                self.network.point(slot)
            )
        finally:
            key_store.close()
            transport.close()

    def _expired_refused(self, url: str) -> GateCheck:
        """A certificate past max_kes_evolutions must be refused by the built aggregator."""
        credentials = self.credentials["expired"]
        transport = HttpTransport(url)
        key_store = ProtocolKeyStore()
        try:
            attempt = Signer(
                self.network, credentials, key_store, transport, profile="0.2.268"
            ).register(self.network.point(self.late))
        finally:
            key_store.close()
            transport.close()
        refused = attempt.http_status == 400
        detail = (
            "refused (400)"
            if refused
            else f"answered {attempt.http_status}: accepted an expired certificate"
        )
        return GateCheck("expired certificate refused", refused, detail)

    @staticmethod
    def _check(
        name: str,
        prerequisite: subprocess.CompletedProcess[str] | None,
        step: subprocess.CompletedProcess[str],
    ) -> GateCheck:
        for run in (prerequisite, step):
            if run is not None and run.returncode != 0:
                report = _last_json_line(run.stdout)
                reason = report["message"] if report else _tail(run.stderr or run.stdout)
                return GateCheck(name, False, f"signer exited {run.returncode}: {reason}")
        return GateCheck(name, True, "registered")


class _Aggregator:
    """The built aggregator, served on 127.0.0.1 (free port) until the block ends.

    Its default verifier is the one it ships with; ``verifier`` overrides it through the
    executable's own ``--verifier`` flag.
    """

    def __init__(
        self, incident: _Incident, slot: int, *, verifier: str | None = None, database: str = "main"
    ) -> None:
        self.command = incident.runner.command(
            incident.aggregator_exe, "--network", incident.network.name,
            "--slot", str(slot), "--port", "0", "--quiet", "--stake", str(incident.stake),
            "--db", str(incident.scratch / f"aggregator-{database}.sqlite3"),
        )  # fmt: skip
        self.environment = incident.runner.environment()
        if verifier is not None:
            self.command += ["--verifier", verifier]
        self.process: subprocess.Popen[str] | None = None

    def __enter__(self) -> str:
        self.process = subprocess.Popen(
            dying_with_us(self.command),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.environment,
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line.startswith("listening on "):
            self.process.kill()
            _, errors = self.process.communicate(timeout=PROCESS_TIMEOUT_S)
            raise GateError(
                f"the aggregator executable did not start: {_tail(errors) or line.strip()}"
            )
        return line.removeprefix("listening on ").strip()

    def __exit__(self, *exc: object) -> None:
        assert self.process is not None
        self.process.terminate()
        try:
            self.process.communicate(timeout=PROCESS_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()


def _run(command: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            dying_with_us(command),
            check=False,
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT_S,
            env=environment,
        )
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(
            command, 124, "", f"timed out after {PROCESS_TIMEOUT_S} s"
        )


def _last_json_line(text: str) -> dict[str, object] | None:
    """The JSON object a command printed: its whole output, or else its last line."""
    for candidate in (text, *reversed(text.strip().splitlines()[-1:])):
        try:
            document = json.loads(candidate)
        except ValueError:
            continue
        if isinstance(document, dict):
            return document
    return None


def _tail(text: str, lines: int = 3) -> str:
    return " | ".join(text.strip().splitlines()[-lines:])
