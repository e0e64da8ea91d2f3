"""The release configuration (``release.toml``): its shape, loading and validation.

CONTRACT (shared by distribution, publish, notes and pipeline): field names here are used
across the package. Loading and validation live in this module too (one place for config).
Schema: paths inside the repository (changelog, manifests, ...) are relative to the
repository root; paths of tool things (repository.path, workdir, store, keys, regression
networks file) are relative to the directory holding the config file.
"""

from __future__ import annotations

import difflib
import json
import re
import string
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from release.chain import NETWORKS, load_networks
from release.chain.errors import ChainError
from release.distribution.errors import ConfigError

__all__ = [
    "BUILTIN_BUILDERS",
    "Component",
    "ConfigError",
    "PublishSettings",
    "RegressionSettings",
    "ReleaseConfig",
    "SigningSettings",
    "load_config",
]

#: Builtin builders: this project's fixed nodes packaged as executables.
BUILTIN_BUILDERS = ("signer", "aggregator")
MANIFEST_NAMES = ("Cargo.toml", "pyproject.toml")
PUBLISH_BACKENDS = ("local", "github")
DEFAULT_CONFIG_NAME = "release.toml"
DEFAULT_TARGETS = ("linux-x64", "linux-arm64", "macos-arm64", "windows-x64")


@dataclass(frozen=True)
class Component:
    """A versioned component of the distribution (a crate, a Python package)."""

    name: str
    #: Manifest path relative to the repository root (``Cargo.toml`` or ``pyproject.toml``).
    manifest: Path
    #: Paths (relative, directories or files) whose change since the base tag marks it changed.
    paths: tuple[str, ...]
    #: Shell command building the component's executable for a target (placeholders {target}
    #: and {out}), or None when ``builder`` is set or the component ships no executable.
    build: str | None = None
    #: Name of a builtin builder ("signer" or "aggregator": this project's fixed nodes).
    builder: str | None = None
    #: Targets this component is built for; empty: every target of the distribution.
    targets: tuple[str, ...] = ()
    #: Globs (``**/tests/**``) of paths under ``paths`` whose changes do not mark it changed.
    ignore: tuple[str, ...] = ()

    @property
    def ships_executable(self) -> bool:
        return self.build is not None or self.builder is not None


@dataclass(frozen=True)
class PublishSettings:
    backend: str = "local"  # "local" | "github"
    #: Local release store directory (backend "local").
    store: Path = Path(".hotfix/store")
    #: "owner/name" on GitHub (backend "github").
    repo: str | None = None
    api_url: str = "https://api.github.com"
    #: Name of the environment variable holding the token (the token itself is never in config).
    token_env: str = "GITHUB_TOKEN"
    #: Pause between write requests: GitHub asks for at least one second.
    seconds_between_writes: float = 1.0
    #: Pause between any two requests (reads included), to stay clear of secondary limits.
    seconds_between_requests: float = 0.25


@dataclass(frozen=True)
class SigningSettings:
    #: minisign secret key file (minisign format, unencrypted or scrypt-encrypted).
    minisign_key: Path
    #: Environment variable holding the minisign key password, when the key is encrypted.
    minisign_password_env: str = "MINISIGN_PASSWORD"
    #: Optional GPG key id: adds CHECKSUM.asc and public-key.gpg, and GPG-signs the tag.
    gpg_key: str | None = None


@dataclass(frozen=True)
class RegressionSettings:
    networks: tuple[str, ...] = ("mainnet", "preprod", "preview")
    epochs: int = 3
    #: Optional TOML/JSON file of custom networks (same parameters as the built-in ones).
    networks_file: Path | None = None


@dataclass(frozen=True)
class HotfixSettings:
    #: Commits (refs) every hotfix brings in when ``--fix`` is not given.
    fixes: tuple[str, ...] = ()
    #: Components never bumped by a hotfix, whatever changed in them (``--no-bump`` adds).
    no_bump: tuple[str, ...] = ()
    #: What the hotfix fixes, in one sentence (``--summary``; default: the fixes' subjects).
    summary: str | None = None


