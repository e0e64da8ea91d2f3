"""Build the distribution: executables per target, archives, ``VERSION``.

Two kinds of components ship executables: those with a shell ``build`` command (run per
target with ``{target}`` and ``{out}``), and those with a builtin builder, which packages this
project's own fixed signer or aggregator per target with its dependencies inside
(:mod:`release.distribution.executables`: a pex on Linux and macOS, a zipapp beside a
``lib`` folder on Windows). Every output is byte-reproducible from the commit:
``SOURCE_DATE_EPOCH`` is the commit time.
"""

from __future__ import annotations

import ast
import os
import shlex
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from release._fs import atomic_write
from release.config import BUILTIN_BUILDERS, Component, ReleaseConfig
from release.distribution._archive import write_tar_gz
from release.distribution.errors import BuildError
from release.distribution.executables import ENTRY_MODULE, Executable, build_builtin
from release.distribution.targets import TARGETS, host_target
from release.distribution.versions import DistributionVersion

#: The directory holding the ``release`` package this tool runs from.
PACKAGE_SOURCE = Path(__file__).resolve().parents[2]
PACKAGE = "release"
#: Packed too: the release gate runs the regression suite from the shipped bytes themselves.
GATE_MODULE = "release.regression"
VERSION_FILE = "VERSION"
_EXCLUDED_PARTS = {"__pycache__", "tests"}
_EXCLUDED_SUFFIXES = {".pyc", ".pyo"}


@dataclass(frozen=True)
class BuildResult:
    #: The directory of distribution files: archives and ``VERSION``.
    dist_dir: Path
    files: tuple[Path, ...]
    #: Executables by (component name, target), kept in the stage directory after the build.
    executables: dict[tuple[str, str], Path] = field(default_factory=dict)
    #: Builtin builder name ("signer", "aggregator") -> target -> its executable.
    builtin: dict[str, dict[str, Path]] = field(default_factory=dict)


def archive_name(prefix: str, version: DistributionVersion, target: str) -> str:
    return f"{prefix}-{version}-{target}.tar.gz"


def planned_files(config: ReleaseConfig, version: DistributionVersion) -> list[str]:
    """Names of the files :func:`build_distribution` writes, without building (dry runs)."""
    targets = {
        t for c in config.components if c.ships_executable for t in config.component_targets(c)
    }
    archives = [
        archive_name(config.asset_prefix, version, t) for t in config.targets if t in targets
    ]
    return [*archives, VERSION_FILE]


def runtime_files(source_root: Path = PACKAGE_SOURCE, entry: str = ENTRY_MODULE) -> dict[str, Path]:
    """Files of the ``release`` package an executable needs: archive name -> file.

    Starting from ``entry`` (and the regression suite the gate runs from the archive), every
    subpackage reached through an import is taken whole
    (so modules loaded by name at run time come along), and the imports of its modules are
    followed in turn. Tests, caches and unreached subpackages stay out.
    """
    package_dir = source_root / PACKAGE
    if not (package_dir / "__init__.py").is_file():
        raise BuildError(f"{package_dir} is not the {PACKAGE!r} package (no __init__.py)")
    taken: dict[str, Path] = {}
    pending = [entry, GATE_MODULE, PACKAGE]
    seen: set[str] = set()
    while pending:
        module = pending.pop()
        unit = _packaging_unit(module)
        if unit in seen:
            continue
        seen.add(unit)
        unit_path = source_root.joinpath(*unit.split("."))
        if unit == PACKAGE:  # the package's own __init__, not every subpackage
            files = [package_dir / "__init__.py"]
        elif unit_path.is_dir():
            files = _package_files(unit_path)
        else:
            files = [unit_path.with_suffix(".py")]
        for path in files:
            if not path.is_file():
                raise BuildError(f"module {module} is imported but {path} does not exist")
            taken[path.relative_to(source_root).as_posix()] = path
            if path.suffix == ".py":
                pending.extend(_imported_modules(path, source_root))
    return taken


