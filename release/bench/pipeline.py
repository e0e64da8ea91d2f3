"""End-to-end figure: ``inv hotfix`` + ``inv promote`` on a fresh sandbox, split by step."""

from __future__ import annotations

import datetime
import statistics
import tempfile
import time
from pathlib import Path

from release.bench import Figure
from release.config import load_config
from release.pipeline import HotfixOptions, SilentDisplay, prepare, run_hotfix
from release.pipeline.promote import PromoteOptions, prepare_promote, run_promote
from release.sandbox import ensure_sandbox

AREA = "pipeline"
_DATE = datetime.date(2025, 11, 7)


#: ``inv hotfix`` on the sandbox, seconds on the 2-core reference machine.
HOTFIX_TARGET_S = 6.0


def _one_run() -> tuple[float, float, dict[str, float]]:
    """Wall times of the hotfix, of hotfix + promote, and each step's time, on a sandbox
    made beforehand."""
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as scratch:
        config = load_config(ensure_sandbox(Path(scratch)))
        started = time.perf_counter()
        shipped = run_hotfix(prepare(config, HotfixOptions(date=_DATE)), display=SilentDisplay())
        hotfix = time.perf_counter() - started
        options = PromoteOptions(tag=shipped.target.tag, date=_DATE)
        promoted = run_promote(prepare_promote(config, options), display=SilentDisplay())
        total = time.perf_counter() - started
    steps = {f"hotfix.{r.name}": r.seconds or 0.0 for r in shipped.steps}
    steps |= {f"promote.{r.name}": r.seconds or 0.0 for r in promoted.steps}
    return hotfix, total, steps


def run(quick: bool) -> list[Figure]:
    runs = [_one_run() for _ in range(1 if quick else 5)]
    hotfixes = [hotfix for hotfix, _, _ in runs]
    totals = [total for _, total, _ in runs]
    by_step = {
        name: round(statistics.median(steps[name] for _, _, steps in runs), 3)
        for name in runs[0][2]
    }
    median = statistics.median(totals)
    hotfix = statistics.median(hotfixes)
    gate = by_step["hotfix.gate"]
    return [
        Figure(
            AREA,
            f"hotfix on the sandbox (what inv hotfix runs), median of {len(runs)}",
            round(hotfix, 2),
            "s",
            target=f"<= {HOTFIX_TARGET_S:g}",
            meets_target=hotfix <= HOTFIX_TARGET_S,
            detail={
                "runs_s": [round(t, 2) for t in hotfixes],
                "gate_share": round(gate / hotfix, 3),
            },
        ),
        Figure(
            AREA,
            f"hotfix + promote on the sandbox, median of {len(runs)}",
            round(median, 2),
            "s",
            detail={"runs_s": [round(t, 2) for t in totals], "steps_median_s": by_step},
        ),
        Figure(
            AREA,
            "share of the regression gate in hotfix + promote",
            round(gate / median, 3),
            "ratio",
            detail={"gate_median_s": gate},
        ),
    ]
