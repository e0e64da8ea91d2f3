"""The hotfix plan: one value, computed once from the repository, read by every step.

It says what the hotfix is (base, tag, branch), which commits it brings in and why each is
or is not picked, which components it bumps to what and why, which it leaves alone, where
the distribution's blog post lives, and how main gets the fix. Steps, the dry-run table,
``inv status`` and ``--json`` all read this value; nothing re-derives it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import PurePosixPath

import git

from release.config import ReleaseConfig
from release.distribution._git import (
    changed_files,
    component_versions,
    main_refs,
    ref_exists,
    resolve_commit,
)
from release.distribution.bump import (
    ComponentBump,
    KeptComponent,
    counted_changes,
    plan_bumps,
    summary_of,
)
from release.distribution.errors import FixSeriesError
from release.distribution.fixes import FixCommit, own_commits, resolve_fix_series, subject
from release.pipeline._target import HotfixTarget

#: Where the distribution's blog post is: on main (added after the release tag, as Mithril
#: did), on the hotfix branch (it came with the tag), or nowhere yet.
ON_MAIN, ON_HOTFIX, NO_POST = "main", "hotfix branch", "none"


@dataclass(frozen=True)
class BlogPostLocation:
    where: str
    #: Repository-relative path of the post (None when it has none anywhere).
    path: PurePosixPath | None
    #: The ref it was read from.
    ref: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"where": self.where, "path": self.path and str(self.path), "ref": self.ref}


@dataclass(frozen=True)
class HotfixPlan:
    target: HotfixTarget
    #: The tag exists: the plan describes what it holds.
    tagged: bool
    #: The ``--fix`` arguments (or ``[hotfix] fixes``) and the commits they name.
    fix_refs: tuple[str, ...]
    fixes: tuple[FixCommit, ...]
    bumps: tuple[ComponentBump, ...]
    kept: tuple[KeptComponent, ...]
    #: Every component's version at the base and in the hotfix.
    versions: dict[str, tuple[str, str]]
    blog: BlogPostLocation
    #: How main receives the fix after promotion, in words.
    forward_port: str
    #: What the hotfix fixes, one sentence each: ``--summary`` / ``[hotfix] summary``, else
    #: the subjects of the commits it brings in that change a component.
    summary: tuple[str, ...] = ()

    @property
    def to_pick(self) -> tuple[FixCommit, ...]:
        return tuple(fix for fix in self.fixes if fix.present is None)

    @property
    def changed(self) -> dict[str, tuple[str, str]]:
        return {name: pair for name, pair in self.versions.items() if pair[0] != pair[1]}

    def as_json(self) -> dict[str, object]:
        return {
            "base": self.target.base_tag,
            "tag": self.target.tag,
            "branch": self.target.branch,
            "tagged": self.tagged,
            "fix_refs": list(self.fix_refs),
            "fixes": [fix.as_json() for fix in self.fixes],
            "bumps": [
                {
                    "component": bump.component.name,
                    "from": self.versions[bump.component.name][0],
                    "to": str(bump.target),
                    "paths": list(bump.paths),
                    "rule": bump.rule,
                }
                for bump in self.bumps
            ],
            "kept": [{"component": k.component.name, "reason": k.reason} for k in self.kept],
            "blog_post": self.blog.as_json(),
            "forward_port": self.forward_port,
            "summary": list(self.summary),
        }


def blog_post_on(
    repo: git.Repo, config: ReleaseConfig, distribution: str, refs: Sequence[tuple[str, str]]
) -> BlogPostLocation:
    """The distribution's post on the first of ``refs`` (where, ref) that has one."""
    suffix = f"-distribution-{distribution}.md"
    folder_path = config.blog_dir.as_posix()
    for where, ref in refs:
        if not ref_exists(repo, ref):
            continue
        try:
            folder = resolve_commit(repo, ref).tree / folder_path
        except KeyError:
            continue
        names = sorted(blob.name for blob in folder.blobs if blob.name.endswith(suffix))
        if names:
            return BlogPostLocation(where, PurePosixPath(folder_path) / names[0], ref)
    return BlogPostLocation(NO_POST, None)


def main_post_refs(config: ReleaseConfig) -> list[tuple[str, str]]:
    """Where main's copy of a post is read from: the remote's main first, then the local one."""
    main, remote = config.main_branch, config.remote
    return [(ON_MAIN, f"refs/remotes/{remote}/{main}"), (ON_MAIN, f"refs/heads/{main}")]


def find_blog_post(repo: git.Repo, config: ReleaseConfig, target: HotfixTarget) -> BlogPostLocation:
    """The distribution's post: on the remote's main (or the local main), else the hotfix
    branch; a post added on main after the release tag is not on the hotfix branch."""
    branch, remote = target.branch, config.remote
    refs = [
        *main_post_refs(config),
        (ON_HOTFIX, f"refs/heads/{branch}"),
        (ON_HOTFIX, f"refs/remotes/{remote}/{branch}"),
        (ON_HOTFIX, f"refs/tags/{target.base_tag}"),
    ]
    return blog_post_on(repo, config, f"{target.version.yyww:04d}", refs)


