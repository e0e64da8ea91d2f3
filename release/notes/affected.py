"""Who lost signing, computed once and quoted word for word by every operator document.

The rollback and upgrade notes, the release body and the blog update all print the same
:class:`OperatorImpact`, so they can never disagree. Its statements hold for the aggregator
each Mithril network runs (``[aggregators]`` in ``release.toml``; by default the aggregator
of the distribution the hotfix fixes, everywhere) and say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from release.nodes.profiles import aggregator_profile_for_version
from release.notes.errors import NotesError
from release.notes.networks import CardanoNetwork, MithrilNetwork, ReleaseStage
from release.notes.regression import RegressionReport

#: The profile of this project's own signer and aggregator in the report.
FIXED_PROFILE = "fixed"


@dataclass(frozen=True)
class DeployedAggregator:
    """The aggregator a Mithril network runs, and the suite's model of it (None: none)."""

    mithril_network: str
    cardano_network: str
    version: str
    profile: str | None


@dataclass(frozen=True)
class OperatorImpact:
    """The sentences every document states about the incident and the fix."""

    broken_signer: str
    previous_signer: str
    fixed_signer: str
    #: Per Mithril network operators sign on: the aggregator it runs.
    deployed: tuple[DeployedAggregator, ...]
    #: The regression: lost signing with the broken signer and not with the previous one.
    affected: tuple[str, ...]
    #: Cardano networks with at least one affected item, in report order.
    affected_networks: tuple[str, ...]
    #: Differences that are not lost signing (delays, the expiry policy).
    also_improved: tuple[str, ...]
    #: Per network: the fixed signer never lost signing with which aggregators.
    none_failed: tuple[str, ...]
    #: Per network: what the fixed signer does with the aggregator that network runs now.
    with_deployed: tuple[str, ...]
    #: Networks whose aggregator the suite has no model of, in words.
    not_judged: tuple[str, ...]

    def affects(self, cardano_network: str) -> bool:
        return cardano_network in self.affected_networks


def deployed_aggregators(
    networks: tuple[CardanoNetwork, ...],
    configured: Mapping[str, str],
    *,
    default_version: str,
    fixed_version: str,
    source: str = "release.toml",
) -> tuple[DeployedAggregator, ...]:
    """The aggregator version of every Mithril network running released distributions.

    ``configured`` (``[aggregators]``) maps Mithril network names to versions; a network it
    does not name runs ``default_version``. ``fixed_version`` (this hotfix's aggregator)
    is modelled by the ``fixed`` profile.
    """
    running = {
        mithril.name: mithril
        for cardano in networks
        for mithril in cardano.mithril_networks
        if mithril.runs(ReleaseStage.RELEASE)
    }
    unknown = sorted(set(configured) - set(running))
    if unknown:
        raise NotesError(
            f"{source}: [aggregators] names {', '.join(unknown)}, not a Mithril network "
            f"running released distributions (those are: {', '.join(running)})"
        )
    return tuple(
        _deployed(mithril, configured.get(name, default_version), fixed_version)
        for name, mithril in running.items()
    )


def _deployed(mithril: MithrilNetwork, version: str, fixed_version: str) -> DeployedAggregator:
    profile = FIXED_PROFILE if version == fixed_version else aggregator_profile_for_version(version)
    return DeployedAggregator(mithril.name, mithril.cardano_network, version, profile)


def operator_impact(
    report: RegressionReport,
    deployed: tuple[DeployedAggregator, ...],
    *,
    broken_signer: str,
    previous_signer: str,
    fixed_signer: str,
    fixed_aggregator: str,
) -> OperatorImpact:
    """Judge each Cardano network of the report against the aggregator its first Mithril
    network (in ``networks.json`` order) runs; versions are the released ones, profiles the
    report's."""
    judged: dict[str, DeployedAggregator] = {}
    for aggregator in deployed:
        judged.setdefault(aggregator.cardano_network, aggregator)
    modelled = {
        name: aggregator.profile
        for name, aggregator in judged.items()
        if aggregator.profile is not None and name in report.networks
    }
    who = report.who_was_affected(
        broken_signer=report.profile_of("signer", broken_signer),
        previous_signer=report.profile_of("signer", previous_signer),
        candidate=(FIXED_PROFILE, FIXED_PROFILE),
        aggregators=modelled,
        signer_names={FIXED_PROFILE: fixed_signer},
        aggregator_names={
            FIXED_PROFILE: fixed_aggregator,
            **{a.profile: a.version for a in deployed if a.profile not in (None, FIXED_PROFILE)},
        },
    )
    return OperatorImpact(
        broken_signer=broken_signer,
        previous_signer=previous_signer,
        fixed_signer=fixed_signer,
        deployed=deployed,
        affected=tuple(item.text for item in who.affected),
        affected_networks=tuple(dict.fromkeys(item.network for item in who.affected)),
        also_improved=tuple(item.text for item in who.also_improved),
        none_failed=tuple(who.none_failed_words(name) for name in modelled),
        with_deployed=tuple(who.with_deployed[name] for name in modelled),
        not_judged=tuple(
            f"on {name}, {aggregator.mithril_network} runs aggregator {aggregator.version}, "
            "which the regression suite has no model of: nothing is claimed for it"
            for name, aggregator in judged.items()
            if aggregator.profile is None and name in report.networks
        ),
    )
