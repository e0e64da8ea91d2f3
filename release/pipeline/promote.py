"""``inv promote TAG``: a tested pre-release becomes the latest release.

Steps: preflight, release (pre-release -> release, the body's compatibility table now naming
the release networks), blog (the distribution's dev blog post announces the hotfix, on the
hotfix branch), push (the branch), merge (the hotfix branch back into main, pushed).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path

import git

from release._fs import atomic_write
from release.distribution._git import (
    commit_paths,
    ensure_hotfix_branch,
    open_repository,
    preflight,
    push_release,
    resolve_commit,
)
from release.distribution._settings import ReleaseConfig
from release.distribution.errors import GitRefError
from release.notes import (
    ReleaseStage,
    blog_post_path,
    new_blog_post,
    update_blog_post,
)
from release.notes.sources import RepositoryFacts, blog_update_input, new_post_input
from release.outcome import Change, StepOutcome
from release.pipeline._engine import Display, Step, StepReport
from release.pipeline._journal import Journal
from release.pipeline._merge import merge_into_main
from release.pipeline._run import RunPaths, open_journal, run_until
from release.pipeline._target import HotfixTarget, target_for_tag
from release.pipeline.hotfix import ensure_report, release_body
from release.pipeline.plan import HotfixPlan, make_plan
from release.publish import Publisher, ReleaseView, open_publisher, plan_promote, promote


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
    branch = preflight(run.repo, branches={run.config.main_branch, run.target.branch})
    return StepOutcome(Change.UNCHANGED, f"{view.state} {run.target.tag}; clean tree on {branch}")


def _release(run: PromoteRun) -> StepOutcome:
    ensure_report(run.config, run.paths, dry_run=run.dry_run)
    body = release_body(run.config, run.target, run.paths, ReleaseStage.RELEASE)
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
    config, version = run.config, run.target.version
    distribution = f"{version.yyww:04d}"
    facts = RepositoryFacts(config)
    existing = _post_on_branch(run, distribution)
    if existing is not None:
        path, text = existing
        update = blog_update_input(
            facts, tag=run.target.tag, date=run.date, base_tag=run.target.base_tag
        )
        updated = update_blog_post(text, update, repo_root=config.root)
    else:
        path = blog_post_path(config.root / config.blog_dir, run.date, distribution)
        post = new_post_input(facts, tag=run.target.tag)
        text, updated = None, new_blog_post(post, repo_root=config.root)
    run.blog_post = path
    relative = path.relative_to(config.root)
    if text == updated:
        return StepOutcome(Change.UNCHANGED, f"{relative} announces {run.target.tag}")
    if run.dry_run:
        return StepOutcome(Change.PLANNED, f"{'update' if text else 'write'} {relative}")
    ensure_hotfix_branch(run.repo, version, run.target.base_tag, remote=config.remote)
    atomic_write(path, updated)
    verb = "announce" if text else "add the post of"
    message = f"docs: {verb} {run.target.tag} in the {distribution} distribution blog post"
    return commit_paths(run.repo, [relative], message)


def _post_on_branch(run: PromoteRun, distribution: str) -> tuple[Path, str] | None:
    """The distribution's post as the hotfix branch has it, wherever the work tree is."""
    config, branch = run.config, run.target.branch
    local = f"refs/heads/{branch}"
    known = {ref.path for ref in run.repo.refs}
    ref = local if local in known else f"refs/remotes/{config.remote}/{branch}"
    try:
        folder = resolve_commit(run.repo, ref).tree / config.blog_dir.as_posix()
    except KeyError:
        return None
    suffix = f"-distribution-{distribution}.md"
    names = sorted(blob.name for blob in folder.blobs if blob.name.endswith(suffix))
    if not names:
        return None
    blob = folder / names[0]
    return config.root / config.blog_dir / names[0], blob.data_stream.read().decode()


def _push(run: PromoteRun) -> StepOutcome:
    return push_release(
        run.repo,
        remote=run.config.remote,
        branch=run.target.branch,
        tag=run.target.tag,
        dry_run=run.dry_run,
    )


def _merge(run: PromoteRun) -> StepOutcome:
    main = run.config.main_branch
    outcome = merge_into_main(run.repo, branch=run.target.branch, main=main, dry_run=run.dry_run)
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
    Step("merge", "merge the hotfix branch into main", _merge),
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