def _forward_port(config: ReleaseConfig) -> str:
    how = f"cherry-pick the fix commits onto a branch from {config.main_branch}, bump there"
    if config.publish.backend == "github":
        return f"{how}, then open a pull request into {config.main_branch}"
    return f"{how}, then fast-forward {config.main_branch} and push it"


def make_plan(
    repo: git.Repo,
    config: ReleaseConfig,
    target: HotfixTarget,
    *,
    fix_refs: Sequence[str],
    no_bump: Sequence[str] = (),
    summary: str | None = None,
    tagged: bool,
) -> HotfixPlan:
    """Read the repository and decide the whole hotfix; writes nothing.

    Refuses (:class:`FixSeriesError`) a fix named once the hotfix is tagged: the tag is
    final, and the way out is the next hotfix.
    """
    base = target.base_tag
    main = main_refs(repo, main_branch=config.main_branch, remote=config.remote)
    branches = [f"refs/heads/{target.branch}", f"refs/remotes/{config.remote}/{target.branch}"]
    if tagged:
        tip = f"refs/tags/{target.tag}"
    else:
        tip = next((ref for ref in branches if ref_exists(repo, ref)), f"refs/tags/{base}")
    fixes = resolve_fix_series(repo, fix_refs, remote=config.remote, base=base, main=main, tip=tip)
    if tagged and (missing := [fix for fix in fixes if fix.present is None]):
        listed = ", ".join(f"{fix.short} ({fix.subject})" for fix in missing)
        raise FixSeriesError(
            f"{target.tag} is tagged already and does not hold {listed}: a tag is final; "
            f"plan the next hotfix with --base {target.tag}"
        )
    # The tag's (or branch's) own commits, the release commit (bumps only) apart.
    commits, released = own_commits(repo, tip, base=base)
    if tagged:
        files = [path for commit in commits for path in _files_of(repo, commit)]
    else:
        files = changed_files(repo, base, tip)
        files += [
            path
            for fix in fixes
            if fix.present is None
            for path in _files_of(repo, repo.commit(fix.sha))
        ]
    bumps, kept = plan_bumps(
        repo,
        config.components,
        changed_files=sorted(set(files)),
        base_tag=base,
        main=main,
        rev=tip,
        no_bump={*config.hotfix.no_bump, *no_bump},
    )
    if tagged:
        bumps = tuple(replace(bump, target=bump.current, tagged=True) for bump in bumps)
    before = component_versions(repo, config.components, base)
    after = component_versions(repo, config.components, tip)
    after.update({bump.component.name: str(bump.target) for bump in bumps})
    if tagged and released is not None:
        told = summary_of(str(released.message))
    else:
        told = tuple(line for line in (summary or config.hotfix.summary,) if line)
    if not told:
        named = [repo.commit(fix.sha) for fix in fixes] or commits
        told = tuple(
            dict.fromkeys(
                subject(commit)
                for commit in named
                if any(
                    counted_changes(component, _files_of(repo, commit))
                    for component in config.components
                )
            )
        )
    return HotfixPlan(
        target=target,
        tagged=tagged,
        fix_refs=tuple(fix_refs),
        fixes=fixes,
        bumps=bumps,
        kept=kept,
        versions={name: (before[name], after[name]) for name in before},
        blog=find_blog_post(repo, config, target),
        forward_port=_forward_port(config),
        summary=told,
    )


def _files_of(repo: git.Repo, commit: git.Commit) -> list[str]:
    parent = commit.parents[0].hexsha if commit.parents else None
    return changed_files(repo, parent, commit.hexsha) if parent else []


def plan_lines(plan: HotfixPlan) -> list[tuple[str, str]]:
    """The plan as labelled lines for the console (``label``, ``text``)."""
    lines: list[tuple[str, str]] = []
    for fix in plan.fixes:
        state = f" - skipped: {fix.present}" if fix.present else ""
        lines.append(("fix", f"{fix.short} {fix.subject} (from {fix.source}){state}"))
    if not plan.fixes:
        lines.append(("fix", "(commits already on the branch)"))
    for bump in plan.bumps:
        before = plan.versions[bump.component.name][0]
        lines.append(("bump", f"{bump.component.name} {before} -> {bump.target} ({bump.reason})"))
    for kept in plan.kept:
        lines.append(("kept", f"{kept.component.name}: {kept.reason}"))
    if plan.blog.path is not None:
        lines.append(("blog post", f"{plan.blog.path} (on {plan.blog.where})"))
    else:
        lines.append(("blog post", "none yet: promotion writes one"))
    lines.append(("main", plan.forward_port))
    for line in plan.summary:
        lines.append(("fixes", line))
    return lines
