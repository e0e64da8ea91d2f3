"""The dev blog post: a new post per distribution, and the hotfix update of an existing one."""

from __future__ import annotations

import dataclasses
import datetime
from pathlib import Path

import pytest

from release.notes import (
    BlogPostFormatError,
    BlogPostInput,
    BlogUpdate,
    SignerInstruction,
    blog_post_path,
    find_blog_post,
    load_networks,
    new_blog_post,
    signer_instructions,
    update_blog_post,
)

DATA = Path(__file__).parent / "data" / "notes"
RELEASES = "https://github.com/input-output-hk/mithril/releases/tag/"
UPDATE = BlogUpdate(
    date=datetime.date(2025, 11, 7),
    tag="2543.1-hotfix",
    release_url=RELEASES + "2543.1-hotfix",
    previous_tag="2543.0",
    previous_release_url=RELEASES + "2543.0",
    previous_signer_version="0.2.273",
    signer_version="0.2.276",
    fixes=(
        "Signers restarted late in an epoch register again: the protocol key is KES-signed afresh.",
        "The aggregator accepts every KES period that can occur during the current epoch.",
    ),
)


@pytest.fixture(scope="module")
def mithril_post() -> str:
    return (DATA / "blog-2543-mithril-format.md").read_text(encoding="utf-8")


def count_admonitions(text: str) -> int:
    return sum(line.startswith(":::info[Update ") for line in text.splitlines())


def test_update_puts_one_admonition_right_after_the_heading(mithril_post):
    lines = update_blog_post(mithril_post, UPDATE).splitlines()
    heading = lines.index("### Distribution `2543` is now available")
    assert lines[heading + 1 : heading + 5] == [
        "",
        ":::info[Update 2025/11/07]",
        "",
        "The [`2543.1-hotfix`](https://github.com/input-output-hk/mithril/releases/tag/2543.1-hotfix)"
        " hotfix distribution has been released. It fixes:",
    ]
    closing = lines.index(":::")
    assert lines[closing + 1] == ""
    # The distribution's own description keeps its link: 2543.0's changes are 2543.0's.
    assert lines[closing + 2].startswith(f"The [`2543.0`]({RELEASES}2543.0) distribution")


def test_update_switches_signer_versions_and_installer_and_keeps_the_link(mithril_post):
    updated = update_blog_post(mithril_post, UPDATE)
    body = updated.split("\n:::\n", 1)[1]
    assert f"[`2543.0`]({RELEASES}2543.0)" in body
    assert "2543.1-hotfix`](" not in body
    assert "`0.2.273`" not in body
    assert (
        "- **release-preprod** network: move the signer binary to version `0.2.276`"
        " – the configuration does not change"
    ) in body.splitlines()
    assert "- **pre-release-preview** network: nothing to do for now" in body.splitlines()
    assert "sh -s -- -c mithril-signer -d 2543.1-hotfix -p $(pwd)" in body
    # Everything else is kept as written, front matter included.
    assert updated.startswith(mithril_post.split("### ", 1)[0])
    assert body.endswith("Questions are welcome on the project's community channels.\n")


def test_update_is_idempotent(mithril_post):
    once = update_blog_post(mithril_post, UPDATE)
    twice = update_blog_post(once, UPDATE)
    assert twice == once
    assert count_admonitions(twice) == 1


def test_a_second_hotfix_stacks_its_own_admonition_on_top(mithril_post):
    first = update_blog_post(mithril_post, UPDATE)
    second_hotfix = dataclasses.replace(
        UPDATE,
        date=datetime.date(2025, 11, 20),
        tag="2543.2-hotfix",
        release_url=RELEASES + "2543.2-hotfix",
        previous_tag="2543.1-hotfix",
        previous_release_url=RELEASES + "2543.1-hotfix",
        previous_signer_version="0.2.276",
        signer_version="0.2.277",
        fixes=("Something else.",),
    )
    text = update_blog_post(update_blog_post(first, second_hotfix), second_hotfix)
    opened = [line for line in text.splitlines() if line.startswith(":::info[Update ")]
    assert opened == [":::info[Update 2025/11/20]", ":::info[Update 2025/11/07]"]
    # The first admonition still tells its own story, the body moved on to 2543.2.
    assert "instead of `0.2.273`" in text
    assert "-d 2543.2-hotfix" in text
    assert "version `0.2.277`" in text