def build_executable(
    kind: str,
    *,
    component: str,
    version: str,
    target: str,
    output_dir: Path,
    epoch: int,
    source_root: Path = PACKAGE_SOURCE,
) -> Executable:
    """The fixed ``kind`` ("signer"/"aggregator") for ``target``, written into ``output_dir``."""
    if kind not in BUILTIN_BUILDERS:
        raise BuildError(f"no builtin builder {kind!r} (known: {', '.join(BUILTIN_BUILDERS)})")
    return build_builtin(
        kind,
        component=component,
        version=version,
        target=target,
        files=runtime_files(source_root),
        output_dir=output_dir,
        epoch=epoch,
    )


def build_builtins(
    output_dir: Path,
    targets: tuple[str, ...],
    *,
    version: str,
    epoch: int = 0,
    source_root: Path = PACKAGE_SOURCE,
) -> dict[str, dict[str, Path]]:
    """The fixed signer and aggregator of each of ``targets`` (``output_dir/<target>/``):
    ``{target: {"signer": path, "aggregator": path}}``, the shape the gate takes."""
    return {
        target: {
            kind: build_executable(
                kind,
                component=f"mithril-{kind}",
                version=version,
                target=target,
                output_dir=output_dir / target,
                epoch=epoch,
                source_root=source_root,
            ).path
            for kind in BUILTIN_BUILDERS
        }
        for target in targets
    }


def build_for_this_machine(
    output_dir: Path, *, version: str, epoch: int = 0, source_root: Path = PACKAGE_SOURCE
) -> dict[str, dict[str, Path]]:
    """The fixed signer and aggregator of this machine's target (what the gate runs)."""
    target = host_target()
    if target is None:
        raise BuildError(f"this machine is none of the targets {', '.join(TARGETS)}")
    return build_builtins(
        output_dir, (target,), version=version, epoch=epoch, source_root=source_root
    )


