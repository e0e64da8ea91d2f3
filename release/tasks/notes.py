"""``inv notes.*``: render one document on its own (SPO rollback and upgrade notes, the dev
blog post) from the repository, its config and the regression report."""

from __future__ import annotations

import datetime
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Context

from release.errors import ReleaseToolError
from release.tasks._cli import console, emit_json, reports_errors, task

if TYPE_CHECKING:
    from release.config import ReleaseConfig
    from release.notes.regression import RegressionReport
    from release.notes.sources import RepositoryFacts

_COMMON_HELP = {
    "config": "release.toml to use (default: ./release.toml, else the sandbox's)",
    "out": "write the document to this file instead of printing it",
    "dry_run": "render, but write nothing (with --out: say where it would go)",
    "json": "print a JSON object: document, path, text",
}


def _facts(config_path: str) -> RepositoryFacts:
    """What the notes are rendered from: the repository of the chosen release.toml."""
    from release.notes.sources import RepositoryFacts  # noqa: PLC0415

    return RepositoryFacts(_config(config_path))


def _config(path: str) -> ReleaseConfig:
    from release.config import load_config  # noqa: PLC0415
    from release.sandbox import SandboxState, sandbox_status  # noqa: PLC0415

    if path:
        return load_config(Path(path))
    if Path("release.toml").exists():
        return load_config()
    status = sandbox_status(Path.cwd())
    if status.state is SandboxState.INTACT:
        return load_config(status.config)
    raise ReleaseToolError(
        "no release.toml in the current directory: pass --config FILE (or run `inv sandbox`)"
    )


def _report(directory: str, facts: RepositoryFacts) -> RegressionReport:
    """``--report DIR``, else the report the newest hotfix's gate wrote in the workdir."""
    from release.distribution.versions import parse_distribution_version  # noqa: PLC0415
    from release.notes import load_report  # noqa: PLC0415
    from release.notes.regression import REPORT_FILE  # noqa: PLC0415

    if directory:
        return load_report(Path(directory))
    workdir = facts.config.workdir
    written = [
        (parse_distribution_version(path.parent.parent.name), path.parent)
        for path in workdir.glob(f"*/regression/{REPORT_FILE}")
        if _is_distribution(path.parent.parent.name)
    ]
    if not written:
        raise ReleaseToolError(
            f"no regression report in {workdir} (a hotfix's gate writes one): pass --report DIR"
            " (write one with `inv regression --report DIR`)"
        )
    return load_report(max(written)[1])


def _public_key(path: str, facts: RepositoryFacts) -> Path:
    """``--public-key``, else the configured minisign secret key's ``.pub`` beside it."""
    return Path(path) if path else facts.config.signing.minisign_key.with_suffix(".pub")


def _is_distribution(name: str) -> bool:
    from release.distribution.errors import VersionError  # noqa: PLC0415
    from release.distribution.versions import parse_distribution_version  # noqa: PLC0415

    try:
        parse_distribution_version(name)
    except VersionError:
        return False
    return True


def _deliver(document: str, text: str, out: str, *, dry_run: bool, json: bool) -> None:
    """Print the document, or write it to ``out``; report where with --json."""
    from release._fs import atomic_write  # noqa: PLC0415

    if out and not dry_run:
        atomic_write(Path(out), text)
    if json:
        emit_json({"document": document, "path": out or None, "dry_run": dry_run, "text": text})
    elif out:
        console().print(
            f"{document}: {'would write' if dry_run else 'wrote'} {out}", soft_wrap=True
        )
    else:
        sys.stdout.write(text)


