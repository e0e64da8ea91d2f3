"""Note inputs read from a repository: its config, its tags, its manifests at each tag, the
regression report. The ``notes.*`` tasks use this to render a document on its own; the
pipeline fills the same dataclasses from what it has already computed.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import git

from release.config import Component, ReleaseConfig
from release.distribution._git import component_version_at, open_repository, tag_names
from release.distribution.build import archive_name
from release.distribution.bump import counted_changes
from release.distribution.signing import MINISIGN_PUBLIC_KEY_FILE, read_minisign_public_key
from release.distribution.targets import host_requirements_markdown
from release.distribution.versions import (
    HOTFIX_NAME,
    DistributionVersion,
    distribution_versions,
    parse_distribution_version,
)
from release.nodes.profiles import (
    CANDIDATE,
    signer_profile_for_version,
)
from release.notes.affected import OperatorImpact, deployed_aggregators, operator_impact
from release.notes.blog import (
    BlogPostInput,
    BlogUpdate,
    promoted_networks,
    signer_instructions,
)
from release.notes.errors import NotesError
from release.notes.inputs import Archive, ComponentVersion, Verification, install_command
from release.notes.networks import ReleaseStage, load_networks
from release.notes.regression import RegressionReport
from release.notes.release_body import ReleaseBodyInput
from release.notes.spo import NOTE_FILES, ComponentUpgrade, RollbackInput, UpgradeInput

#: Builtin builder names marking the signer and the aggregator among the components.
SIGNER_BUILDER = "signer"
AGGREGATOR_BUILDER = "aggregator"


@dataclass(frozen=True)
class Distribution:
    """A released distribution: its tag and every component's version in it."""

    tag: str
    versions: dict[str, str]


class RepositoryFacts:
    """What the notes need to know about the target repository and its releases."""

    def __init__(self, config: ReleaseConfig, *, repo: git.Repo | None = None) -> None:
        self.config = config
        #: The repository the pipeline already opened, else opened here (the notes tasks).
        self.repo: git.Repo = repo if repo is not None else open_repository(config.root)

    def component(self, builder: str) -> Component:
        for component in self.config.components:
            if component.builder == builder:
                return component
        raise NotesError(
            f"{self.config.source or 'release.toml'}: no component with builder = {builder!r}"
            " (the notes need to know which component it is)"
        )

    def releases(self) -> list[DistributionVersion]:
        """Release tags (pre-releases left out), oldest first."""
        return [
            version
            for version in distribution_versions(tag_names(self.repo))
            if not version.is_prerelease
        ]

    def latest_release(self) -> str:
        releases = self.releases()
        if not releases:
            raise NotesError(f"{self.config.root}: no distribution release tag")
        return str(releases[-1])

    def incident_release(self) -> str:
        """The release the rollback notes are about: the latest, or when the latest is a
        hotfix (promoted), the release it fixes."""
        latest = self.latest_release()
        if parse_distribution_version(latest).name == HOTFIX_NAME:
            return self.release_before(latest)
        return latest

    def release_before(self, tag: str) -> str:
        """The newest release older than ``tag`` (the distribution a hotfix fixes)."""
        version = parse_distribution_version(tag)
        older = [release for release in self.releases() if release < version]
        if not older:
            raise NotesError(f"{self.config.root}: no release tag older than {tag}")
        return str(older[-1])

    def distribution(self, tag: str, *, rev: str | None = None) -> Distribution:
        """``tag``'s versions, read from ``rev`` when the tag is not made yet (its commit)."""
        versions = {}
        for component in self.config.components:
            version = component_version_at(self.repo, rev or tag, component)
            if version is not None:
                versions[component.name] = str(version)
        return Distribution(tag, versions)

    def change_subjects(self, base: str, tag: str) -> tuple[str, ...]:
        """Subjects of the commits between ``base`` and ``tag`` that changed component sources
        (not only manifests, lock files, the changelog or paths a component ignores): what the
        hotfix changes."""
        bookkeeping = {component.manifest.as_posix() for component in self.config.components}
        subjects = []
        for commit in self.repo.iter_commits(f"{base}..{tag}", no_merges=True, reverse=True):
            touched = [
                path
                for path in map(str, commit.stats.files)
                if path not in bookkeeping and PurePosixPath(path).name != "Cargo.lock"
            ]
            if any(counted_changes(component, touched) for component in self.config.components):
                subjects.append(str(commit.summary))
        return tuple(subjects)


def archives(config: ReleaseConfig, version: DistributionVersion) -> tuple[Archive, ...]:
    """The platform archives of ``version``: every target some shipped component builds for."""
    built = {
        target
        for component in config.components
        if component.ships_executable
        for target in config.component_targets(component)
    }
    return tuple(
        Archive(target, archive_name(config.asset_prefix, version, target))
        for target in config.targets
        if target in built
    )