def run_build_command(
    component: Component, target: str, out_dir: Path, *, root: Path, epoch: int
) -> list[Path]:
    """Run the component's shell build for ``target`` into an empty ``out_dir``; its files."""
    if component.build is None:
        raise BuildError(f"component {component.name} has no build command")
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    command = component.build.format(target=shlex.quote(target), out=shlex.quote(str(out_dir)))
    environment = {**os.environ, "SOURCE_DATE_EPOCH": str(epoch)}
    completed = subprocess.run(
        command, shell=True, cwd=root, env=environment, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        tail = "\n".join((completed.stderr or completed.stdout).strip().splitlines()[-5:])
        raise BuildError(
            f"build of {component.name} for {target} failed (exit {completed.returncode}): "
            f"{command}\n{tail}"
        )
    entries = sorted(out_dir.iterdir())
    nested = [entry.name for entry in entries if not entry.is_file()]
    if nested:
        raise BuildError(
            f"build of {component.name} for {target} left directories in {out_dir} "
            f"({', '.join(nested)}); archives hold files at their root only"
        )
    if not entries:
        raise BuildError(f"build of {component.name} for {target} wrote nothing into {out_dir}")
    return entries


def build_distribution(
    config: ReleaseConfig,
    version: DistributionVersion,
    *,
    versions: Mapping[str, str],
    epoch: int,
    dist_dir: Path,
    stage_dir: Path,
    source_root: Path = PACKAGE_SOURCE,
) -> BuildResult:
    """Build every shipped component per target and package the distribution files.

    ``versions`` gives each component's version (stamped into builtin executables). Both
    directories belong to the build and are emptied first: the result replaces ``dist_dir``
    whole, so files of an earlier, different build never linger; executables stay in
    ``stage_dir`` for the regression gate.
    """
    for directory in (dist_dir, stage_dir):
        if directory.resolve() in (config.root, *config.root.parents):
            raise BuildError(f"{directory} holds the repository; builds go in their own directory")
    if stage_dir.exists():
        shutil.rmtree(stage_dir)
    executables: dict[tuple[str, str], Path] = {}
    builtin: dict[str, dict[str, Path]] = {}
    members: dict[str, dict[str, Path]] = {target: {} for target in config.targets}
    shipped = [c for c in config.components if c.ships_executable]
    sources = runtime_files(source_root) if any(c.builder for c in shipped) else {}
    for component in shipped:
        for target in config.component_targets(component):
            if component.builder is not None:
                built = build_builtin(
                    component.builder,
                    component=component.name,
                    version=_version_of(component, versions),
                    target=target,
                    files=sources,
                    output_dir=stage_dir / "builtin" / target,
                    epoch=epoch,
                )
                builtin.setdefault(component.builder, {})[target] = built.path
                outputs, first = built.members, built.path
            else:
                out_dir = stage_dir / component.name / target
                files = run_build_command(component, target, out_dir, root=config.root, epoch=epoch)
                outputs, first = {path.name: path for path in files}, files[0]
            for name, output in outputs.items():
                if members[target].get(name, output) != output:
                    raise BuildError(f"two components put {name!r} into the {target} archive")
                members[target][name] = output
            executables[(component.name, target)] = first
    partial = dist_dir.with_name(f"{dist_dir.name}.partial")
    if partial.exists():
        shutil.rmtree(partial)
    files = [
        _write_archive(partial, archive_name(config.asset_prefix, version, target), files, epoch)
        for target, files in members.items()
        if files
    ]
    atomic_write(partial / VERSION_FILE, f"{version}\n")
    files.append(partial / VERSION_FILE)
    if dist_dir.exists():
        shutil.rmtree(dist_dir)
    partial.rename(dist_dir)
    return BuildResult(
        dist_dir,
        tuple(dist_dir / path.name for path in files),
        executables,
        builtin,
    )


def _write_archive(directory: Path, name: str, members: Mapping[str, Path], epoch: int) -> Path:
    """Executables at the archive root (mode 0755); what sits in folders (``lib/``) is data."""
    path = directory / name
    write_tar_gz(path, members, epoch=epoch, data={n for n in members if "/" in n})
    return path


def _version_of(component: Component, versions: Mapping[str, str]) -> str:
    try:
        return versions[component.name]
    except KeyError:
        raise BuildError(f"no version given for component {component.name}") from None


def _packaging_unit(module: str) -> str:
    """``release.nodes.cli`` -> ``release.nodes``: a subpackage is taken whole."""
    parts = module.split(".")
    return ".".join(parts[:2])


def _package_files(directory: Path) -> list[Path]:
    return sorted(
        path
        for path in directory.rglob("*")
        if path.is_file()
        and not _EXCLUDED_PARTS.intersection(path.relative_to(directory).parts)
        and path.suffix not in _EXCLUDED_SUFFIXES
    )


def _imported_modules(path: Path, source_root: Path) -> list[str]:
    """Modules of the ``release`` package that ``path`` imports (absolute or relative).

    ``from package import name`` counts ``package.name`` only when it is a module: the name
    may as well be a function.
    """
    package_parts = list(path.relative_to(source_root).parts[:-1])
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except SyntaxError as failure:
        raise BuildError(f"{path} does not parse: {failure}") from None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            anchor = package_parts[: len(package_parts) - node.level + 1] if node.level else []
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            found.append(base)
            found += [
                f"{base}.{alias.name}"
                for alias in node.names
                if _is_module(source_root, f"{base}.{alias.name}")
            ]
    return [name for name in found if name.split(".")[0] == PACKAGE]


def _is_module(source_root: Path, dotted: str) -> bool:
    path = source_root.joinpath(*dotted.split("."))
    return path.is_dir() or path.with_suffix(".py").is_file()
