"""The epoch-window regression suite (``inv regression``, ``inv regression.merge``)."""

from __future__ import annotations

import glob
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from invoke import Context
from invoke.exceptions import Exit

from release.errors import ReleaseToolError
from release.regression.parameters import (
    DEFAULT_EPOCHS,
    DEFAULT_LAGS,
    DEFAULT_NETWORKS,
    RUN_INTERVAL_SECONDS,
)
from release.tasks._cli import emit_json, non_negative, reports_errors, task

if TYPE_CHECKING:
    from release.regression import SuiteResult

DEFAULT_REPORT = "regression-report"


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _finish(result: SuiteResult, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "passed": result.passed,
                "report_dir": str(result.report_dir),
                "summary": result.summary,
                "stats": result.stats.as_json(),
                "candidate": result.digest["candidate"],
                "headline": result.digest["headline"],
                "affected": result.digest["affected"],
                "expectations": result.digest["expectations"],
            }
        )
    else:
        sys.stdout.write(result.summary + "\n")
        sys.stdout.write(
            f"{'PASSED' if result.passed else 'FAILED'}: {result.stats.slot_cases:,} slot cases in "
            f"{result.stats.elapsed_s:.1f} s; report in {result.report_dir}\n"
        )
    if not result.passed:
        raise Exit(code=1)


@task(
    default=True,
    help={
        "networks": f"comma-separated networks (default {','.join(DEFAULT_NETWORKS)})",
        "networks_file": "TOML or JSON file defining custom networks to test",
        "epochs": f"consecutive epochs per network (default {DEFAULT_EPOCHS}: every KES phase)",
        "first_epoch": "first epoch of the run on every network (default: the incident's epoch)",
        "over_http": "run every case through the real HTTP aggregator and signer client",
        "report": "directory for report.json, report.md and timeline.svg "
        f"(default {DEFAULT_REPORT})",
        "shard": "run only slice K/N of the matrix, e.g. 2/4 (join with regression.merge)",
        "expectations": "known-outcomes file (default: the one shipped in release/regression/)",
        "lags": "comma-separated chain lags in seconds, the aggregator's node minus the "
        f"signer's (default {','.join(f'{lag:g}' for lag in DEFAULT_LAGS)})",
        "run_interval": f"the signer's retry cycle in seconds (default {RUN_INTERVAL_SECONDS:g})",
        "progress": "force the progress bar on (default: only on a terminal, never in CI)",
        "json": "print a JSON summary",
    },
)
@reports_errors
def regression(
    c: Context,
    networks: str = ",".join(DEFAULT_NETWORKS),
    networks_file: str = "",
    epochs: int = DEFAULT_EPOCHS,
    first_epoch: int | None = None,
    over_http: bool = False,
    report: str = DEFAULT_REPORT,
    shard: str = "",
    expectations: str = "",
    lags: str = ",".join(f"{lag:g}" for lag in DEFAULT_LAGS),
    run_interval: float = RUN_INTERVAL_SECONDS,
    progress: bool = False,
    json: bool = False,
) -> None:
    """Every signer x aggregator x scenario x network at every slot and chain lag; exit 1
    on regression."""
    from release.chain import load_networks  # noqa: PLC0415
    from release.regression import run_suite  # noqa: PLC0415
    from release.regression.progress import wanted as progress_wanted  # noqa: PLC0415

    names = _names(networks)
    try:
        lag_values = [float(lag) for lag in _names(lags)]
    except ValueError:
        raise ReleaseToolError(f"--lags {lags!r}: expected seconds, e.g. -60,0,60") from None
    first = non_negative(first_epoch, "first-epoch", "an epoch number")
    if not names:
        raise ReleaseToolError("--networks is empty")
    custom = load_networks(networks_file) if networks_file else None
    result = run_suite(
        names,
        epochs,
        over_http=over_http,
        shard=shard or None,
        report_dir=Path(report),
        progress=progress or progress_wanted(),
        first_epochs=None if first is None else dict.fromkeys(names, first),
        custom_networks=custom,
        expectations=expectations or None,
        lags=lag_values,
        run_interval=run_interval,
    )
    _finish(result, json)


@task(
    help={
        "reports": "shard report directories, comma-separated and/or glob patterns "
        "(e.g. 'shards/*')",
        "out": f"directory for the merged report (default {DEFAULT_REPORT})",
        "json": "print a JSON summary",
    }
)
@reports_errors
def merge(c: Context, reports: str, out: str = DEFAULT_REPORT, json: bool = False) -> None:
    """Join shard reports of one run into one report; exit 1 on regression."""
    from release.regression import merge_reports  # noqa: PLC0415

    directories: list[str] = []
    for pattern in _names(reports):
        matches = sorted(glob.glob(pattern)) if glob.has_magic(pattern) else [pattern]
        if not matches:
            raise ReleaseToolError(f"no report directory matches {pattern!r}")
        directories.extend(matches)
    _finish(merge_reports(directories, Path(out)), json)
