"""``inv promote TAG``: a tested pre-release becomes the latest release.

Steps: preflight, release (pre-release -> release, the body's compatibility table now naming
the release networks), blog (the distribution's dev blog post announces the hotfix where it is
published: on main, where Mithril adds it after the tag), push (the hotfix branch),
forward-port (the fixes brought into main with versions of its own, pushed).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import git

from release._fs import atomic_write
from release.config import ReleaseConfig
from release.distribution._git import (
    checkout,
    commit_paths,
    current_branch,
    ensure_hotfix_branch,
    file_at,
    open_repository,
    preflight,
    push_branch,
    push_release,
    ref_exists,
    resolve_commit,
)
from release.distribution.errors import GitRefError
from release.notes import (
    ReleaseStage,
    blog_post_path,
    load_report,
    new_blog_post,
    update_blog_post,
)
from release.notes.blog import BlogUpdate
from release.notes.sources import RepositoryFacts, blog_update_input, new_post_input
from release.outcome import Change, StepOutcome
from release.pipeline._engine import Display, Step, StepReport
from release.pipeline._forward_port import (
    BRANCH_PREFIX,
    ForwardPortTarget,
    completed,
    forward_port,
)
from release.pipeline._journal import Journal
from release.pipeline._run import RunPaths, open_journal, run_until
from release.pipeline._target import HotfixTarget, target_for_tag
from release.pipeline.hotfix import ensure_report, release_body
from release.pipeline.plan import ON_HOTFIX, HotfixPlan, main_post_refs, make_plan
from release.publish import (
    Publisher,
    PullRequests,
    ReleaseView,
    open_publisher,
    plan_promote,
    promote,
)


@dataclass(frozen=True)
class PromoteOptions:
    tag: str
    date: datetime.date | None = None
    dry_run: bool = False
    #: Stop after this step (``inv publish.release`` runs only the release step).
    until: str | None = None


@dataclass
class PromoteRun:
    config: ReleaseConfig
    repo: git.Repo
    publisher: Publisher
    target: HotfixTarget
    #: What the promoted hotfix holds (computed once, as for ``inv hotfix``).
    plan: HotfixPlan
    date: datetime.date
    dry_run: bool
    paths: RunPaths
    journal: Journal
    release: ReleaseView | None = None
    blog_post: Path | None = None
    #: Pull requests this promotion opened or found (GitHub): branch -> URL.
    pull_requests: dict[str, str] = field(default_factory=dict)

    def documents(self) -> dict[str, Path]:
        """The SPO notes of the hotfix and the blog post this promotion wrote."""
        documents = self.paths.notes_written()
        if self.blog_post is not None:
            documents["blog"] = self.blog_post
        return documents


@dataclass
class PromoteResult:
    config: ReleaseConfig
    target: HotfixTarget
    steps: list[StepReport]
    run: PromoteRun


def _preflight(run: PromoteRun) -> StepOutcome:
    view = run.publisher.find(run.target.tag)
    if view is None or view.state == "draft":
        raise GitRefError(
            f"{run.target.tag} has no published pre-release to promote"
            f"{'' if view is None else ' (it is still a draft)'}: run `inv hotfix` first"
        )
    run.release = view
    # The forward-port branch too: a person who settled a conflict there runs promote again.
    branches = {run.config.main_branch, run.target.branch, BRANCH_PREFIX + run.target.tag}
    branch = preflight(run.repo, branches=branches)
    return StepOutcome(Change.UNCHANGED, f"{view.state} {run.target.tag}; clean tree on {branch}")


def _release(run: PromoteRun) -> StepOutcome:
    ensure_report(run.config, run.paths, dry_run=run.dry_run)
    body = release_body(run, ReleaseStage.RELEASE)
    plan = plan_promote(run.publisher, tag=run.target.tag, body=body)
    if plan.complete:
        return StepOutcome(Change.UNCHANGED, f"latest release: {run.release.url_or_path}")  # type: ignore[union-attr]
    to_do = ", ".join(step.detail for step in plan.steps if step.state != "done")
    if run.dry_run:
        return StepOutcome(Change.PLANNED, to_do)
    run.release = promote(
        run.publisher, tag=run.target.tag, body=body, record=run.journal.record_publish
    )
    return StepOutcome(Change.APPLIED, f"{to_do} -> {run.release.url_or_path}")


def _blog(run: PromoteRun) -> StepOutcome:
    """Update the distribution's post where it is published (main, as Mithril adds it there
    after the tag), or on the hotfix branch when only that has it; a new post only when the
    distribution has none anywhere."""
    config, location = run.config, run.plan.blog
    distribution = f"{run.target.version.yyww:04d}"
    facts = RepositoryFacts(config, repo=run.repo)
    proposal = f"blog/{run.target.tag}"
    if location.path is not None and location.ref is not None:
        path = config.root / location.path
        # A pull request not merged yet: its branch holds the post as updated (whatever day).
        pending = f"refs/remotes/{config.remote}/{proposal}"
        source = pending if _proposes(run) and ref_exists(run.repo, pending) else location.ref
        text = file_at(run.repo, source, location.path.as_posix())
        update = blog_update_input(
            facts,
            load_report(run.paths.regression),
            tag=run.target.tag,
            date=run.date,
            base_tag=run.target.base_tag,
            fixes=run.plan.summary,
        )
        updated = update_blog_post(text or "", update, repo_root=config.root)
        announced = _announced(run, location.path, update)
    else:
        path = blog_post_path(config.root / config.blog_dir, run.date, distribution)
        post = new_post_input(facts, tag=run.target.tag)
        text, updated = None, new_blog_post(post, repo_root=config.root)
        announced = False
    run.blog_post = path
    relative = path.relative_to(config.root)
    on = run.target.branch if location.where == ON_HOTFIX else config.main_branch
    verb = "announce" if text else "add the post of"
    message = f"docs: {verb} {run.target.tag} in the {distribution} distribution blog post"
    if location.where != ON_HOTFIX and _proposes(run) and not announced:
        return _propose(run, proposal, {relative: updated}, message)
    if text == updated:
        return StepOutcome(Change.UNCHANGED, f"{relative} on {on} announces {run.target.tag}")
    if run.dry_run:
        return StepOutcome(Change.PLANNED, f"{'update' if text else 'write'} {relative} on {on}")
    if location.where == ON_HOTFIX:
        ensure_hotfix_branch(
            run.repo, run.target.version, run.target.base_tag, remote=config.remote
        )
    else:
        checkout(run.repo, config.main_branch)
    atomic_write(path, updated)
    committed = commit_paths(run.repo, [relative], message)
    if location.where != ON_HOTFIX:
        push_release(
            run.repo,
            remote=config.remote,
            branch=config.main_branch,
            tag=run.target.tag,
        )
    return StepOutcome(committed.change, f"{committed.detail} on {on}")


def _announced(run: PromoteRun, post: PurePosixPath, update: BlogUpdate) -> bool:
    """Whether main's copy of the post already announces the hotfix (its pull request was
    merged): applying the update to it changes nothing."""
    ref = run.plan.blog.ref
    text = None if ref is None else file_at(run.repo, ref, post.as_posix())
    return text is not None and update_blog_post(text, update, repo_root=run.config.root) == text


def _proposes(run: PromoteRun) -> bool:
    """With GitHub, main changes through pull requests (as Mithril's #2773 and #2774)."""
    return isinstance(run.publisher, PullRequests)


def _propose(run: PromoteRun, branch: str, files: dict[Path, str], message: str) -> StepOutcome:
    """``files`` committed on ``branch`` (from the remote's main), pushed, and one pull
    request into main: found and kept on a re-run, never opened twice."""
    config, repo = run.config, run.repo
    main = config.main_branch
    remote_branch = f"refs/remotes/{config.remote}/{branch}"
    if ref_exists(repo, remote_branch) and all(
        file_at(repo, remote_branch, path.as_posix()) == text for path, text in files.items()
    ):
        return _pull_request(run, branch, message, pushed=False)
    if run.dry_run:
        return StepOutcome(Change.PLANNED, f"push {branch} and open a pull request into {main}")
    start = next(ref for _, ref in main_post_refs(config) if ref_exists(repo, ref))
    previous = current_branch(repo)
    checkout(repo, branch, create_from=None if ref_exists(repo, f"refs/heads/{branch}") else start)
    for path, text in files.items():
        atomic_write(config.root / path, text)
    commit_paths(repo, list(files), message)
    push_branch(repo, remote=config.remote, branch=branch)
    checkout(repo, previous or main)
    return _pull_request(run, branch, message, pushed=True)


def _pull_request(run: PromoteRun, branch: str, title: str, *, pushed: bool) -> StepOutcome:
    assert isinstance(run.publisher, PullRequests)
    body = (
        f"Opened by the release tool while promoting {run.target.tag}.\n\n"
        f"{chr(10).join(f'- {line}' for line in run.plan.summary)}\n"
    )
    main = run.config.main_branch
    if run.dry_run:
        found = run.publisher.find_pull_request(head=branch, base=main)
        if found is None:
            return StepOutcome(Change.PLANNED, f"open a pull request of {branch} into {main}")
        run.pull_requests[branch] = found.url
        return StepOutcome(Change.UNCHANGED, f"pull request {found.url} ({branch} into {main})")
    proposal = run.publisher.ensure_pull_request(head=branch, base=main, title=title, body=body)
    run.pull_requests[branch] = proposal.url
    change = Change.APPLIED if pushed or proposal.created else Change.UNCHANGED
    return StepOutcome(change, f"pull request {proposal.url} ({branch} into {main})")


def _push(run: PromoteRun) -> StepOutcome:
    return push_release(
        run.repo,
        remote=run.config.remote,
        branch=run.target.branch,
        tag=run.target.tag,
        dry_run=run.dry_run,
    )


def _forward_port(run: PromoteRun) -> StepOutcome:
    target = ForwardPortTarget(run.target.tag, run.target.version, run.target.base_tag)
    main = run.config.main_branch
    if _proposes(run):
        remote_branch = f"refs/remotes/{run.config.remote}/{target.branch}"
        if ref_exists(run.repo, remote_branch) and completed(
            run.repo, target, remote_branch, main=main
        ):
            return _pull_request(run, target.branch, target.marker(main), pushed=False)
        outcome = forward_port(
            run.repo, run.config, target, dry_run=run.dry_run, finish_on_main=False
        )
        if outcome.change is not Change.APPLIED:
            return outcome  # planned (a dry run), or main holds it already (merged)
        push_branch(run.repo, remote=run.config.remote, branch=target.branch)
        return _pull_request(run, target.branch, target.marker(main), pushed=True)
    outcome = forward_port(run.repo, run.config, target, dry_run=run.dry_run, finish_on_main=True)
    pushed = push_release(
        run.repo, remote=run.config.remote, branch=main, tag=run.target.tag, dry_run=run.dry_run
    )
    if outcome.change is Change.UNCHANGED and pushed.change is not Change.UNCHANGED:
        return pushed
    return outcome


STEPS: tuple[Step[PromoteRun], ...] = (
    Step("preflight", "check the pre-release and the repository", _preflight),
    Step("release", "pre-release -> latest release", _release),
    Step("blog", "announce the hotfix in the dev blog post", _blog),
    Step("push", "push the hotfix branch", _push),
    Step("forward-port", "bring the fixes into main, with versions of its own", _forward_port),
)


def prepare_promote(config: ReleaseConfig, options: PromoteOptions) -> PromoteRun:
    """Read the world and decide what this run is about; writes nothing."""
    repo = open_repository(config.root)
    target = target_for_tag(repo, options.tag)
    paths = RunPaths(config.workdir, target.tag)
    return PromoteRun(
        config=config,
        repo=repo,
        publisher=open_publisher(config.publish, root=config.root),
        target=target,
        plan=make_plan(repo, config, target, fix_refs=(), tagged=True),
        date=options.date or datetime.datetime.now(datetime.UTC).date(),
        dry_run=options.dry_run,
        paths=paths,
        journal=open_journal(paths, dry_run=options.dry_run),
    )


def run_promote(run: PromoteRun, *, display: Display, until: str | None = None) -> PromoteResult:
    """Run the steps (up to ``until``) for the prepared ``run``."""
    after = resolve_commit(run.repo, run.target.tag).committed_date
    reports = run_until(STEPS, run, until=until, after=after, display=display)
    return PromoteResult(run.config, run.target, reports, run)