def verification(config: ReleaseConfig, public_key: Path) -> Verification:
    """How users check the release: the published key file's name and the key id it shows."""
    return Verification(
        minisign_public_key=MINISIGN_PUBLIC_KEY_FILE,
        minisign_key_id=read_minisign_public_key(public_key).key_id_hex,
        gpg_key=config.signing.gpg_key,
    )


def last_good_distribution(
    facts: RepositoryFacts, report: RegressionReport, broken: Distribution
) -> Distribution:
    """The newest release before ``broken`` whose signer, against the aggregator ``broken``
    deployed, fails in fewer scenarios than ``broken``'s signer and in none it passes.

    Failures every signer of that era shares with that aggregator (a clock-skew case, an
    expired certificate it accepts) are no reason to roll back further: the operator
    returns to the newest signer that does not have the incident.
    """
    signer = facts.component(SIGNER_BUILDER).name
    aggregator = report.profile_of(
        "aggregator", broken.versions[facts.component(AGGREGATOR_BUILDER).name]
    )
    broken_profile = report.profile_of("signer", broken.versions[signer])
    broken_failing = report.outcome(broken_profile, aggregator).lost_scenarios
    for version in reversed(facts.releases()):
        if version >= parse_distribution_version(broken.tag):
            continue
        candidate = facts.distribution(str(version))
        profile = signer_profile_for_version(candidate.versions.get(signer, "0.0.0"))
        if profile is None:
            continue
        if report.outcome(profile, aggregator).lost_scenarios < broken_failing:
            return candidate
    raise NotesError(
        f"no release before {broken.tag} has a signer that does better than {broken.tag}'s "
        f"against aggregator {aggregator} (it fails: {', '.join(sorted(broken_failing)) or 'none'})"
    )


def impact_of(
    facts: RepositoryFacts,
    report: RegressionReport,
    *,
    broken: Distribution,
    fixed: Distribution | None = None,
) -> OperatorImpact:
    """Who was affected by ``broken``'s signer (against the newest earlier release without
    its regression), and how ``fixed`` does: the one value every document quotes."""
    config = facts.config
    signer = facts.component(SIGNER_BUILDER).name
    aggregator = facts.component(AGGREGATOR_BUILDER).name
    previous = last_good_distribution(facts, report, broken)
    fixed_versions = fixed.versions if fixed is not None else {}
    deployed = deployed_aggregators(
        load_networks(config.root / config.networks_file),
        config.aggregators,
        default_version=broken.versions[aggregator],
        fixed_version=fixed_versions.get(aggregator, ""),
        source=str(config.source or "release.toml"),
    )
    return operator_impact(
        report,
        deployed,
        broken_signer=broken.versions[signer],
        previous_signer=previous.versions[signer],
        fixed_signer=fixed_versions.get(signer, "fixed"),
        fixed_aggregator=fixed_versions.get(aggregator, "fixed"),
    )


def rollback_input(
    facts: RepositoryFacts,
    report: RegressionReport,
    *,
    broken_tag: str,
    public_key: Path,
    rollback_tag: str | None = None,
    impact: OperatorImpact | None = None,
) -> RollbackInput:
    """The rollback notes of ``broken_tag``; ``impact``: who was affected as the caller
    computed it for its hotfix (default: against this project's fixed signer, unversioned)."""
    config = facts.config
    signer = facts.component(SIGNER_BUILDER).name
    aggregator = facts.component(AGGREGATOR_BUILDER).name
    broken = facts.distribution(broken_tag)
    target = (
        facts.distribution(rollback_tag)
        if rollback_tag
        else last_good_distribution(facts, report, broken)
    )
    deployed = report.profile_of("aggregator", broken.versions[aggregator])
    rollback_outcome = report.outcome(
        report.profile_of("signer", target.versions[signer]), deployed
    )
    return RollbackInput(
        name=config.name,
        signer_component=signer,
        broken_tag=broken.tag,
        broken_signer_version=broken.versions[signer],
        rollback_tag=target.tag,
        rollback_signer_version=target.versions[signer],
        install_command=config.install_command,
        aggregator_version=broken.versions[aggregator],
        impact=impact or impact_of(facts, report, broken=broken),
        rollback_outcome=rollback_outcome,
        networks=load_networks(config.root / config.networks_file),
        archives=archives(config, parse_distribution_version(target.tag)),
        verification=verification(config, public_key),
    )