def test_a_post_without_heading_or_with_an_open_admonition_is_refused(mithril_post):
    with pytest.raises(BlogPostFormatError, match="no '### ' heading"):
        update_blog_post("---\ntitle: x\n---\n\nNo heading here.\n", UPDATE)
    with pytest.raises(BlogPostFormatError, match="front matter"):
        update_blog_post("---\ntitle: x\n\n### Heading\n", UPDATE)
    broken = mithril_post.replace(
        "### Distribution `2543` is now available\n",
        "### Distribution `2543` is now available\n\n:::info[Update 2025/11/05]\n\nUnclosed.\n",
    )
    with pytest.raises(BlogPostFormatError, match=r"line 10 is never closed"):
        update_blog_post(broken, UPDATE)


def new_post_input(networks) -> BlogPostInput:
    return BlogPostInput(
        distribution="2543",
        tag="2543.1-hotfix",
        team="Mithril Team",
        release_url=RELEASES + "2543.1-hotfix",
        changes=("Signers register again after a restart late in the epoch",),
        aggregator_networks=("release-mainnet", "release-preprod"),
        signers=signer_instructions(networks, "0.2.276"),
        install_command="curl -sSf https://example.invalid/install.sh | sh -s -- -d 2543.1-hotfix",
    )


def test_new_post_has_docusaurus_front_matter_and_no_date():
    networks = load_networks(DATA / "networks.json")
    lines = new_blog_post(new_post_input(networks)).splitlines()
    assert lines[:7] == [
        "---",
        "title: Distribution `2543` is now available",
        "authors:",
        "  - name: Mithril Team",
        "tags: [release, distribution, 2543]",
        "---",
        "",
    ]
    assert lines[7] == "### Distribution `2543` is now available"
    assert not any(line.startswith("date:") for line in lines)
    assert (
        "- **release-mainnet**: install signer version `0.2.276`; your configuration stays as it is"
        in lines
    )
    assert "- **pre-release-preview**: nothing to do, this network already runs it" in lines
    assert (
        "Its **Mithril aggregator** now runs on `release-mainnet` and `release-preprod`." in lines
    )


def test_a_new_post_can_be_updated_later():
    networks = load_networks(DATA / "networks.json")
    post = new_blog_post(
        dataclasses.replace(
            new_post_input(networks),
            tag="2543.0",
            release_url=RELEASES + "2543.0",
            signers=signer_instructions(networks, "0.2.273"),
            install_command="sh -s -- -d 2543.0 -p x",
        )
    )
    updated = update_blog_post(post, UPDATE)
    assert count_admonitions(update_blog_post(updated, UPDATE)) == 1
    assert "-d 2543.1-hotfix -p x" in updated
    assert "install signer version `0.2.276`" in updated


def test_signer_instructions_follow_the_deployment_tiers():
    networks = load_networks(DATA / "networks.json")
    assert signer_instructions(networks, "0.2.276") == (
        SignerInstruction("release-mainnet", "0.2.276"),
        SignerInstruction("release-preprod", "0.2.276"),
        SignerInstruction("pre-release-preview", None),
    )


def test_post_file_names(tmp_path):
    path = blog_post_path(tmp_path, datetime.date(2025, 11, 3), "2543")
    assert path == tmp_path / "2025-11-03-distribution-2543.md"
    assert find_blog_post(tmp_path, "2543") is None
    path.write_text("x", encoding="utf-8")
    (tmp_path / "2025-11-10-distribution-2543.md").write_text("y", encoding="utf-8")
    (tmp_path / "2025-09-17-distribution-2537.md").write_text("z", encoding="utf-8")
    assert find_blog_post(tmp_path, "2543") == path
