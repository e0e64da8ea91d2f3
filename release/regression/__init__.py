"""The epoch-window regression suite: every signer profile x every aggregator profile x
every scenario family x every network, at every slot of N consecutive epochs.

``run_suite`` runs (part of) the matrix, ``merge_reports`` joins shard reports, and
``gate`` judges built signer/aggregator executables for the release pipeline.
``who_was_affected`` (over the cells of a run or of ``load_cells(report_dir)``) is the one
source of "who was affected", "also improved" and "none failed" for every document. rich is only
imported lazily (progress bar): the gate runs this package from inside the executables.
The names below are imported on first use (PEP 562), so the tasks read the default
parameters (``release.regression.parameters``) without loading the suite.
"""

from __future__ import annotations

import sys
import types

from release._lazy import lazy_names

#: The module of this package defining each public name.
_HOMES = {
    "errors": ("ExpectationsError", "GateError", "RegressionError", "ReportError", "ShardError"),
    "families": ("FAMILIES", "FAMILY_NAMES"),
    "gate": ("GateCheck", "GateResult", "gate"),
    "impact": (
        "AffectedItem",
        "Impact",
        "ImprovedItem",
        "WhoWasAffected",
        "headline",
        "who_was_affected",
    ),
    "parameters": ("DEFAULT_EPOCHS", "DEFAULT_LAGS", "DEFAULT_NETWORKS", "RUN_INTERVAL_SECONDS"),
    "report_files": ("load_cells",),
    "results": ("CellResult", "ExpectationCheck", "RunStats", "Shard", "SuiteResult"),
    "suite": ("INCIDENT_TIME", "default_first_epoch", "merge_reports", "run_suite"),
}
_MODULE_OF, __getattr__ = lazy_names(__name__, _HOMES)


class _Package(types.ModuleType):
    """This package, whose submodule ``gate`` exports the function ``gate``: Python binds a
    submodule to its package's attribute when it first loads it, which would hide the
    function from ``from release.regression import gate``; the function is kept instead."""

    def __setattr__(self, name: str, value: object) -> None:
        if isinstance(value, types.ModuleType) and _MODULE_OF.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package

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
