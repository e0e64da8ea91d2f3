"""``inv hotfix``: a base release plus fixes -> a gated, signed, published pre-release.

Steps, each converging on what it finds: preflight, branch, fixes, release commit (version
bumps and CHANGELOG), build, regression gate (on the built executables), signatures, tag,
push, publish, SPO notes. Nothing is tagged, pushed or published before the gate passes.
"""

from __future__ import annotations

import datetime
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import git

from release._fs import atomic_write
from release.chain import get_networks, load_networks
from release.config import ReleaseConfig
from release.distribution import signing
from release.distribution._git import (
    bring_in_fixes,
    commit_timestamp,
    component_versions,
    current_branch,
    ensure_hotfix_branch,
    ensure_tag,
    open_repository,
    preflight,
    push_release,
    resolve_commit,
    tag_names,
)
from release.distribution.build import build_distribution
from release.distribution.bump import (
    ReleaseCommitPlan,
    apply_release_commit,
    plan_release_commit,
    release_commit_files,
)
from release.distribution.errors import (
    RepositoryStateError,
    TagConflictError,
    TagCreationRefusedError,
)
from release.distribution.versions import DistributionVersion
from release.errors import ReleaseToolError
from release.notes import (
    ReleaseStage,
    load_report,
    render_release_body,
    render_rollback,
    render_upgrade,
)
from release.notes.sources import (
    RepositoryFacts,
    impact_of,
    release_body_input,
    rollback_input,
    upgrade_input,
)
from release.outcome import Change, StepOutcome
from release.pipeline._engine import Display, Step, StepReport
from release.pipeline._journal import Journal
from release.pipeline._run import NOTE_FILES, RunPaths, dated_commits, open_journal, run_until
from release.pipeline._target import HotfixTarget, resolve_target, target_for_tag
from release.pipeline.plan import HotfixPlan, make_plan
from release.publish import (
    Plan,
    Publisher,
    ReleaseView,
    ensure_draft,
    open_publisher,
    own_release,
    plan_publish,
    publish_prerelease,
)
from release.publish.errors import TagBurntError
from release.regression import gate, run_suite

ARCHIVE_SUFFIX = ".tar.gz"
#: The builtin builders whose executables the regression gate judges.
GATE_BUILDERS = ("signer", "aggregator")


class NothingToReleaseError(ReleaseToolError):
    """No fix and no changed component: a hotfix would ship nothing new."""


class GateFailedError(ReleaseToolError):
    """The regression gate found a failure in the built executables."""


class GateSetupError(ReleaseToolError):
    """The configuration gives the gate nothing to run."""


@dataclass(frozen=True)
class HotfixOptions:
    base: str | None = None
    #: Commits to bring in; empty: the configuration's ``[hotfix] fixes``.
    fixes: tuple[str, ...] = ()
    #: Components kept at their version whatever changed in them (with ``[hotfix] no_bump``).
    no_bump: tuple[str, ...] = ()
    #: What the hotfix fixes, one sentence (default: ``[hotfix] summary``, else the subjects).
    summary: str | None = None
    #: The release date (CHANGELOG, commit times); default: today (UTC).
    date: datetime.date | None = None
    dry_run: bool = False
    #: Work on this hotfix tag (existing, or a new number) instead of the unfinished or next.
    tag: str | None = None


@dataclass
class HotfixRun:
    config: ReleaseConfig
    repo: git.Repo
    publisher: Publisher
    target: HotfixTarget
    #: What this hotfix is, computed once by :func:`prepare`.
    plan: HotfixPlan
    date: datetime.date
    dry_run: bool
    paths: RunPaths
    journal: Journal
    #: The tag existed when the run started: the git steps only check it.
    tagged: bool
    #: Builtin builder -> target -> its executable (the gate's input).
    executables: dict[str, dict[str, Path]] = field(default_factory=dict)
    #: The last step this run goes to (None: all): ``inv build`` needs no gate and no key.
    until: str | None = None
    signing_key: signing.MinisignSecretKey | None = None
    release: ReleaseView | None = None

    @property
    def rev(self) -> str:
        return self.target.tag if self.tagged else "HEAD"

    def documents(self) -> dict[str, Path]:
        """The SPO notes written for this hotfix."""
        return self.paths.notes_written()

    def reaches(self, step: str) -> bool:
        names = [each.name for each in STEPS]
        return self.until is None or names.index(self.until) >= names.index(step)


