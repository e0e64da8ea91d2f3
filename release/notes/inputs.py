"""Inputs shared by several documents: components, archives, verification material."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ComponentVersion:
    """A component of the distribution and its version in the release being described."""

    name: str
    #: SemVer of the component in this distribution (``0.2.276``).
    version: str
    #: True when this distribution bumped it (the hotfix's changed components).
    changed: bool = False
    #: True when it ships an executable in the archives (it gets an install command).
    shipped: bool = False


@dataclass(frozen=True)
class Archive:
    """One platform archive of the release."""

    #: Build target as configured (``linux-x64``).
    target: str
    #: Asset file name (``mithril-2543.1-hotfix-linux-x64.tar.gz``).
    name: str

    @property
    def platform(self) -> str:
        """``linux-x64`` -> ``Linux x86-64``; unknown parts are kept as written."""
        system, _, arch = self.target.partition("-")
        return " ".join(
            part for part in (_SYSTEMS.get(system, system), _ARCHITECTURES.get(arch, arch)) if part
        )


_SYSTEMS = {"linux": "Linux", "macos": "macOS", "windows": "Windows"}
_ARCHITECTURES = {"x64": "x86-64", "arm64": "ARM64"}


@dataclass(frozen=True)
class Verification:
    """What a user needs to check a downloaded asset's integrity and origin."""

    #: Asset name of the minisign public key published with the release.
    minisign_public_key: str
    #: minisign key id, 16 upper-case hex digits, as printed in the public key's comment line.
    minisign_key_id: str
    #: Asset name of the ``sha256sum`` list.
    checksum_file: str = "CHECKSUM"
    #: The GPG key (id, fingerprint or e-mail, as configured) that clear-signs the checksum
    #: list; None when no GPG key is configured.
    gpg_key: str | None = None
    #: Asset name of the exported GPG public key.
    gpg_public_key: str = "public-key.gpg"

    @property
    def checksum_signature(self) -> str:
        """minisign signature of the checksum list."""
        return f"{self.checksum_file}.minisig"

    @property
    def checksum_clearsigned(self) -> str:
        """GPG clear-signed copy of the checksum list."""
        return f"{self.checksum_file}.asc"


def install_command(template: str, component: str, tag: str) -> str:
    """The configured one-line installer for ``component`` at ``tag``.

    Placeholders are replaced literally (not ``str.format``) because shell commands carry
    their own braces (``${HOME}``).
    """
    return template.replace("{component}", component).replace("{tag}", tag)
