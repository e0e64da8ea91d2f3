"""Mithril's ``networks.json``: which Mithril networks run on which Cardano network, and the
Cardano node versions they need. Compatibility tables are computed from it, never typed in.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

from release.notes.errors import NetworksFileError


class ReleaseStage(StrEnum):
    """How far a distribution has gone: it decides where it is deployed."""

    PRERELEASE = "prerelease"
    RELEASE = "release"


#: Deployment tiers (the part of a Mithril network name before the Cardano network name)
#: running a distribution at each stage. A pre-release goes to ``pre-release-*`` only; the
#: ``released`` event deploys it to ``release-*`` too; ``testing-*`` runs unreleased builds.
DEPLOYED_TIERS: dict[ReleaseStage, frozenset[str]] = {
    ReleaseStage.PRERELEASE: frozenset({"pre-release"}),
    ReleaseStage.RELEASE: frozenset({"pre-release", "release"}),
}


@dataclass(frozen=True)
class MithrilNetwork:
    """One Mithril network (``release-mainnet``) and where its aggregators answer."""

    name: str
    cardano_network: str
    aggregator_urls: tuple[str, ...]

    @property
    def tier(self) -> str:
        """``release-mainnet`` -> ``release``; a name not ending in its Cardano network is
        its own tier."""
        suffix = f"-{self.cardano_network}"
        return self.name.removesuffix(suffix) if self.name.endswith(suffix) else self.name

    def runs(self, stage: ReleaseStage) -> bool:
        """Whether a distribution at ``stage`` is deployed on this network."""
        return self.tier in DEPLOYED_TIERS[stage]


@dataclass(frozen=True)
class CardanoNetwork:
    """A Cardano network as ``networks.json`` describes it."""

    name: str
    #: (node component, minimum Cardano node version), in file order.
    minimum_node_versions: tuple[tuple[str, str], ...]
    mithril_networks: tuple[MithrilNetwork, ...]


def compatibility(
    networks: tuple[CardanoNetwork, ...], stage: ReleaseStage
) -> list[tuple[str, bool]]:
    """(Mithril network, deployed at ``stage``) for every Mithril network, in file order."""
    return [
        (mithril.name, mithril.runs(stage))
        for cardano in networks
        for mithril in cardano.mithril_networks
    ]


def load_networks(path: Path) -> tuple[CardanoNetwork, ...]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise NetworksFileError(f"{path}: cannot read ({error.strerror})") from None
    return parse_networks(text, source=str(path))


def parse_networks(text: str, *, source: str = "networks.json") -> tuple[CardanoNetwork, ...]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise NetworksFileError(f"{source}: not JSON ({error})") from None
    if not isinstance(document, dict) or not document:
        raise NetworksFileError(f"{source}: expected an object of Cardano network -> settings")
    return tuple(_cardano_network(name, settings, source) for name, settings in document.items())


def _cardano_network(name: str, settings: Any, source: str) -> CardanoNetwork:
    where = f"{source}: {name}"
    if not isinstance(settings, dict):
        raise NetworksFileError(f"{where}: expected an object")
    minimum = settings.get("cardano-minimum-version")
    if not isinstance(minimum, dict) or not all(
        isinstance(version, str) for version in minimum.values()
    ):
        raise NetworksFileError(
            f"{where}.cardano-minimum-version: expected an object of node -> version string"
        )
    entries = settings.get("mithril-networks")
    if not isinstance(entries, list) or not all(isinstance(entry, dict) for entry in entries):
        raise NetworksFileError(f"{where}.mithril-networks: expected a list of objects")
    mithril = tuple(
        _mithril_network(network, details, name, f"{where}.mithril-networks[{index}]")
        for index, entry in enumerate(entries)
        for network, details in entry.items()
    )
    return CardanoNetwork(name, tuple(minimum.items()), mithril)


def _mithril_network(name: str, details: Any, cardano: str, where: str) -> MithrilNetwork:
    aggregators = details.get("aggregators", []) if isinstance(details, dict) else None
    if not isinstance(aggregators, list) or not all(
        isinstance(item, dict) and isinstance(item.get("url"), str) for item in aggregators
    ):
        raise NetworksFileError(f'{where}.{name}.aggregators: expected a list of {{"url": ...}}')
    return MithrilNetwork(name, cardano, tuple(item["url"] for item in aggregators))
