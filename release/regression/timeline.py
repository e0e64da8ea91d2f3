"""``timeline.svg``: per network, where in the epoch each combination loses signing.

Read at a glance: a header with the verdict, the legend on top, then per network the
regression's rows first on a highlighted band (the incident's pair where the previous
signer does not lose signing), the other combinations that lose signing, and last the
candidate pair's row. One lane per epoch of the run (epochs differ by KES phase), hours on
the x axis; red is signing lost (from the restart to the epoch's end), orange a delay
(registered at a later cycle), drawn in its own strip under the lane; dashed lines mark
KES-period starts, drawn over the red.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

from release.chain import Network
from release.regression.results import CellKey, CellResult, merge_windows
from release.regression.summary import failure_hours

WIDTH, LABEL, PLOT = 1100, 380, 640
LANE, DELAY_STRIP, LANE_GAP, ROW_GAP = 12, 4, 3, 10
TEXT, SMALL, TITLE = 13, 11, 16
LOST, DELAY, CLEAN, HIGHLIGHT = "#d62728", "#ff9f1c", "#dff0df", "#fff3c4"


@dataclass(frozen=True)
class Row:
    """One row of the chart: a label and the slot windows to draw."""

    label: str
    lost: list[list[int]]
    delayed: list[list[int]]
    regression: bool = False


def timeline_svg(
    cells: Sequence[CellResult],
    networks: Mapping[str, Network],
    *,
    verdict: str,
    candidate: tuple[str, str],
    regression: Sequence[CellKey] = (),
) -> str:
    """The chart; ``regression`` lists the cells of the regression (who was affected),
    drawn first and highlighted."""
    parts: list[str] = []
    y = 22
    headline, _, rest = verdict.partition("; ")
    parts.append(_text(10, y, headline, size=TITLE, bold=True, element_id="verdict"))
    if rest:
        y += 20
        parts.append(_text(10, y, rest, size=TEXT, bold=True, element_id="verdict-detail"))
    y += 24
    y = _legend(parts, y)
    for name in dict.fromkeys(cell.network for cell in cells):
        network = networks[name]
        rows = _rows([c for c in cells if c.network == name], candidate, set(regression))
        epochs = next(c.epochs for c in cells if c.network == name)
        y += 14
        parts.append(
            _text(10, y + 4, f"{name}: signing lost by restart moment (hours into the epoch)",
                  size=TEXT + 1, bold=True)
        )  # fmt: skip
        y += 12
        parts.extend(_axis(network, y))
        y += 24
        row_height = len(epochs) * (LANE + DELAY_STRIP + LANE_GAP) + ROW_GAP
        for row in rows:
            if row.regression:
                parts.append(
                    f'<rect x="4" y="{y - 4}" width="{WIDTH - 8}" height="{row_height}" '
                    f'fill="{HIGHLIGHT}" class="regression-row"/>'
                )
            parts.append(
                _text(10, y + row_height / 2, row.label, size=TEXT, bold=row.regression,
                      css="row-label")
            )  # fmt: skip
            lost = _by_epoch(network, row.lost)
            delayed = _by_epoch(network, row.delayed)
            for lane, epoch in enumerate(epochs):
                top = y + lane * (LANE + DELAY_STRIP + LANE_GAP)
                parts.append(
                    f'<rect x="{LABEL}" y="{top}" width="{PLOT}" height="{LANE}" fill="{CLEAN}"/>'
                )
                for start, end in lost.get(epoch, []):
                    parts.append(_bar(network, start, end, top, LANE, LOST, f"epoch {epoch}: "
                                      f"signing lost {start:g}-{end:g} h"))  # fmt: skip
                for start, end in delayed.get(epoch, []):
                    parts.append(_bar(network, start, end, top + LANE, DELAY_STRIP, DELAY,
                                      f"epoch {epoch}: delayed {start:g}-{end:g} h"))  # fmt: skip
                parts.extend(_boundaries(network, epoch, top))
                parts.append(_text(LABEL + PLOT + 6, top + LANE - 1, f"epoch {epoch}", size=SMALL))
            y += row_height
    height = y + 16
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">\n'
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>\n{body}\n</svg>\n'
    )


def _rows(
    cells: Sequence[CellResult], candidate: tuple[str, str], regression: set[CellKey]
) -> list[Row]:
    losing = sorted(
        (c for c in cells if c.failures and (c.signer, c.aggregator) != candidate),
        key=lambda c: (c.key not in regression, c.signer, c.aggregator, c.scenario),
    )
    rows = [
        Row(
            f"{'regression: ' if c.key in regression else ''}"
            f"{c.signer} x {c.aggregator} {c.scenario}",
            c.failure_windows,
            _drawn_delays(c),
            regression=c.key in regression,
        )
        for c in losing
    ]
    mine = [c for c in cells if (c.signer, c.aggregator) == candidate]
    if mine:
        rows.append(
            Row(
                f"candidate {candidate[0]} x {candidate[1]} (every scenario)",
                merge_windows((a, b) for c in mine for a, b in c.failure_windows),
                merge_windows((a, b) for c in mine for a, b in _drawn_delays(c)),
            )
        )
    return rows


def _drawn_delays(cell: CellResult) -> list[list[int]]:
    return [] if cell.scenario == "epoch-boundary" else cell.delay_windows


def _legend(parts: list[str], y: int) -> int:
    entries = [
        (CLEAN, "registered at the first attempt"),
        (LOST, "signing lost (from the restart to the epoch's end)"),
        (DELAY, "delay: registered at a later cycle (strip under the lane)"),
        (HIGHLIGHT, "regression: lost with the broken signer, not with the previous one"),
    ]
    for index, (colour, words) in enumerate(entries):
        x = 10 + (index % 2) * 520
        row = y + (index // 2) * 18
        parts.append(f'<rect x="{x}" y="{row - 10}" width="14" height="12" fill="{colour}" '
                     'stroke="#999"/>')  # fmt: skip
        parts.append(_text(x + 20, row, words, size=SMALL, css="legend"))
    note = (
        "dashed: KES-period starts; one lane per epoch; the epoch-boundary scenario's delays "
        "(a round opened late, by design) are not drawn"
    )
    parts.append(_text(10, y + 36, note, size=SMALL, css="legend"))
    return y + 44


def _by_epoch(network: Network, windows: Sequence[Sequence[int]]) -> dict[int, list[list[float]]]:
    return {entry["epoch"]: entry["hours"] for entry in failure_hours(network, windows)}


def _bar(network: Network, start: float, end: float, top: float, height: int, colour: str,
         title: str) -> str:  # fmt: skip
    x0, x1 = _x(network, start), _x(network, end)
    return (
        f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 2):.1f}" height="{height}" '
        f'fill="{colour}"><title>{escape(title)}</title></rect>'
    )


def _x(network: Network, hours: float) -> float:
    return LABEL + PLOT * hours / network.epoch_hours


def _axis(network: Network, y: int) -> list[str]:
    step = 12 if network.epoch_hours > 48 else 6
    parts = []
    tick = 0.0
    while tick <= network.epoch_hours + 1e-9:
        x = _x(network, tick)
        parts.append(f'<line x1="{x:.1f}" y1="{y + 14}" x2="{x:.1f}" y2="{y + 20}" stroke="#666"/>')
        parts.append(_text(x - 10, y + 12, f"{tick:g} h", size=SMALL))
        tick += step
    return parts


def _boundaries(network: Network, epoch: int, top: int) -> list[str]:
    first = network.epoch_first_slot(epoch)
    lines = []
    for period in network.kes_periods_in_epoch(epoch):
        slot = network.kes_period_first_slot(period)
        if slot > first:
            x = _x(network, (slot - first) * network.slot_length / 3600)
            lines.append(
                f'<line x1="{x:.1f}" y1="{top - 1}" x2="{x:.1f}" y2="{top + LANE + 1}" '
                'stroke="#111" stroke-width="1.5" stroke-dasharray="3,2" class="kes-boundary"/>'
            )
    return lines


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: int,
    bold: bool = False,
    css: str | None = None,
    element_id: str | None = None,
) -> str:
    weight = ' font-weight="bold"' if bold else ""
    extra = (f' class="{css}"' if css else "") + (f' id="{element_id}"' if element_id else "")
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{weight}{extra}>{escape(content)}</text>'
    )
