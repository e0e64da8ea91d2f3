"""Notes for stake pool operators: roll back before the fix ships, upgrade once it has."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from release.notes.affected import OperatorImpact
from release.notes.inputs import Archive, Verification, install_command
from release.notes.networks import CardanoNetwork, MithrilNetwork, ReleaseStage
from release.notes.regression import PairOutcome, RegressionSummary
from release.notes.templates import render

ROLLBACK_TEMPLATE = "rollback.md.j2"
UPGRADE_TEMPLATE = "upgrade.md.j2"
#: The SPO notes, by role: rendered before the signatures, published as release assets.
NOTE_FILES = {"rollback": "rollback.md", "upgrade": "upgrade.md"}


@dataclass(frozen=True)
class RollbackInput:
    """The workaround for operators hit before the fixed signer ships."""

    #: Distribution name (``Mithril``).
    name: str
    #: Signer component name, as the installer's ``-c`` takes it (``mithril-signer``).
    signer_component: str
    #: Distribution and signer version showing the failure (``2543.0`` / ``0.2.273``).
    broken_tag: str
    broken_signer_version: str
    #: Last distribution whose signer passes the regression suite, and its signer version
    #: (``2537.0`` / ``0.2.268``), computed by the pipeline from the report.
    rollback_tag: str
    rollback_signer_version: str
    #: Configured one-line installer with ``{component}`` and ``{tag}`` placeholders.
    install_command: str
    #: Aggregator version deployed alongside the broken signer (``0.7.90``).
    aggregator_version: str
    #: Who lost signing, in the words every document uses.
    impact: OperatorImpact
    #: The rollback signer against the deployed aggregator in the same suite; its ``restart``
    #: outcome says whether a restarted signer registers at once. None: not measured.
    rollback_outcome: PairOutcome | None
    #: Parsed ``networks.json``: the aggregators operators can query.
    networks: tuple[CardanoNetwork, ...]
    #: The rollback release's platform archives and how to check them.
    archives: tuple[Archive, ...]
    verification: Verification
    #: How often a signer that failed to register tries again, in seconds (low, high).
    retry_seconds: tuple[int, int] = (60, 120)


@dataclass(frozen=True)
class ComponentUpgrade:
    """A component the hotfix changed."""

    name: str
    previous_version: str
    version: str
    #: Ships an executable (gets an upgrade command).
    shipped: bool = True


@dataclass(frozen=True)
class UpgradeInput:
    """The upgrade to the hotfix distribution."""

    #: Distribution name (``Mithril``).
    name: str
    #: Hotfix tag (``2543.1-hotfix``) and the distribution it fixes (``2543.0``).
    tag: str
    base_tag: str
    #: Components the hotfix changed, with their versions before and after.
    components: tuple[ComponentUpgrade, ...]
    #: What the hotfix changes, one plain sentence each.
    changes: tuple[str, ...]
    #: Who lost signing, in the words every document uses.
    impact: OperatorImpact
    #: Signer component name (``mithril-signer``): the commands run it.
    signer_component: str
    #: Configured one-line installer with ``{component}`` and ``{tag}`` placeholders.
    install_command: str
    #: The release's platform archives (the verification example uses the first).
    archives: tuple[Archive, ...]
    verification: Verification
    #: Parsed ``networks.json``: networks operators check their keys on.
    networks: tuple[CardanoNetwork, ...]
    #: The regression gate's outcome for the shipped pair; None when not run.
    regression: RegressionSummary | None = None
    #: What a host needs to run the shipped executables.
    host_requirements: str = ""


def render_rollback(data: RollbackInput, *, repo_root: Path | None = None) -> str:
    return render(
        ROLLBACK_TEMPLATE,
        {
            "data": data,
            "install": install_command(
                data.install_command, data.signer_component, data.rollback_tag
            ),
            "aggregators": affected_aggregators(data.networks, data.impact),
            "registers_at_once": data.rollback_outcome is not None
            and data.rollback_outcome.scenario_passed("restart"),
        },
        repo_root=repo_root,
    )


def render_upgrade(data: UpgradeInput, *, repo_root: Path | None = None) -> str:
    return render(
        UPGRADE_TEMPLATE,
        {
            "data": data,
            "component_rows": [
                [component.name, f"`{component.previous_version}`", f"`{component.version}`"]
                for component in data.components
            ],
            "installs": [
                (component, install_command(data.install_command, component.name, data.tag))
                for component in data.components
                if component.shipped
            ],
            "aggregators": affected_aggregators(data.networks, data.impact),
        },
        repo_root=repo_root,
    )


def affected_aggregators(
    networks: tuple[CardanoNetwork, ...], impact: OperatorImpact
) -> list[MithrilNetwork]:
    """Mithril networks running released distributions on the affected Cardano networks
    (all of them when nothing is known to be affected): where operators check their pool."""
    return [
        mithril
        for cardano in networks
        if not impact.affected_networks or impact.affects(cardano.name)
        for mithril in cardano.mithril_networks
        if mithril.runs(ReleaseStage.RELEASE)
    ]