@dataclass(frozen=True)
class ReleaseConfig:
    #: Repository root (absolute).
    root: Path
    #: The file this was loaded from, None for the embedded sandbox defaults.
    source: Path | None
    #: Distribution name as written in headings:
    #: "Mithril" -> "## Mithril Distribution [2543.1] - DATE".
    name: str
    #: Prefix of archive names: "{asset_prefix}-{version}-{target}.tar.gz".
    asset_prefix: str
    remote: str
    main_branch: str
    changelog: Path
    blog_dir: Path
    networks_file: Path
    components: tuple[Component, ...]
    targets: tuple[str, ...]
    publish: PublishSettings
    signing: SigningSettings
    #: Where builds, dist files, journals and reports go; never inside the tracked tree
    #: (default: ``<repo>/.git/mithril-release``).
    workdir: Path = Path()
    regression: RegressionSettings = field(default_factory=RegressionSettings)
    hotfix: HotfixSettings = field(default_factory=HotfixSettings)
    #: ``[aggregators]``: Mithril network -> the aggregator version it runs. What the notes'
    #: "none failed" holds for; a network not named runs the base distribution's aggregator.
    aggregators: Mapping[str, str] = field(default_factory=dict)
    #: Web page of a release, "{tag}" placeholder (used in notes and the blog post).
    release_url: str = "https://github.com/input-output-hk/mithril/releases/tag/{tag}"
    #: Download URL of a release asset, "{tag}" and "{name}" placeholders (notes' links).
    asset_url: str = "https://github.com/input-output-hk/mithril/releases/download/{tag}/{name}"
    #: One-line installer (notes and blog): "{component}", "{tag}" placeholders.
    install_command: str = (
        "curl --proto '=https' --tlsv1.2 -sSf "
        "https://raw.githubusercontent.com/input-output-hk/mithril/refs/heads/main/mithril-install.sh"
        ' | sh -s -- -c {component} -d {tag} -p "$(pwd)"'
    )

    def component_targets(self, component: Component) -> tuple[str, ...]:
        """The targets ``component`` is built for, in the distribution's order."""
        return tuple(t for t in self.targets if not component.targets or t in component.targets)


def load_config(path: Path | None = None, *, cwd: Path | None = None) -> ReleaseConfig:
    """Read and validate ``release.toml`` (``path``, else ``./release.toml``).

    Every error names the file and the key, so a user fixes it without reading code.
    """
    base = Path.cwd() if cwd is None else cwd
    label = str(path) if path is not None else DEFAULT_CONFIG_NAME
    config_path = (base / (path if path is not None else DEFAULT_CONFIG_NAME)).absolute()
    try:
        text = config_path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{label}: no such file (looked in {config_path.parent})") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{label}: not UTF-8 text") from None
    except OSError as failure:
        raise ConfigError(f"{label}: cannot be read ({failure.strerror})") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as failure:
        raise ConfigError(f"{label}: not valid TOML: {failure}") from None
    return _ConfigParser(label, config_path).parse(document)


_SECTIONS = (
    "repository",
    "distribution",
    "components",
    "publish",
    "signing",
    "regression",
    "hotfix",
    "aggregators",
)
_SIMPLE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_GIT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")
_FIX_REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/^~-]*(?:\.\.[A-Za-z0-9][A-Za-z0-9._/^~-]*)?")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_GITHUB_REPO = re.compile(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+")
_URL = re.compile(r"https?://[^\s/]+(/\S*)?")
_GPG_KEY = re.compile(r"(0x)?([0-9A-Fa-f]{8}|[0-9A-Fa-f]{16}|[0-9A-Fa-f]{40})|[^\s@<>]+@[^\s@<>]+")
_DISTRIBUTION_NAME = re.compile(r"[^\[\]\n]*\S[^\[\]\n]*")
_NETWORK_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_MITHRIL_NETWORK = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_SEMVER = re.compile(r"\d+\.\d+\.\d+")


