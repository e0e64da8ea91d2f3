"""The epoch-window regression suite: every signer profile x every aggregator profile x
every scenario family x every network, at every slot of N consecutive epochs.

``run_suite`` runs (part of) the matrix, ``merge_reports`` joins shard reports, and
``gate`` judges built signer/aggregator executables for the release pipeline. rich is only
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
from release.regression.results import CellResult, ExpectationCheck, RunStats, Shard, SuiteResult
from release.regression.suite import (
    DEFAULT_EPOCHS,
    DEFAULT_NETWORKS,
    INCIDENT_TIME,
    default_first_epoch,
    merge_reports,
    run_suite,
)

__all__ = [
    "DEFAULT_EPOCHS",
    "DEFAULT_NETWORKS",
    "FAMILIES",
    "FAMILY_NAMES",
    "INCIDENT_TIME",
    "CellResult",
    "ExpectationCheck",
    "ExpectationsError",
    "GateCheck",
    "GateError",
    "GateResult",
    "RegressionError",
    "ReportError",
    "RunStats",
    "Shard",
    "ShardError",
    "SuiteResult",
    "default_first_epoch",
    "gate",
    "merge_reports",
    "run_suite",
]
