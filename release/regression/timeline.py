"""``timeline.svg``: per network, where in the epoch each failing combination fails.

One row per failing (signer, aggregator, scenario), one thin lane per epoch of the run
(epochs differ by KES phase), hours on the x axis, dotted lines at KES-period boundaries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from xml.sax.saxutils import escape

from release.chain import Network
from release.regression.results import CellResult
from release.regression.summary import failure_hours

WIDTH, LABEL, PLOT = 980, 300, 640
LANE, LANE_GAP, ROW_GAP, HEADER = 7, 2, 8, 46


def timeline_svg(cells: Sequence[CellResult], networks: Mapping[str, Network]) -> str:
    parts: list[str] = []
    y = 10
    for name in dict.fromkeys(cell.network for cell in cells):
        network = networks[name]
        network_cells = [cell for cell in cells if cell.network == name]
        epochs = network_cells[0].epochs
        failing = sorted(
            (c for c in network_cells if c.failures),
            key=lambda c: (c.signer, c.aggregator, c.scenario),
        )
        parts.append(
            _text(10, y + 16, f"{name}: failing cases by hour into the epoch", size=14, bold=True)
        )
        y += 24
        parts.extend(_axis(network, y))
        y += HEADER - 24
        row_height = len(epochs) * (LANE + LANE_GAP) + ROW_GAP
        if not failing:
            parts.append(_text(LABEL, y + 12, "no combination fails", size=11))
            y += 24
        for cell in failing:
            parts.append(
                _text(
                    10,
                    y + row_height / 2,
                    f"{cell.signer} x {cell.aggregator} {cell.scenario}",
                    size=11,
                )
            )
            hours = {
                entry["epoch"]: entry["hours"]
                for entry in failure_hours(network, cell.failure_windows)
            }
            for lane, epoch in enumerate(epochs):
                top = y + lane * (LANE + LANE_GAP)
                parts.append(
                    f'<rect x="{LABEL}" y="{top}" width="{PLOT}" height="{LANE}" fill="#e8f3e8"/>'
                )
                for start, end in hours.get(epoch, []):
                    x0, x1 = _x(network, start), _x(network, end)
                    parts.append(
                        f'<rect x="{x0:.1f}" y="{top}" width="{max(x1 - x0, 1):.1f}" '
                        f'height="{LANE}" fill="#d62728">'
                        f"<title>epoch {epoch}: {start:g}-{end:g} h</title></rect>"
                    )
                parts.extend(_boundaries(network, epoch, top))
                parts.append(_text(LABEL + PLOT + 4, top + LANE - 1, f"{epoch}", size=7))
            y += row_height
        y += 18
    legend = (
        "red: outcome differs from the correct one; green: correct; one lane per epoch "
        "(numbered on the right); dotted: KES period starts"
    )
    parts.append(_text(10, y + 4, legend, size=10))
    height = y + 16
    body = "\n".join(parts)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" '
        f'viewBox="0 0 {WIDTH} {height}" font-family="sans-serif">\n'
        f'<rect width="{WIDTH}" height="{height}" fill="white"/>\n{body}\n</svg>\n'
    )


def _x(network: Network, hours: float) -> float:
    return LABEL + PLOT * hours / network.epoch_hours


def _axis(network: Network, y: int) -> list[str]:
    step = 12 if network.epoch_hours > 48 else 6
    parts = []
    tick = 0.0
    while tick <= network.epoch_hours + 1e-9:
        x = _x(network, tick)
        parts.append(f'<line x1="{x:.1f}" y1="{y + 12}" x2="{x:.1f}" y2="{y + 18}" stroke="#666"/>')
        parts.append(_text(x - 8, y + 10, f"{tick:g} h", size=9))
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
                f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + LANE}" stroke="#333" '
                'stroke-dasharray="1,1"/>'
            )
    return lines


def _text(x: float, y: float, content: str, *, size: int, bold: bool = False) -> str:
    weight = ' font-weight="bold"' if bold else ""
    return f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}"{weight}>{escape(content)}</text>'