def _show(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


class _Table:
    """One TOML table being validated: typed getters that report ``file: table.key: problem``.

    A ``default`` of None makes a key required.
    """

    def __init__(self, data: object, where: str, label: str) -> None:
        self.where = where
        self.label = label
        if not isinstance(data, dict):
            raise ConfigError(f"{label}: {where.rstrip('.')}: must be a table, got {_show(data)}")
        self.data: dict[str, Any] = data
        self.read: set[str] = set()

    def error(self, key: str, message: str) -> ConfigError:
        return ConfigError(f"{self.label}: {self.where}{key}: {message}")

    def _get(self, key: str, default: object) -> object:
        self.read.add(key)
        if key in self.data:
            return self.data[key]
        if default is None:
            raise self.error(key, "missing (required)")
        return default

    def optional_string(
        self, key: str, *, pattern: re.Pattern[str] | None = None, expected: str = ""
    ) -> str | None:
        if key not in self.data:
            self.read.add(key)
            return None
        return self.string(key, pattern=pattern, expected=expected)

    def string(
        self,
        key: str,
        default: str | None = None,
        *,
        pattern: re.Pattern[str] | None = None,
        expected: str = "",
    ) -> str:
        value = self._get(key, default)
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {_show(value)}")
        if not value.strip():
            raise self.error(key, "must not be empty")
        if pattern is not None and not pattern.fullmatch(value):
            raise self.error(key, f"{_show(value)} is not {expected}")
        return value

    def strings(
        self,
        key: str,
        default: tuple[str, ...] | None = None,
        *,
        pattern: re.Pattern[str] | None = None,
        expected: str = "",
    ) -> tuple[str, ...]:
        value = self._get(key, default)
        if value is default:
            return value  # type: ignore[return-value]
        if not isinstance(value, list) or not value:
            raise self.error(key, f"must be a non-empty list of strings, got {_show(value)}")
        for index, item in enumerate(value):
            if not isinstance(item, str):
                raise self.error(f"{key}[{index}]", f"must be a string, got {_show(item)}")
            if pattern is not None and not pattern.fullmatch(item):
                raise self.error(f"{key}[{index}]", f"{_show(item)} is not {expected}")
        duplicates = sorted({item for item in value if value.count(item) > 1})
        if duplicates:
            raise self.error(key, f"lists {_show(duplicates[0])} more than once")
        return tuple(value)

    def integer(self, key: str, default: int, *, minimum: int) -> int:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, got {_show(value)}")
        if value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return value

    def number(self, key: str, default: float, *, minimum: float) -> float:
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, got {_show(value)}")
        if value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return float(value)

    def table(self, key: str) -> _Table:
        return _Table(self._get(key, {}), f"{self.where}{key}.", self.label)

    def array_of_tables(self, key: str) -> list[_Table]:
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(key, f"must be an array of tables ([[{key}]]), got {_show(value)}")
        return [
            _Table(item, f"[[{key}]][{number}].", self.label)
            for number, item in enumerate(value, 1)
        ]

    def refuse(self, key: str, message: str) -> None:
        """Reject a key that must never be set (e.g. a token), with the reason."""
        if key in self.data:
            raise self.error(key, message)

    def finish(self) -> None:
        """Reject keys nobody read: a typo must not silently fall back to a default."""
        for key in self.data:
            if key in self.read:
                continue
            close = difflib.get_close_matches(key, sorted(self.read), n=1)
            hint = f"did you mean {_show(close[0])}?" if close else f"known: {sorted(self.read)}"
            raise self.error(key, f"unknown key; {hint}")


class _ConfigParser:
    """Turns the parsed TOML document into a :class:`ReleaseConfig`, table by table."""

    def __init__(self, label: str, config_path: Path) -> None:
        self.label = label
        self.source = config_path
        self.config_dir = config_path.parent

    def tool_path(self, table: _Table, key: str, default: str | None = None) -> Path:
        """A path of the tool's own files, relative to the config file's directory."""
        value = table.string(key, default)
        return (self.config_dir / Path(value).expanduser()).absolute()

    def optional_tool_path(self, table: _Table, key: str) -> Path | None:
        return self.tool_path(table, key) if table.optional_string(key) is not None else None

    def parse(self, document: dict[str, Any]) -> ReleaseConfig:
        top = _Table(document, "", self.label)
        # A misspelt table would otherwise surface as a confusing "missing key" elsewhere.
        top.read.update(_SECTIONS)
        top.finish()
        root = self.repository(top.table("repository"))
        table = top.table("distribution")
        name = table.string("name", pattern=_DISTRIBUTION_NAME, expected="one line without [ ]")
        default_prefix = re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-") or "release"
        targets = table.strings(
            "targets", DEFAULT_TARGETS, pattern=_SIMPLE_NAME, expected="a name ([A-Za-z0-9._-])"
        )
        workdir = self.optional_tool_path(table, "workdir") or root / ".git" / "mithril-release"
        asset_prefix = table.string(
            "asset_prefix", default_prefix, pattern=_SIMPLE_NAME, expected="a file name prefix"
        )
        remote = table.string("remote", "origin", pattern=_GIT_NAME, expected="a remote name")
        main_branch = table.string("main_branch", "main", pattern=_GIT_NAME, expected="a branch")
        changelog = _repository_path(table, "changelog", "CHANGELOG.md")
        blog_dir = _repository_path(table, "blog_dir", "docs/website/blog")
        networks_file = _repository_path(table, "networks_file", "networks.json")
        release_url = _template(
            table, "release_url", ReleaseConfig.release_url, allowed={"tag"}, required={"tag"}
        )
        install_command = _template(
            table, "install_command", ReleaseConfig.install_command, allowed={"component", "tag"}
        )
        asset_url = _template(
            table,
            "asset_url",
            ReleaseConfig.asset_url,
            allowed={"tag", "name"},
            required={"tag", "name"},
        )
        table.finish()
        components = self.components(top, targets)
        config = ReleaseConfig(
            root=root,
            source=self.source,
            name=name.strip(),
            asset_prefix=asset_prefix,
            remote=remote,
            main_branch=main_branch,
            changelog=changelog,
            blog_dir=blog_dir,
            networks_file=networks_file,
            components=components,
            targets=targets,
            publish=self.publish(top.table("publish"), workdir),
            signing=self.signing(top.table("signing")),
            workdir=workdir,
            regression=self.regression(top.table("regression")),
            hotfix=self.hotfix(top.table("hotfix"), components),
            aggregators=self.aggregators(top.table("aggregators")),
            release_url=release_url,
            asset_url=asset_url,
            install_command=install_command,
        )
        return config

    def aggregators(self, table: _Table) -> dict[str, str]:
        """Mithril network name -> aggregator version (checked against networks.json when
        the notes read it)."""
        versions = {}
        for name in list(table.data):
            if not _MITHRIL_NETWORK.fullmatch(name):
                table.refuse(name, "expected a Mithril network name such as release-mainnet")
            versions[name] = table.string(name, pattern=_SEMVER, expected="a version (0.7.90)")
        table.finish()
        return versions

    def repository(self, table: _Table) -> Path:
        root = self.tool_path(table, "path", ".").resolve()
        if not root.is_dir():
            shown = _show(table.data.get("path", "."))
            raise table.error("path", f"{shown} is not a directory ({root})")
        table.finish()
        return root

    def components(self, top: _Table, targets: tuple[str, ...]) -> tuple[Component, ...]:
        tables = top.array_of_tables("components")
        if not tables:
            raise top.error("components", "missing: declare at least one [[components]] table")
        components: dict[str, Component] = {}
        for table in tables:
            component = self.component(table, targets)
            if component.name in components:
                raise table.error("name", f"{_show(component.name)} is declared twice")
            components[component.name] = component
        return tuple(components.values())

    def component(self, table: _Table, targets: tuple[str, ...]) -> Component:
        name = table.string("name", pattern=_SIMPLE_NAME, expected="a name ([A-Za-z0-9._-])")
        manifest = _repository_path(table, "manifest")
        if manifest.name not in MANIFEST_NAMES:
            shown = _show(table.data["manifest"])
            raise table.error("manifest", f"{shown} is not a Cargo.toml or pyproject.toml")
        paths = table.strings("paths", (_directory_of(manifest),))
        for index, entry in enumerate(paths):
            _check_inside_repository(table, f"paths[{index}]", entry)
        build = _template(table, "build", None, allowed={"target", "out"}, required={"out"})
        builder = table.optional_string("builder")
        if builder is not None and builder not in BUILTIN_BUILDERS:
            raise table.error(
                "builder", f"{_show(builder)} is not one of {', '.join(BUILTIN_BUILDERS)}"
            )
        if build is not None and builder is not None:
            raise table.error("build", "set either build (a shell command) or builder, not both")
        component_targets = table.strings("targets", ())
        for index, target in enumerate(component_targets):
            if target not in targets:
                raise table.error(
                    f"targets[{index}]",
                    f"{_show(target)} is not one of distribution.targets {_show(list(targets))}",
                )
        ignore = table.strings("ignore", ())
        for index, pattern in enumerate(ignore):
            _check_inside_repository(table, f"ignore[{index}]", pattern)
        table.finish()
        return Component(name, manifest, paths, build, builder, component_targets, ignore)

    def publish(self, table: _Table, workdir: Path) -> PublishSettings:
        table.refuse(
            "token",
            "a token never goes in the config file: set token_env to the name of "
            "the environment variable holding it",
        )
        backend = table.string("backend", "local")
        if backend not in PUBLISH_BACKENDS:
            shown = _show(backend)
            raise table.error("backend", f"{shown} is not one of {', '.join(PUBLISH_BACKENDS)}")
        repo = table.optional_string("repo", pattern=_GITHUB_REPO, expected='"owner/name"')
        if backend == "github" and repo is None:
            raise table.error("repo", 'missing: backend "github" needs repo = "owner/name"')
        settings = PublishSettings(
            backend=backend,
            store=self.optional_tool_path(table, "store") or workdir / "store",
            repo=repo,
            api_url=table.string(
                "api_url", PublishSettings.api_url, pattern=_URL, expected="an http(s) URL"
            ).rstrip("/"),
            token_env=table.string(
                "token_env",
                PublishSettings.token_env,
                pattern=_ENV_NAME,
                expected="an environment variable name",
            ),
            seconds_between_writes=table.number(
                "seconds_between_writes", PublishSettings.seconds_between_writes, minimum=0
            ),
            seconds_between_requests=table.number(
                "seconds_between_requests", PublishSettings.seconds_between_requests, minimum=0
            ),
        )
        table.finish()
        return settings

    def signing(self, table: _Table) -> SigningSettings:
        settings = SigningSettings(
            minisign_key=self.tool_path(table, "minisign_key"),
            minisign_password_env=table.string(
                "minisign_password_env",
                SigningSettings.minisign_password_env,
                pattern=_ENV_NAME,
                expected="an environment variable name",
            ),
            gpg_key=table.optional_string(
                "gpg_key",
                pattern=_GPG_KEY,
                expected="a GPG key id or fingerprint (hex) or an e-mail address",
            ),
        )
        table.finish()
        return settings

    def regression(self, table: _Table) -> RegressionSettings:
        networks_file = self.optional_tool_path(table, "networks_file")
        if networks_file is not None and not networks_file.is_file():
            shown = _show(table.data["networks_file"])
            raise table.error("networks_file", f"{shown} is not a file ({networks_file})")
        settings = RegressionSettings(
            networks=table.strings(
                "networks",
                RegressionSettings.networks,
                pattern=_NETWORK_NAME,
                expected="a network name ([a-z0-9_-])",
            ),
            epochs=table.integer("epochs", RegressionSettings.epochs, minimum=1),
            networks_file=networks_file,
        )
        _require_known_networks(table, settings)
        table.finish()
        return settings

    def hotfix(self, table: _Table, components: tuple[Component, ...]) -> HotfixSettings:
        names = [component.name for component in components]
        no_bump = table.strings("no_bump", ())
        for index, name in enumerate(no_bump):
            if name not in names:
                raise table.error(f"no_bump[{index}]", f"{_show(name)} is not a component {names}")
        settings = HotfixSettings(
            fixes=table.strings(
                "fixes", (), pattern=_FIX_REF, expected="a git ref, commit or A..B"
            ),
            no_bump=no_bump,
            summary=table.optional_string("summary"),
        )
        table.finish()
        return settings


def _require_known_networks(table: _Table, settings: RegressionSettings) -> None:
    """Refuse a network the gate could not find now, not after the branch and the bumps."""
    known = dict(NETWORKS)
    if settings.networks_file is not None:
        try:
            known.update(load_networks(settings.networks_file))
        except ChainError as failure:
            raise table.error("networks_file", str(failure)) from None
    elsewhere = (
        "none more in networks_file"
        if settings.networks_file
        else "define others in a file named by networks_file"
    )
    for index, name in enumerate(settings.networks):
        if name not in known:
            raise table.error(
                f"networks[{index}]",
                f"unknown network {_show(name)}; known: {', '.join(sorted(known))} ({elsewhere})",
            )


def _repository_path(table: _Table, key: str, default: str | None = None) -> Path:
    value = table.string(key, default)
    _check_inside_repository(table, key, value)
    return Path(value)


def _check_inside_repository(table: _Table, key: str, value: str) -> None:
    """A repository path is relative and never climbs out of the tree."""
    path = PurePosixPath(value)
    if not value.strip():
        raise table.error(key, "must not be empty")
    if path.is_absolute() or value.startswith("~"):
        raise table.error(key, f"{_show(value)} must be relative to the repository root")
    if ".." in path.parts:
        raise table.error(key, f"{_show(value)} leaves the repository (contains ..)")


def _directory_of(manifest: Path) -> str:
    """Default component paths: the manifest's directory ("." for a manifest at the root)."""
    parent = manifest.parent.as_posix()
    return "." if parent == "." else f"{parent}/"


def _template(
    table: _Table,
    key: str,
    default: str | None,
    *,
    allowed: Collection[str],
    required: Collection[str] = (),
) -> Any:
    """A string with ``{placeholder}`` fields, checked on load rather than on first use.

    With ``default`` None the key is optional and absent gives None.
    """
    value = table.string(key, default) if default is not None else table.optional_string(key)
    if value is None:
        return None
    try:
        fields = {name for _, name, _, _ in string.Formatter().parse(value) if name is not None}
    except ValueError as failure:
        raise table.error(
            key, f"{_show(value)} is not a valid template ({failure}); write {{{{ for a literal {{"
        ) from None
    unknown = sorted(fields - set(allowed))
    if unknown:
        known = ", ".join(f"{{{name}}}" for name in sorted(allowed))
        raise table.error(key, f"uses {{{unknown[0]}}}; the placeholders are {known}")
    missing = sorted(set(required) - fields)
    if missing:
        raise table.error(key, f"{_show(value)} must contain {{{missing[0]}}}")
    return value
