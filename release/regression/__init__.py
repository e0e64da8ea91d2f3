"""The epoch-window regression suite: every signer profile x every aggregator profile x
every scenario family x every network, at every slot of N consecutive epochs.

``run_suite`` runs (part of) the matrix, ``merge_reports`` joins shard reports, and
``gate`` judges built signer/aggregator executables for the release pipeline.
``who_was_affected`` (over the cells of a run or of ``load_cells(report_dir)``) is the one
source of "who was affected", "also improved" and "none failed" for every document. rich is only
imported lazily (progress bar): the gate runs this package from inside the executables.
"""

from release.regression.errors import (
    ExpectationsError,
    GateError,
    RegressionError,
    ReportError,
    ShardError,
)
from release.regression.families import FAMILIES, FAMILY_NAMES
from release.regression.gate import GateCheck, GateResult, gate
from release.regression.impact import (
    AffectedItem,
    Impact,
    ImprovedItem,
    WhoWasAffected,
    headline,
    who_was_affected,
)
from release.regression.report_files import load_cells
from release.regression.results import CellResult, ExpectationCheck, RunStats, Shard, SuiteResult
from release.regression.suite import (
    DEFAULT_EPOCHS,
    DEFAULT_NETWORKS,
    INCIDENT_TIME,
    default_first_epoch,
    merge_reports,
    run_suite,
)
from release.regression.world import DEFAULT_LAGS, RUN_INTERVAL_SECONDS

__all__ = [
    "DEFAULT_EPOCHS",
    "DEFAULT_LAGS",
    "DEFAULT_NETWORKS",
    "FAMILIES",
    "FAMILY_NAMES",
    "INCIDENT_TIME",
    "RUN_INTERVAL_SECONDS",
    "AffectedItem",
    "CellResult",
    "ExpectationCheck",
    "ExpectationsError",
    "GateCheck",
    "GateError",
    "GateResult",
    "Impact",
    "ImprovedItem",
    "RegressionError",
    "ReportError",
    "RunStats",
    "Shard",
    "ShardError",
    "SuiteResult",
    "WhoWasAffected",
    "default_first_epoch",
    "gate",
    "headline",
    "load_cells",
    "merge_reports",
    "run_suite",
    "who_was_affected",
]
