"""Markdown pieces written the way Mithril's own files write them.

The notes templates, the CHANGELOG's crates table and the sandbox's sample files all use
them, so this module stays free of imports from any of those layers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A pipe table padded the way Prettier pads them (and Mithril's files are).

    Padded cells keep the raw Markdown readable in a terminal or a diff, which is where
    operators and reviewers read it first.
    """
    body = [[str(cell) for cell in row] for row in rows]
    for number, row in enumerate(body, start=1):
        if len(row) != len(headers):
            raise ValueError(f"table row {number} has {len(row)} cells, expected {len(headers)}")
    widths = [max(len(header), 3) for header in headers]
    for row in body:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        padded = (cell.ljust(width) for cell, width in zip(cells, widths, strict=True))
        return "| " + " | ".join(padded) + " |"

    return "\n".join([line(headers), line(["-" * width for width in widths]), *map(line, body)])


def code(text: str) -> str:
    """Inline code, the way versions and network names are written in Mithril's notes."""
    return f"`{text}`"