@dataclass
class HotfixResult:
    config: ReleaseConfig
    target: HotfixTarget
    steps: list[StepReport]
    run: HotfixRun


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _preflight(run: HotfixRun) -> StepOutcome:
    config, repo = run.config, run.repo
    base = resolve_commit(repo, run.target.base_tag)
    # What would stop the run later stops it here, before anything is written.
    if run.reaches("gate"):
        _gate_builders(run.config)
    if run.reaches("sign"):
        _signing_key(run)
    if run.reaches("draft"):
        # The release store answers and accepts this token: checked before the tag exists.
        run.publisher.preflight()
    if run.tagged:
        # The fixes are in the tag; a CI checkout of it may not have their branches.
        _check_tag_belongs(run, base)
        return StepOutcome(Change.UNCHANGED, f"{run.target.tag} is tagged: finishing its release")
    _require_something_to_release(run, base)
    branch = current_branch(repo)
    resuming = branch == run.target.branch
    tolerate = _release_commit_files(run) if resuming else []
    branch = preflight(repo, branches={config.main_branch, run.target.branch}, tolerate=tolerate)
    return StepOutcome(Change.UNCHANGED, f"clean work tree on {branch}, base {run.target.base_tag}")


def _require_something_to_release(run: HotfixRun, base: git.Commit) -> None:
    plan, branch = run.plan, run.target.branch
    tip = run.repo.heads[branch].commit if branch in run.repo.heads else base
    if not plan.to_pick and tip == base:
        raise NothingToReleaseError(
            f"{branch} has no commit since {run.target.base_tag} and no fix to bring in: "
            "pass --fix REF (or set [hotfix] fixes in the configuration)"
        )
    if not plan.bumps:
        kept = "; ".join(f"{k.component.name}: {k.reason}" for k in plan.kept)
        raise NothingToReleaseError(
            f"no component to bump since {run.target.base_tag}: the fixes "
            f"({', '.join(plan.fix_refs) or 'none named'}) touch no component's counted paths"
            + (f" ({kept})" if kept else "")
        )


def _release_commit_files(run: HotfixRun) -> list[Path]:
    """The files the release commit writes: an interrupted run may have left them changed."""
    return release_commit_files(run.config, _release_commit_plan(run))


def _release_commit_plan(run: HotfixRun) -> ReleaseCommitPlan:
    return plan_release_commit(
        run.repo,
        run.config,
        run.target.version,
        run.target.base_tag,
        run.plan.bumps,
        summary=run.plan.summary,
    )


def _check_tag_belongs(run: HotfixRun, base: git.Commit) -> None:
    """An existing tag is this hotfix's only if it sits on the hotfix branch, above the base."""
    repo, tag, branch = run.repo, run.target.tag, run.target.branch
    tagged = resolve_commit(repo, tag)
    known = {ref.path for ref in repo.refs}
    tips = [
        ref
        for ref in (f"refs/heads/{branch}", f"refs/remotes/{run.config.remote}/{branch}")
        if ref in known
    ]
    on_branch = any(repo.is_ancestor(tagged, resolve_commit(repo, tip)) for tip in tips)
    if tagged == base or not repo.is_ancestor(base, tagged) or not on_branch:
        raise TagConflictError(
            f"tag {tag} already exists at {tagged.hexsha[:12]}, which is not a commit of "
            f"{branch} above {run.target.base_tag}; a released tag is never moved: delete the "
            "stray tag if it was never pushed, or release the next version"
        )


def _signing_key(run: HotfixRun) -> signing.MinisignSecretKey:
    if run.signing_key is None:
        settings = run.config.signing
        password = os.environ.get(settings.minisign_password_env)
        run.signing_key = signing.load_minisign_key(settings.minisign_key, password)
    return run.signing_key


def _branch(run: HotfixRun) -> StepOutcome:
    if run.tagged:
        return StepOutcome(Change.UNCHANGED, f"released from {run.target.branch}")
    return ensure_hotfix_branch(
        run.repo,
        run.target.version,
        run.target.base_tag,
        remote=run.config.remote,
        dry_run=run.dry_run,
    )


