"""Templates: packaged ones compile; a repository's .release/templates/ overrides by name."""

from __future__ import annotations

import datetime
from pathlib import Path
from types import SimpleNamespace

import jinja2
import pytest

from release.notes import OVERRIDE_DIR, BlogUpdate, TemplateError, update_blog_post
from release.notes.templates import environment, render

PACKAGED = Path(__file__).resolve().parent.parent / "release" / "templates"
POST = (
    "---\ntitle: t\n---\n\n### Distribution `2543` is now available\n\n"
    "Run: sh -s -- -d 2543.0 -p x\n"
)
UPDATE = BlogUpdate(
    date=datetime.date(2025, 11, 7),
    tag="2543.1-hotfix",
    release_url="https://example.invalid/2543.1-hotfix",
    previous_tag="2543.0",
    previous_release_url="https://example.invalid/2543.0",
    previous_signer_version="0.2.273",
    signer_version="0.2.276",
    fixes=("A fix.",),
)


def override(repo: Path, name: str, text: str) -> None:
    path = repo / OVERRIDE_DIR / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", sorted(path.name for path in PACKAGED.glob("*.j2")))
def test_every_packaged_template_compiles(name):
    env = environment()
    env.parse((PACKAGED / name).read_text(encoding="utf-8"))
    assert env.get_template(name).filename.endswith(name)


def test_the_packaged_documents_are_all_there():
    names = {path.name for path in PACKAGED.glob("*.j2")}
    assert names >= {
        "release_body.md.j2",
        "blog_post.md.j2",
        "blog_update.md.j2",
        "rollback.md.j2",
        "upgrade.md.j2",
    }


def test_a_repository_override_replaces_only_its_template(tmp_path):
    override(
        tmp_path,
        "blog_update.md.j2",
        ":::info[Update {{ update.date.strftime('%Y/%m/%d') }}]\n\n"
        "Our words: `{{ update.tag }}`.\n\n:::\n",
    )
    text = update_blog_post(POST, UPDATE, repo_root=tmp_path)
    assert "Our words: `2543.1-hotfix`." in text
    assert "-d 2543.1-hotfix -p x" in text  # the update logic itself is unchanged
    packaged = update_blog_post(POST, UPDATE)
    assert "Our words" not in packaged
    assert "hotfix distribution has been released" in packaged


def test_overriding_the_shared_macros_rewords_every_document(tmp_path):
    macros = (PACKAGED / "_macros.md.j2").read_text(encoding="utf-8")
    override(tmp_path, "_macros.md.j2", macros.replace("Nothing else differs.", "All else alike."))
    context = {"impact": SimpleNamespace(also_improved=())}
    template = "{% import '_macros.md.j2' as m %}{{ m.also_improved(impact) }}"
    override(tmp_path, "probe.md.j2", template)
    assert render("probe.md.j2", context, repo_root=tmp_path) == "All else alike.\n"
    other = tmp_path / "other"
    override(other, "probe.md.j2", template)
    assert render("probe.md.j2", context, repo_root=other) == "Nothing else differs.\n"


def test_a_broken_override_names_the_file_and_line(tmp_path):
    override(tmp_path, "blog_update.md.j2", "line one\n{% if %}\n")
    with pytest.raises(TemplateError, match=r"blog_update\.md\.j2:2: "):
        update_blog_post(POST, UPDATE, repo_root=tmp_path)


def test_an_override_using_an_unknown_field_is_reported(tmp_path):
    override(tmp_path, "blog_update.md.j2", ":::info[Update]\n{{ update.no_such_field }}\n:::\n")
    with pytest.raises(TemplateError, match=r"blog_update\.md\.j2: .*no_such_field"):
        update_blog_post(POST, UPDATE, repo_root=tmp_path)


def test_an_unknown_template_is_reported(tmp_path):
    with pytest.raises(TemplateError, match=r"no template 'nothing.md.j2'"):
        render("nothing.md.j2", {}, repo_root=tmp_path)


def test_markdown_is_not_html_escaped():
    env = environment()
    assert isinstance(env.undefined, type) and issubclass(env.undefined, jinja2.StrictUndefined)
    assert env.from_string("{{ text }}").render(text="a < b & `c`") == "a < b & `c`"
