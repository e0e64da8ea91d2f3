"""The release configuration (``release.toml``): its shape.

CONTRACT (shared by distribution, publish, notes and pipeline): field names here are used
across the package. Loading and validation live in this module too (one place for config).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Component:
    """A versioned component of the distribution (a crate, a Python package)."""

    name: str
    #: Manifest path relative to the repository root (``Cargo.toml`` or ``pyproject.toml``).
    manifest: Path
    #: Paths (relative, directories or files) whose change since the base tag marks it changed.
    paths: tuple[str, ...]
    #: Shell command building the component's executable for a target ({target}, {out} placeholders),
    #: or None when ``builder`` is set or the component ships no executable.
    build: str | None = None
    #: Name of a builtin builder ("signer" or "aggregator": this project's fixed nodes).
    builder: str | None = None


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
class ReleaseConfig:
    #: Repository root (absolute).
    root: Path
    #: The file this was loaded from, None for the embedded sandbox defaults.
    source: Path | None
    #: Distribution name as written in headings: "Mithril" -> "## Mithril Distribution [2543.1] - DATE".
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
    #: Web page of a release, "{tag}" placeholder (used in notes and the blog post).
    release_url: str = "https://github.com/input-output-hk/mithril/releases/tag/{tag}"
    #: One-line installer (notes and blog): "{component}", "{tag}" placeholders.
    install_command: str = (
        "curl --proto '=https' --tlsv1.2 -sSf "
        "https://raw.githubusercontent.com/input-output-hk/mithril/refs/heads/main/mithril-install.sh"
        ' | sh -s -- -c {component} -d {tag} -p "$(pwd)"'
    )