def _fixes(run: HotfixRun) -> StepOutcome:
    if run.tagged:
        return StepOutcome(Change.UNCHANGED, "in the tag")
    branch = run.target.branch
    if not run.plan.fixes:
        return StepOutcome(Change.UNCHANGED, f"fixes already on {branch}")
    # Each pick's time depends on it and the commits before it only: a run stopped by a
    # later fix that conflicts leaves the same commits a run without that fix makes.
    floor = resolve_commit(run.repo, run.target.base_tag).committed_date
    outcomes = []
    for fix in run.plan.fixes:
        floor = max(floor, run.repo.commit(fix.sha).committed_date)
        with dated_commits(run.repo, run.date, after=floor):
            outcomes += bring_in_fixes(
                run.repo,
                [fix.sha],
                base_tag=run.target.base_tag,
                branch=branch,
                dry_run=run.dry_run,
            )
    changes = {outcome.change for outcome in outcomes}
    change = next(
        (kind for kind in (Change.PLANNED, Change.APPLIED) if kind in changes), Change.UNCHANGED
    )
    return StepOutcome(change, "; ".join(outcome.detail for outcome in outcomes))


def _release_commit(run: HotfixRun) -> StepOutcome:
    if run.tagged:
        versions = component_versions(run.repo, run.config.components, run.target.tag)
        return StepOutcome(Change.UNCHANGED, f"versions as tagged ({_shipped(run, versions)})")
    plan = _release_commit_plan(run)
    if not plan.bumps:
        raise NothingToReleaseError(
            f"no component changed since {run.target.base_tag}: the fixes touch no component path"
        )
    outcome = apply_release_commit(run.repo, run.config, plan, date=run.date, dry_run=run.dry_run)
    bumps = ", ".join(f"{b.component.name} {b.current} -> {b.target}" for b in plan.bumps)
    return StepOutcome(outcome.change, f"{outcome.detail} ({bumps})")


def _shipped(run: HotfixRun, versions: dict[str, str]) -> str:
    return ", ".join(
        f"{component.name} {versions[component.name]}"
        for component in run.config.components
        if component.ships_executable
    )


def _build(run: HotfixRun) -> StepOutcome:
    commit = resolve_commit(run.repo, run.rev)
    stamp = run.journal.stamps.get("build")
    if stamp and stamp["commit"] == commit.hexsha and _stamp_holds(run.paths, stamp):
        run.executables = {
            kind: {target: run.paths.root / path for target, path in built.items()}
            for kind, built in stamp["builtin"].items()
        }
        return StepOutcome(Change.UNCHANGED, f"built from {commit.hexsha[:12]}")
    if run.dry_run:
        return StepOutcome(Change.PLANNED, f"build {len(run.config.targets)} targets")
    if any(c.build for c in run.config.components) and run.repo.head.commit != commit:
        raise RepositoryStateError(
            f"check out {run.rev} ({commit.hexsha[:12]}): build commands run in the work tree"
        )
    result = build_distribution(
        run.config,
        run.target.version,
        versions=component_versions(run.repo, run.config.components, run.rev),
        epoch=commit_timestamp(run.repo, run.rev),
        dist_dir=run.paths.dist,
        stage_dir=run.paths.stage,
    )
    run.executables = result.builtin
    run.journal.stamp(
        "build",
        commit=commit.hexsha,
        files={path.name: _sha256(path) for path in result.files},
        builtin={
            kind: {target: str(path.relative_to(run.paths.root)) for target, path in built.items()}
            for kind, built in result.builtin.items()
        },
        executables=_executable_digests(result.builtin),
    )
    return StepOutcome(Change.APPLIED, f"{len(result.files)} files from {commit.hexsha[:12]}")


def _stamp_holds(paths: RunPaths, stamp: dict[str, object]) -> bool:
    """Whether the files a build stamp lists are all there, unchanged."""
    files = stamp["files"]
    executables = stamp["executables"]
    builtin = stamp["builtin"]
    assert isinstance(files, dict) and isinstance(executables, dict) and isinstance(builtin, dict)
    targets = [(paths.dist / name, digest) for name, digest in files.items()]
    targets += [
        (paths.root / builtin[kind][target], digest)
        for kind, digests in executables.items()
        for target, digest in digests.items()
    ]
    return all(path.is_file() and _sha256(path) == digest for path, digest in targets)


def _executable_digests(builtin: dict[str, dict[str, Path]]) -> dict[str, dict[str, str]]:
    return {kind: {t: _sha256(p) for t, p in built.items()} for kind, built in builtin.items()}


def _gate_builders(config: ReleaseConfig) -> None:
    missing = set(GATE_BUILDERS) - {c.builder for c in config.components if c.builder}
    if missing:
        raise GateSetupError(
            f"the regression gate runs the builtin signer and aggregator; no component of "
            f"{config.source or 'the configuration'} has builder = "
            f"{' or '.join(repr(m) for m in sorted(missing))}"
        )


