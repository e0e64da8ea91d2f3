"""Where note templates come from: the repository's overrides first, then the packaged ones.

A target repository customises any document by putting a template of the same name in its
``.release/templates/``; everything it does not override keeps the packaged wording.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping
from pathlib import Path

import jinja2

from release.markdown import code, table
from release.notes.errors import TemplateError
from release.notes.wording import join_words, minutes

_BLANK_RUNS = re.compile(r"\n{3,}")

#: Directory, relative to a repository root, holding that repository's template overrides.
OVERRIDE_DIR = Path(".release") / "templates"


@functools.lru_cache(maxsize=16)
def environment(repo_root: Path | None = None) -> jinja2.Environment:
    """The Jinja environment for one repository (``None``: packaged templates only)."""
    loaders: list[jinja2.BaseLoader] = []
    if repo_root is not None:
        loaders.append(jinja2.FileSystemLoader(repo_root / OVERRIDE_DIR))
    loaders.append(jinja2.PackageLoader("release", "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,  # Markdown, not HTML: escaping would corrupt backticks and links
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(table=table, code=code)
    env.filters.update(
        code=code,
        minutes=minutes,
        join_words=join_words,
        count="{:,}".format,
    )
    return env


def render(name: str, context: Mapping[str, object], *, repo_root: Path | None = None) -> str:
    """Render template ``name``; the text ends with exactly one newline.

    Template mistakes (often in a repository's override) become a :class:`TemplateError`
    naming the file, instead of a Jinja traceback.
    """
    env = environment(repo_root.resolve() if repo_root is not None else None)
    try:
        template = env.get_template(name)
    except jinja2.TemplateNotFound:
        raise TemplateError(f"no template {name!r} (packaged or in {OVERRIDE_DIR})") from None
    except jinja2.TemplateSyntaxError as error:
        where = error.filename or name
        raise TemplateError(f"{where}:{error.lineno}: {error.message}") from None
    try:
        text = template.render(**context)
    except jinja2.TemplateError as error:
        raise TemplateError(f"{template.filename or name}: {error}") from None
    # Optional blocks leave runs of blank lines behind; Markdown reads one the same.
    return _BLANK_RUNS.sub("\n\n", text).rstrip("\n") + "\n"
