"""The distribution's dev blog post (Docusaurus): written for a new distribution, updated in
place for a hotfix the way Mithril does it, with an ``:::info[Update YYYY/MM/DD]`` admonition.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

from release.notes.affected import OperatorImpact
from release.notes.errors import BlogPostFormatError
from release.notes.networks import CardanoNetwork, ReleaseStage
from release.notes.templates import render

POST_TEMPLATE = "blog_post.md.j2"
UPDATE_TEMPLATE = "blog_update.md.j2"
_ADMONITION_OPENING = ":::info[Update "
_ADMONITION_CLOSING = ":::"


@dataclass(frozen=True)
class SignerInstruction:
    """What a signer operator on one Mithril network has to do for this distribution."""

    network: str
    #: Signer version to install; None when nothing is needed (the network got it as a pre-release).
    version: str | None


@dataclass(frozen=True)
class BlogPostInput:
    """A new post announcing a distribution."""

    #: Distribution number ``YYWW`` (``2543``): title, tags and file name.
    distribution: str
    #: Tag the post announces and links to (``2543.0``).
    tag: str
    #: Author shown by Docusaurus (``Mithril Team``).
    team: str
    #: Web page of the release (the configured ``release_url`` with the tag filled in).
    release_url: str
    #: Notable changes, one plain sentence each.
    changes: tuple[str, ...]
    #: Mithril networks whose aggregators run the distribution.
    aggregator_networks: tuple[str, ...]
    signers: tuple[SignerInstruction, ...]
    #: The signer's one-line install command for this tag.
    install_command: str


@dataclass(frozen=True)
class BlogUpdate:
    """A hotfix announced in the post of the distribution it fixes."""

    #: Day of the update, shown as ``Update YYYY/MM/DD``.
    date: datetime.date
    #: Hotfix tag (``2543.1-hotfix``).
    tag: str
    #: Web page of the hotfix release.
    release_url: str
    #: Tag the post links to and installs before the update (``2543.0``).
    previous_tag: str
    #: Web page of the previous release, as the post links it.
    previous_release_url: str
    #: Signer version the post names before the update (``0.2.273``) and after it (``0.2.276``).
    previous_signer_version: str
    signer_version: str
    #: What the hotfix fixes, one plain sentence each.
    fixes: tuple[str, ...]
    #: Who lost signing, in the words every document uses; None without a report.
    impact: OperatorImpact | None = None
    #: The SPO notes published with the hotfix: (asset name, download URL).
    notes: tuple[tuple[str, str], ...] = ()


def blog_post_path(blog_dir: Path, date: datetime.date, distribution: str) -> Path:
    """``<blog_dir>/YYYY-MM-DD-distribution-YYWW.md`` (Docusaurus takes the date from the name)."""
    return blog_dir / f"{date:%Y-%m-%d}-distribution-{distribution}.md"


def find_blog_post(blog_dir: Path, distribution: str) -> Path | None:
    """The post of ``distribution`` (the earliest when several exist), None when it has none."""
    posts = sorted(blog_dir.glob(f"*-distribution-{distribution}.md"))
    return posts[0] if posts else None


def promoted_networks(networks: tuple[CardanoNetwork, ...]) -> tuple[str, ...]:
    """Mithril networks the release itself deploys to (not those that ran the pre-release)."""
    return tuple(
        mithril.name
        for cardano in networks
        for mithril in cardano.mithril_networks
        if mithril.runs(ReleaseStage.RELEASE) and not mithril.runs(ReleaseStage.PRERELEASE)
    )


def signer_instructions(
    networks: tuple[CardanoNetwork, ...], signer_version: str
) -> tuple[SignerInstruction, ...]:
    """Per network running the released distribution: upgrade, or nothing when the network
    already ran it as a pre-release."""
    return tuple(
        SignerInstruction(
            mithril.name, None if mithril.runs(ReleaseStage.PRERELEASE) else signer_version
        )
        for cardano in networks
        for mithril in cardano.mithril_networks
        if mithril.runs(ReleaseStage.RELEASE)
    )


def new_blog_post(data: BlogPostInput, *, repo_root: Path | None = None) -> str:
    return render(POST_TEMPLATE, {"data": data}, repo_root=repo_root)


def update_blog_post(text: str, update: BlogUpdate, *, repo_root: Path | None = None) -> str:
    """Announce ``update`` in an existing post; applying it again changes nothing.

    One admonition per hotfix goes right under the ``###`` heading (newest first). The rest of
    the post keeps describing its distribution, with its release link; only what operators
    run from it points at the hotfix: the signer versions and the installer's ``-d``.
    Earlier admonitions are left as written: they describe their own hotfix.
    """
    lines = text.splitlines(keepends=True)
    heading = _heading_index(lines)
    admonitions, rest_start = _admonitions_after(lines, heading)
    if not any(f"`{update.tag}`" in block for block in admonitions):
        admonition = render(UPDATE_TEMPLATE, {"update": update}, repo_root=repo_root)
        admonitions.insert(0, admonition)
    rest = _point_at_hotfix("".join(lines[rest_start:]), update)
    blocks = "\n".join(block.rstrip("\n") + "\n" for block in admonitions)
    return "".join(lines[: heading + 1]) + "\n" + blocks + ("\n" + rest if rest else "")


def _heading_index(lines: list[str]) -> int:
    start = 0
    if lines and lines[0].strip() == "---":
        closing = next((i for i in range(1, len(lines)) if lines[i].strip() == "---"), None)
        if closing is None:
            raise BlogPostFormatError("the post's front matter (opened by '---') is never closed")
        start = closing + 1
    for index in range(start, len(lines)):
        if lines[index].startswith("### "):
            return index
    raise BlogPostFormatError("the post has no '### ' heading to put the update under")


def _admonitions_after(lines: list[str], heading: int) -> tuple[list[str], int]:
    """The update admonitions directly under the heading, and where the rest of the post starts."""
    blocks: list[str] = []
    index = _skip_blank(lines, heading + 1)
    while index < len(lines) and lines[index].startswith(_ADMONITION_OPENING):
        closing = next(
            (i for i in range(index + 1, len(lines)) if lines[i].strip() == _ADMONITION_CLOSING),
            None,
        )
        if closing is None:
            raise BlogPostFormatError(
                f"the admonition opened on line {index + 1} is never closed by ':::'"
            )
        blocks.append("".join(lines[index : closing + 1]))
        index = _skip_blank(lines, closing + 1)
    return blocks, index


def _skip_blank(lines: list[str], index: int) -> int:
    while index < len(lines) and not lines[index].strip():
        index += 1
    return index


def _point_at_hotfix(text: str, update: BlogUpdate) -> str:
    """Switch the per-network signer versions and the installer to the hotfix."""
    installer = re.compile(rf"(?<=\s-d\s){re.escape(update.previous_tag)}(?=\s|$)", re.MULTILINE)
    text = installer.sub(update.tag, text)
    network_line = re.compile(r"^\s*[-*] \*\*[^*\n]+\*\*.*$", re.MULTILINE)
    return network_line.sub(
        lambda match: match.group(0).replace(
            f"`{update.previous_signer_version}`", f"`{update.signer_version}`"
        ),
        text,
    )