def _gate(run: HotfixRun) -> StepOutcome:
    _gate_builders(run.config)
    digests = _executable_digests({kind: run.executables[kind] for kind in GATE_BUILDERS})
    stamp = run.journal.stamps.get("gate")
    report = run.paths.regression / "report.json"
    if stamp and stamp["passed"] and stamp["executables"] == digests and report.is_file():
        return StepOutcome(Change.UNCHANGED, str(stamp["summary"]))
    if run.dry_run:
        return StepOutcome(Change.PLANNED, "run the epoch-window suite on the built executables")
    settings = run.config.regression
    custom = load_networks(settings.networks_file) if settings.networks_file else None
    by_target: dict[str, dict[str, Path]] = {}
    for kind in GATE_BUILDERS:
        for target, path in run.executables[kind].items():
            by_target.setdefault(target, {})[kind] = path
    result = gate(
        by_target,
        report_dir=run.paths.regression,
        networks=get_networks(settings.networks, custom),
        epochs=settings.epochs,
    )
    run.journal.stamp("gate", passed=result.passed, executables=digests, summary=result.summary)
    if not result.passed:
        raise GateFailedError(
            f"{result.summary} (report: {run.paths.regression}); nothing was tagged or published"
        )
    return StepOutcome(Change.APPLIED, result.summary)


def _sign(run: HotfixRun) -> StepOutcome:
    archives = sorted(p.name for p in run.paths.dist.glob(f"*{ARCHIVE_SUFFIX}"))
    if run.dry_run:
        planned = signing.planned_files(archives, gpg_key=run.config.signing.gpg_key)
        if all((run.paths.dist / name).is_file() for name in planned):
            return StepOutcome(Change.UNCHANGED, f"{len(planned)} signature and key files present")
        return StepOutcome(Change.PLANNED, f"CHECKSUM and signatures for {len(archives)} archives")
    signed = signing.sign_distribution(
        run.paths.dist, _signing_key(run), run.target.version, gpg_key=run.config.signing.gpg_key
    )
    change = Change.APPLIED if signed.written else Change.UNCHANGED
    return StepOutcome(
        change, f"{len(signed.files)} files, minisign key {signed.public_key.key_id_hex}"
    )


def _release_request(run: HotfixRun, body: str) -> dict[str, str]:
    """Tag, title, notes and commit of the run's release: the draft's and the published one's."""
    return {
        "tag": run.target.tag,
        "name": f"{run.config.name} v{run.target.version}",
        "body": body,
        "target_commitish": resolve_commit(run.repo, run.rev).hexsha,
    }


def _draft(run: HotfixRun) -> StepOutcome:
    """The run's draft release, made before the tag: a store that refuses the tag (GitHub, for
    a tag a deleted immutable release burnt) then stops the run with nothing tagged or pushed.

    Whether GitHub refuses a *draft* of a burnt tag is not documented (it was seen accepting
    one and refusing its publication); then the refusal comes at the push (GitHub refuses
    the tag's creation) or at publish, and names the tag the same way.
    """
    # The notes quote the tag, which does not exist yet: the publish step writes them.
    request = _release_request(run, f"Draft of {run.target.tag}: published by mithril-release.")
    found = own_release(
        run.publisher, tag=request["tag"], target_commitish=request["target_commitish"]
    )
    if found is not None:
        return StepOutcome(Change.UNCHANGED, f"{found.state}: {found.url_or_path}")
    if run.dry_run:
        return StepOutcome(Change.PLANNED, f"create a draft pre-release of {run.target.tag}")
    try:
        view = ensure_draft(run.publisher, **request, record=run.journal.record_publish)
    except TagBurntError as error:
        raise _burnt(error, run, "nothing was tagged or pushed for it") from None
    return StepOutcome(Change.APPLIED, f"draft: {view.url_or_path}")


def _burnt(error: TagBurntError, run: HotfixRun, state: str) -> TagBurntError:
    """The store's refusal of a burnt tag, with what is left and what to do in CLI words."""
    return TagBurntError(f"{error}; {state}: {_next_number(run)}")


def _next_number(run: HotfixRun, first: str = "") -> str:
    version = run.target.version
    after = DistributionVersion(version.yyww, version.patch + 1, version.name).tag
    return (
        f"release the hotfix under the next number: {first}git checkout "
        f"{run.config.main_branch}, then inv hotfix --tag {after} "
        f"(mithril-release hotfix --tag {after})"
    )


