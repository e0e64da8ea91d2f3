"""The body of a GitHub (or local store) release: the pre-release and the promoted variants."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from release.notes.affected import OperatorImpact
from release.notes.inputs import Archive, ComponentVersion, Verification, install_command
from release.notes.networks import CardanoNetwork, ReleaseStage, compatibility
from release.notes.regression import RegressionSummary
from release.notes.templates import render

TEMPLATE = "release_body.md.j2"


@dataclass(frozen=True)
class ReleaseBodyInput:
    """Everything the release body states; the pipeline fills it from config, build and report."""

    #: Distribution name as in CHANGELOG headings (``Mithril``).
    name: str
    #: Distribution tag (``2543.1-hotfix``).
    tag: str
    #: Pre-release or promoted release: decides the networks compatibility table.
    stage: ReleaseStage
    #: Every component with its version in this distribution, in display order.
    components: tuple[ComponentVersion, ...]
    #: Parsed ``networks.json`` of the tagged commit.
    networks: tuple[CardanoNetwork, ...]
    #: The platform archives, in configured target order.
    archives: tuple[Archive, ...]
    #: Configured one-line installer with ``{component}`` and ``{tag}`` placeholders.
    install_command: str
    verification: Verification
    #: The regression gate's outcome; None when the gate was not run (said plainly).
    regression: RegressionSummary | None = None
    #: Who lost signing, in the words every document uses; None without a report.
    impact: OperatorImpact | None = None
    #: What a host needs to run the shipped executables.
    host_requirements: str = ""
    #: What the hotfix fixes, one sentence each (empty for a distribution that is no hotfix).
    fixes: tuple[str, ...] = ()
    #: The SPO notes published with the release: (asset name, download URL).
    operator_notes: tuple[tuple[str, str], ...] = ()


def render_release_body(data: ReleaseBodyInput, *, repo_root: Path | None = None) -> str:
    """The release body in Markdown (``repo_root``: where to look for template overrides)."""
    return render(
        TEMPLATE,
        {
            "data": data,
            "prerelease": data.stage is ReleaseStage.PRERELEASE,
            "component_rows": [
                [component.name, f"`{component.version}`", "✔" if component.changed else ""]
                for component in data.components
            ],
            "compatibility_rows": [
                [f"`{network}`", "✔" if deployed else "⛔"]
                for network, deployed in compatibility(data.networks, data.stage)
            ],
            "node_headers": ["Cardano network", "Mithril networks", *_node_names(data.networks)],
            "node_rows": _node_rows(data.networks),
            "archive_rows": [
                [archive.platform, f"`{archive.target}`", f"`{archive.name}`"]
                for archive in data.archives
            ],
            "installs": [
                (component.name, install_command(data.install_command, component.name, data.tag))
                for component in data.components
                if component.shipped
            ],
        },
        repo_root=repo_root,
    )


def _node_names(networks: tuple[CardanoNetwork, ...]) -> list[str]:
    return list(
        dict.fromkeys(node for network in networks for node, _ in network.minimum_node_versions)
    )


def _node_rows(networks: tuple[CardanoNetwork, ...]) -> list[list[str]]:
    """One row per Cardano network: the minimum Cardano node version each Mithril node needs."""
    nodes = _node_names(networks)
    rows = []
    for network in networks:
        minimum = dict(network.minimum_node_versions)
        rows.append(
            [
                network.name,
                ", ".join(f"`{mithril.name}`" for mithril in network.mithril_networks),
                *(f"`>= {minimum[node]}`" if node in minimum else "-" for node in nodes),
            ]
        )
    return rows
