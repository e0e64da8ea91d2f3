"""The CHANGELOG section of a distribution: ``## {Name} Distribution [X.Y] - DATE``.

While in development Mithril's top section reads ``[2543] - UNRELEASED`` (or ``[XXXX]``); at
release it becomes ``[2543.1] - 2025-11-07`` and ends with a ``- Crates versions:`` table of
every component. Only the top section is touched: everything else stays byte-identical.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from release.distribution.errors import ChangelogError
from release.distribution.versions import DistributionVersion
from release.markdown import code, table

UNRELEASED = "UNRELEASED"
PLACEHOLDER_LABEL = "XXXX"
CRATES_LINE = "- Crates versions:"
_CRATES_LINE = re.compile(r"-\s+Crates versions:\s*")


@dataclass(frozen=True)
class ChangelogSection:
    """The top distribution section: its label (``2543``, ``2543.1``) and date or UNRELEASED."""

    label: str
    date: str
    #: Line indexes: the heading, and the first line after the section.
    start: int
    end: int

    @property
    def released(self) -> bool:
        return self.date != UNRELEASED


def distribution_sections(text: str, name: str) -> list[ChangelogSection]:
    """Every ``## {name} Distribution [...] - ...`` section, in the order of the file."""
    lines = text.split("\n")
    heading = _heading_pattern(name)
    found = []
    for index, line in enumerate(lines):
        match = heading.fullmatch(line)
        if match is None:
            continue
        end = next(
            (later for later in range(index + 1, len(lines)) if lines[later].startswith("## ")),
            len(lines),
        )
        found.append(ChangelogSection(match["label"], match["date"], index, end))
    return found


def top_section(text: str, name: str) -> ChangelogSection:
    """The first ``## {name} Distribution [...] - ...`` section of the changelog."""
    sections = distribution_sections(text, name)
    if not sections:
        raise ChangelogError(f'no "## {name} Distribution [...] - ..." heading in the changelog')
    return sections[0]


def adopt_section(text: str, released: str, *, name: str, version: DistributionVersion) -> str:
    """``text`` (main's changelog) with its section of ``version``'s distribution replaced by
    the one ``released`` (the hotfix's changelog) has for ``version``.

    Main keeps its own sections (``[XXXX] - UNRELEASED`` on top) and every other one byte
    for byte; the distribution's section (``[2543] - 2025-11-03``) becomes the hotfix's
    (``[2543.1] - ...`` with its crates table), as Mithril's "apply hotfix" change did.
    """
    source = next(
        (s for s in distribution_sections(released, name) if s.label == version.number), None
    )
    if source is None:
        raise ChangelogError(f"the released changelog has no [{version.number}] section")
    released_lines = released.split("\n")
    section = released_lines[source.start : source.end]
    lines = text.split("\n")
    family = f"{version.yyww:04d}"
    sections = distribution_sections(text, name)
    own = next((s for s in sections if s.label == family or s.label.startswith(f"{family}.")), None)
    if own is not None:
        lines[own.start : own.end] = section
        return "\n".join(lines)
    later = next((s for s in sections if s.released), None)
    if later is None:
        raise ChangelogError(f"no section to put [{version.number}] beside in the changelog")
    lines[later.start : later.start] = section
    return "\n".join(lines)


def crates_table(versions: Mapping[str, str]) -> list[str]:
    """The lines of the ``| Crate | Version |`` table, sorted by name."""
    rows = [(name, code(version)) for name, version in sorted(versions.items())]
    return table(("Crate", "Version"), rows).split("\n")


def release_changelog(
    text: str,
    *,
    name: str,
    version: DistributionVersion,
    date: datetime.date,
    versions: Mapping[str, str],
    entries: Sequence[str] = (),
) -> str:
    """The changelog with the section of ``version`` released on ``date``.

    The top section is rewritten when it is this distribution's work in progress
    (``[YYWW]``/``[XXXX] - UNRELEASED``) or this version's own section; a new section is
    inserted when the top one is already released; ``entries`` (what a hotfix fixes) become
    bullets on top of the section, once. A section
    that already carries a date keeps it, so re-running on another day changes nothing.
    """
    # Split on "\n" only: a CRLF file keeps its "\r" on every line, new lines get one too.
    carriage = "\r" if "\r\n" in text else ""
    lines = text.split("\n")
    section = top_section(text, name)
    table = [line + carriage for line in crates_table(versions)]
    if section.label == version.number or (
        not section.released and section.label in (f"{version.yyww:04d}", PLACEHOLDER_LABEL)
    ):
        release_date = section.date if section.released else date.isoformat()
        heading = f"## {name} Distribution [{version.number}] - {release_date}{carriage}"
        lines[section.start] = heading
        body = _with_entries(lines[section.start + 1 : section.end], entries, carriage)
        lines[section.start + 1 : section.end] = _with_table(body, table, carriage)
    elif not section.released:
        raise ChangelogError(
            f"the top section [{section.label}] - {UNRELEASED} is not distribution "
            f"{version.yyww:04d}: release it first or name it [{version.number}]"
        )
    else:
        bullets = [line for entry in entries for line in (f"- {entry}", "")]
        new_section = [
            f"## {name} Distribution [{version.number}] - {date.isoformat()}",
            "",
            *bullets,
            CRATES_LINE,
            "",
        ]
        lines[section.start : section.start] = [
            *(line + carriage for line in new_section),
            *table,
            carriage,
        ]
    return "\n".join(lines)


def update_changelog(
    path: Path,
    *,
    name: str,
    version: DistributionVersion,
    date: datetime.date,
    versions: Mapping[str, str],
    entries: Sequence[str] = (),
    dry_run: bool = False,
) -> bool:
    """Rewrite the changelog file in place; True when it changed (or would, in a dry run)."""
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            before = handle.read()
    except FileNotFoundError:
        raise ChangelogError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as failure:
        raise ChangelogError(f"{path}: cannot be read ({failure})") from None
    try:
        after = release_changelog(
            before, name=name, version=version, date=date, versions=versions, entries=entries
        )
    except ChangelogError as failure:
        raise ChangelogError(f"{path}: {failure}") from None
    if after == before:
        return False
    if not dry_run:
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(after)
    return True


def _heading_pattern(name: str) -> re.Pattern[str]:
    return re.compile(
        rf"## {re.escape(name)} Distribution \[(?P<label>[^\]]+)\] - (?P<date>\S+)\s*"
    )


def _with_entries(body: list[str], entries: Sequence[str], carriage: str) -> list[str]:
    """The section body with each of ``entries`` as a bullet on top, unless already there."""
    present = {line.rstrip("\r") for line in body}
    missing = [entry for entry in entries if f"- {entry}" not in present]
    if not missing:
        return body
    first = 0
    while first < len(body) and not body[first].strip():
        first += 1
    bullets = [line + carriage for entry in missing for line in (f"- {entry}", "")]
    return [*body[:first], *bullets, *body[first:]]


def _with_table(body: list[str], table: list[str], carriage: str) -> list[str]:
    """The section body with its crates table replaced, or appended after the last bullet."""
    for index, line in enumerate(body):
        if not _CRATES_LINE.fullmatch(line):
            continue
        first = index + 1
        while first < len(body) and not body[first].strip():
            first += 1
        last = first
        while last < len(body) and body[last].lstrip().startswith("|"):
            last += 1
        return [*body[: index + 1], carriage, *table, *body[last:]]
    content_end = max((i + 1 for i, line in enumerate(body) if line.strip()), default=0)
    crates = [carriage, CRATES_LINE + carriage, carriage, *table]
    return [*body[:content_end], *crates, *body[content_end:]]