def _tag(run: HotfixRun) -> StepOutcome:
    return ensure_tag(
        run.repo,
        run.target.tag,
        rev=run.rev,
        message=f"{run.config.name} distribution {run.target.version}",
        gpg_key=run.config.signing.gpg_key,
        dry_run=run.dry_run,
    )


def _push(run: HotfixRun) -> StepOutcome:
    if run.tagged and run.target.branch not in run.repo.heads:
        return StepOutcome(Change.UNCHANGED, f"{run.target.tag} came from {run.config.remote}")
    try:
        return push_release(
            run.repo,
            remote=run.config.remote,
            branch=run.target.branch,
            tag=run.target.tag,
            dry_run=run.dry_run,
        )
    except TagCreationRefusedError as error:
        # A burnt tag whose draft the store accepted: GitHub refuses the tag itself.
        raise TagCreationRefusedError(
            f"{error}; {_next_number(run, f'git tag -d {run.target.tag}, ')}"
        ) from None


def _publish(run: HotfixRun) -> StepOutcome:
    existing = run.publisher.find(run.target.tag)
    if existing is not None and existing.state == "release":
        run.release = existing
        return StepOutcome(Change.UNCHANGED, f"promoted already: {existing.url_or_path}")
    files = sorted(path for path in run.paths.dist.iterdir() if path.is_file())
    request: dict[str, object] = {
        **_release_request(run, release_body(run, ReleaseStage.PRERELEASE)),
        "files": files,
    }
    plan = plan_publish(run.publisher, **request)  # type: ignore[arg-type]
    if plan.complete:
        run.release = existing
        return StepOutcome(Change.UNCHANGED, f"pre-release with {len(files)} assets")
    to_do = _describe_plan(plan)
    if run.dry_run:
        return StepOutcome(Change.PLANNED, to_do)
    try:
        run.release = publish_prerelease(
            run.publisher,
            **request,  # type: ignore[arg-type]
            record=run.journal.record_publish,
        )
    except TagBurntError as error:
        raise _burnt(error, run, "no release was published") from None
    return StepOutcome(Change.APPLIED, f"{to_do}: {run.release.url_or_path}")


def _describe_plan(plan: Plan) -> str:
    """The publish plan's open steps in a few words ("release, 12 assets, verify, ...")."""
    open_steps = [step.step for step in plan.steps if step.state != "done"]
    assets = [name for name in open_steps if name.startswith("asset:")]
    words = [name for name in open_steps if not name.startswith("asset:")]
    if assets:  # after the release when it is still to be made (the draft step makes it)
        words.insert(1 if words[:1] == ["release"] else 0, f"{len(assets)} assets")
    return ", ".join(words)


class ReleasedRun(Protocol):
    """What the release body needs of a hotfix or a promotion run."""

    config: ReleaseConfig
    repo: git.Repo
    target: HotfixTarget
    paths: RunPaths
    plan: HotfixPlan


def release_body(run: ReleasedRun, stage: ReleaseStage) -> str:
    """The release notes for ``stage``: the pre-release's, or the promoted release's."""
    config, paths, target = run.config, run.paths, run.target
    return render_release_body(
        release_body_input(
            RepositoryFacts(config, repo=run.repo),
            tag=target.tag,
            stage=stage,
            public_key=paths.dist / signing.MINISIGN_PUBLIC_KEY_FILE,
            report=load_report(paths.regression),
            base_tag=target.base_tag,
            fixes=run.plan.summary,
            operator_notes=tuple(NOTE_FILES.values()),
        ),
        repo_root=config.root,
    )


def ensure_report(config: ReleaseConfig, paths: RunPaths, *, dry_run: bool) -> None:
    """The regression report the notes quote; on a machine that did not run the gate (CI's
    promote job) the suite runs again: it is deterministic, so the report is the same."""
    if (paths.regression / "report.json").is_file():
        return
    if dry_run:
        raise GateSetupError(
            f"no regression report in {paths.regression}: the notes need one (run without "
            "--dry-run to produce it)"
        )
    settings = config.regression
    custom = load_networks(settings.networks_file) if settings.networks_file else None
    run_suite(get_networks(settings.networks, custom), settings.epochs, report_dir=paths.regression)