def upgrade_input(
    facts: RepositoryFacts,
    report: RegressionReport,
    *,
    tag: str,
    public_key: Path,
    base_tag: str | None = None,
    rev: str | None = None,
    changes: tuple[str, ...] = (),
    candidate: tuple[str, str] = CANDIDATE,
    impact: OperatorImpact | None = None,
) -> UpgradeInput:
    """The upgrade notes of ``tag`` (read at ``rev`` before it is made); ``impact`` as the
    caller computed it, by default from ``base_tag`` and ``tag``."""
    config = facts.config
    base = facts.distribution(base_tag or facts.release_before(tag))
    release = facts.distribution(tag, rev=rev)
    version = parse_distribution_version(tag)
    return UpgradeInput(
        name=config.name,
        tag=tag,
        base_tag=base.tag,
        components=tuple(
            ComponentUpgrade(
                component.name,
                base.versions[component.name],
                release.versions[component.name],
                shipped=component.ships_executable,
            )
            for component in config.components
            if base.versions.get(component.name) != release.versions.get(component.name)
        ),
        changes=changes or facts.change_subjects(base.tag, rev or tag),
        impact=impact or impact_of(facts, report, broken=base, fixed=release),
        signer_component=facts.component(SIGNER_BUILDER).name,
        install_command=config.install_command,
        archives=archives(config, version),
        verification=verification(config, public_key),
        networks=load_networks(config.root / config.networks_file),
        regression=report.summary(candidate),
        host_requirements=host_requirements_markdown(config.targets),
    )


def blog_update_input(
    facts: RepositoryFacts,
    report: RegressionReport,
    *,
    tag: str,
    date: datetime.date,
    base_tag: str | None = None,
    fixes: tuple[str, ...] = (),
) -> BlogUpdate:
    config = facts.config
    base = facts.distribution(base_tag or facts.release_before(tag))
    release = facts.distribution(tag)
    signer = facts.component(SIGNER_BUILDER).name
    return BlogUpdate(
        date=date,
        tag=tag,
        release_url=config.release_url.replace("{tag}", tag),
        previous_tag=base.tag,
        previous_release_url=config.release_url.replace("{tag}", base.tag),
        previous_signer_version=base.versions[signer],
        signer_version=release.versions[signer],
        fixes=fixes or facts.change_subjects(base.tag, tag),
        impact=impact_of(facts, report, broken=base, fixed=release),
        notes=tuple(
            (name, config.asset_url.format(tag=tag, name=name)) for name in NOTE_FILES.values()
        ),
    )


def new_post_input(
    facts: RepositoryFacts, *, tag: str, changes: tuple[str, ...] = ()
) -> BlogPostInput:
    """A first post for a distribution that has none (a hotfix of a silent distribution)."""
    config = facts.config
    signer = facts.component(SIGNER_BUILDER).name
    networks = load_networks(config.root / config.networks_file)
    return BlogPostInput(
        distribution=f"{parse_distribution_version(tag).yyww:04d}",
        tag=tag,
        team=f"{config.name} Team",
        release_url=config.release_url.replace("{tag}", tag),
        changes=changes or facts.change_subjects(facts.release_before(tag), tag),
        aggregator_networks=promoted_networks(networks),
        signers=signer_instructions(networks, facts.distribution(tag).versions[signer]),
        install_command=install_command(config.install_command, signer, tag),
    )


def release_body_input(
    facts: RepositoryFacts,
    *,
    tag: str,
    stage: ReleaseStage,
    public_key: Path,
    report: RegressionReport | None = None,
    base_tag: str | None = None,
    candidate: tuple[str, str] = CANDIDATE,
    fixes: tuple[str, ...] = (),
    operator_notes: tuple[str, ...] = (),
) -> ReleaseBodyInput:
    """The release body's facts for ``tag``; components changed since ``base_tag`` (default:
    the release before it) are marked, and the report's incident pair is the base's."""
    config = facts.config
    release = facts.distribution(tag)
    base = facts.distribution(base_tag or facts.release_before(tag))
    return ReleaseBodyInput(
        name=config.name,
        tag=tag,
        stage=stage,
        components=tuple(
            ComponentVersion(
                component.name,
                release.versions[component.name],
                changed=base.versions.get(component.name) != release.versions[component.name],
                shipped=component.ships_executable,
            )
            for component in config.components
            if component.name in release.versions
        ),
        networks=load_networks(config.root / config.networks_file),
        archives=archives(config, parse_distribution_version(tag)),
        install_command=config.install_command,
        verification=verification(config, public_key),
        regression=None if report is None else report.summary(candidate),
        impact=None if report is None else impact_of(facts, report, broken=base, fixed=release),
        host_requirements=host_requirements_markdown(config.targets),
        fixes=fixes,
        operator_notes=tuple(
            (name, config.asset_url.format(tag=tag, name=name)) for name in operator_notes
        ),
    )