@task(
    help={
        "report": "regression report directory (holding report.json; default: the one the"
        " newest hotfix's gate wrote in the workdir)",
        "broken": "distribution whose signer fails (default: the latest release; once a"
        " hotfix is promoted, the release it fixes)",
        "to": "distribution to roll back to (default: the newest older release whose"
        " signer passes the suite)",
        "public_key": "minisign public key (default: the configured secret key's .pub)",
        **_COMMON_HELP,
    }
)
@reports_errors
def rollback(
    c: Context,
    report: str = "",
    broken: str = "",
    to: str = "",
    public_key: str = "",
    config: str = "",
    out: str = "",
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Render rollback.md: the version SPOs return to until the fix ships, and how."""
    from release.notes import render_rollback  # noqa: PLC0415
    from release.notes.sources import rollback_input  # noqa: PLC0415

    facts = _facts(config)
    data = rollback_input(
        facts,
        _report(report, facts),
        broken_tag=broken or facts.incident_release(),
        rollback_tag=to or None,
        public_key=_public_key(public_key, facts),
    )
    _deliver(
        "rollback.md",
        render_rollback(data, repo_root=facts.config.root),
        out,
        dry_run=dry_run,
        json=json,
    )


@task(
    iterable=["change"],
    help={
        "tag": "the hotfix distribution (default: the latest release)",
        "report": "regression report directory (holding report.json; default: the one the"
        " newest hotfix's gate wrote in the workdir)",
        "base": "the distribution it fixes (default: the release before --tag)",
        "public_key": "minisign public key (default: the configured secret key's .pub)",
        "change": "what the hotfix changes, one sentence (repeatable; default: the"
        " subjects of the commits that changed component sources)",
        **_COMMON_HELP,
    },
)
@reports_errors
def upgrade(
    c: Context,
    report: str = "",
    tag: str = "",
    base: str = "",
    public_key: str = "",
    change: list[str] | None = None,
    config: str = "",
    out: str = "",
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Render upgrade.md: what the hotfix changes, who was hit, how to upgrade and check."""
    from release.notes import render_upgrade  # noqa: PLC0415
    from release.notes.sources import upgrade_input  # noqa: PLC0415

    facts = _facts(config)
    data = upgrade_input(
        facts,
        _report(report, facts),
        tag=tag or facts.latest_release(),
        base_tag=base or None,
        public_key=_public_key(public_key, facts),
        changes=tuple(change or ()),
    )
    _deliver(
        "upgrade.md",
        render_upgrade(data, repo_root=facts.config.root),
        out,
        dry_run=dry_run,
        json=json,
    )


@task(
    iterable=["fix"],
    help={
        "tag": "the distribution to announce (default: the latest release)",
        "base": "for a hotfix, the distribution it fixes (default: the release before --tag)",
        "date": "date of the update or post, YYYY-MM-DD (default: today, UTC)",
        "fix": "what the hotfix fixes, one sentence (repeatable; default: the commit"
        " subjects that changed component sources)",
        "report": "regression report directory (holding report.json; default: the one the"
        " newest hotfix's gate wrote in the workdir)",
        **_COMMON_HELP,
    },
)
@reports_errors
def blog(
    c: Context,
    tag: str = "",
    base: str = "",
    date: str = "",
    fix: list[str] | None = None,
    report: str = "",
    config: str = "",
    out: str = "",
    dry_run: bool = False,
    json: bool = False,
) -> None:
    """Render the distribution's dev blog post: updated for a hotfix, or written anew."""
    from release.distribution.versions import parse_distribution_version  # noqa: PLC0415
    from release.notes import blog_post_path, new_blog_post, update_blog_post  # noqa: PLC0415
    from release.notes.sources import blog_update_input, new_post_input  # noqa: PLC0415

    facts = _facts(config)
    release_config = facts.config
    tag = tag or facts.latest_release()
    day = _date(date)
    distribution = f"{parse_distribution_version(tag).yyww:04d}"
    blog_dir = release_config.root / release_config.blog_dir
    fixes = tuple(fix or ())
    post = _published_post(facts, blog_dir, distribution)
    if post is not None:
        document, published = post
        update = blog_update_input(
            facts, _report(report, facts), tag=tag, date=day, base_tag=base or None, fixes=fixes
        )
        text = update_blog_post(published, update, repo_root=release_config.root)
    else:
        text = new_blog_post(
            new_post_input(facts, tag=tag, changes=fixes), repo_root=release_config.root
        )
        document = str(blog_post_path(release_config.blog_dir, day, distribution))
    _deliver(document, text, out, dry_run=dry_run, json=json)


def _published_post(
    facts: RepositoryFacts, blog_dir: Path, distribution: str
) -> tuple[str, str] | None:
    """The distribution's post (path, text): in the work tree, else on main (Mithril adds
    it there after the tag, so a hotfix branch checked out here does not have it)."""
    from release.distribution._git import file_at  # noqa: PLC0415
    from release.notes import find_blog_post  # noqa: PLC0415
    from release.pipeline.plan import blog_post_on, main_post_refs  # noqa: PLC0415

    local = find_blog_post(blog_dir, distribution)
    if local is not None:
        return str(local.relative_to(facts.config.root)), local.read_text(encoding="utf-8")
    found = blog_post_on(facts.repo, facts.config, distribution, main_post_refs(facts.config))
    if found.path is None or found.ref is None:
        return None
    text = file_at(facts.repo, found.ref, found.path.as_posix())
    return None if text is None else (str(found.path), text)


def _date(text: str) -> datetime.date:
    if not text:
        return datetime.datetime.now(datetime.UTC).date()
    try:
        return datetime.date.fromisoformat(text)
    except ValueError:
        raise ReleaseToolError(f"--date {text!r} is not a date such as 2025-11-07") from None