def _notes(run: HotfixRun) -> StepOutcome:
    """The SPO notes, written into the distribution before it is signed: they ship as
    release assets under CHECKSUM, and once published they never change."""
    targets = {name: run.paths.notes / file for name, file in NOTE_FILES.items()}
    published = run.publisher.find(run.target.tag)
    if (
        published is not None
        and published.state != "draft"
        and all(path.is_file() for path in targets.values())
    ):
        return StepOutcome(Change.UNCHANGED, f"published with {run.target.tag} (never rewritten)")
    public_key = signing.public_key_file(run.paths.dist)
    if run.dry_run and not public_key.is_file():
        return StepOutcome(Change.PLANNED, f"write {', '.join(NOTE_FILES.values())}")
    if not run.dry_run:
        signing.write_public_key(run.paths.dist, _signing_key(run))
    facts = RepositoryFacts(run.config, repo=run.repo)
    report = load_report(run.paths.regression)
    # One answer to "who was affected" for both notes: they must never disagree.
    impact = impact_of(
        facts,
        report,
        broken=facts.distribution(run.target.base_tag),
        fixed=facts.distribution(run.target.tag, rev=run.rev),
    )
    documents = {
        "rollback": render_rollback(
            rollback_input(
                facts,
                report,
                broken_tag=run.target.base_tag,
                public_key=public_key,
                impact=impact,
            ),
            repo_root=run.config.root,
        ),
        "upgrade": render_upgrade(
            upgrade_input(
                facts,
                report,
                tag=run.target.tag,
                public_key=public_key,
                base_tag=run.target.base_tag,
                rev=run.rev,
                changes=run.plan.summary,
                impact=impact,
            ),
            repo_root=run.config.root,
        ),
    }
    pending = [
        name
        for name, text in documents.items()
        if not targets[name].is_file() or targets[name].read_text() != text
    ]
    if not pending:
        return StepOutcome(Change.UNCHANGED, f"{', '.join(NOTE_FILES.values())} up to date")
    if run.dry_run:
        return StepOutcome(Change.PLANNED, f"write {', '.join(NOTE_FILES[n] for n in pending)}")
    for name in pending:
        atomic_write(targets[name], documents[name])
    return StepOutcome(Change.APPLIED, f"wrote {', '.join(NOTE_FILES[n] for n in pending)}")


STEPS: tuple[Step[HotfixRun], ...] = (
    Step("preflight", "check the repository, fixes and signing key", _preflight),
    Step("branch", "hotfix branch from the base release", _branch),
    Step("fixes", "bring the fixes in", _fixes),
    Step("release-commit", "bump changed components and the CHANGELOG", _release_commit),
    Step("build", "build the distribution (reproducible)", _build),
    Step("gate", "regression gate on the built executables", _gate),
    Step("notes", "SPO rollback and upgrade notes, shipped as assets", _notes),
    Step("sign", "CHECKSUM and signatures", _sign),
    Step("draft", "the draft release, before the tag (a burnt tag stops here)", _draft),
    Step("tag", "annotated tag", _tag),
    Step("push", "push the branch and the tag", _push),
    Step("publish", "publish the pre-release", _publish),
)


def prepare(config: ReleaseConfig, options: HotfixOptions) -> HotfixRun:
    """Read the world and decide what this run is about; writes nothing."""
    repo = open_repository(config.root)
    publisher = open_publisher(config.publish, root=config.root)
    if options.tag:
        target = target_for_tag(repo, options.tag, new=True)
    else:
        target = resolve_target(repo, publisher, base=options.base)
    tagged = target.tag in tag_names(repo)
    # A tagged hotfix checks only the fixes named now: the configured ones are in the tag,
    # and a CI checkout of the tag may not have their branches.
    fixes = options.fixes if tagged else options.fixes or config.hotfix.fixes
    plan = make_plan(repo, config, target, fix_refs=fixes, no_bump=options.no_bump, tagged=tagged)
    paths = RunPaths(config.workdir, target.tag)
    return HotfixRun(
        config=config,
        repo=repo,
        publisher=publisher,
        target=target,
        plan=plan,
        date=options.date or datetime.datetime.now(datetime.UTC).date(),
        dry_run=options.dry_run,
        paths=paths,
        journal=open_journal(paths, dry_run=options.dry_run),
        tagged=tagged,
    )


def run_hotfix(run: HotfixRun, *, display: Display, until: str | None = None) -> HotfixResult:
    """Run the steps (up to ``until``) for the prepared ``run``."""
    # Commit times never go below the base or a fix (a tagged run has its fixes in the tag).
    fixes = () if run.tagged else tuple(fix.sha for fix in run.plan.fixes)
    floor = max(
        resolve_commit(run.repo, ref).committed_date for ref in (run.target.base_tag, *fixes)
    )
    run.until = until
    reports = run_until(STEPS, run, until=until, after=floor, display=display)
    return HotfixResult(run.config, run.target, reports, run)
