"""The suite's default parameters, in a module that imports nothing: the tasks show them in
their help without loading the suite."""

from __future__ import annotations

DEFAULT_NETWORKS = ("mainnet", "preprod", "preview")
DEFAULT_EPOCHS = 3
#: The signer's ``run_interval``: 60 000 ms in the SPO guide (120 000 ms in the docker
#: compose files). A failing registration is retried once per cycle.
RUN_INTERVAL_SECONDS = 60
#: The chain lags swept by default, in seconds: the aggregator's node minus the signer's
#: (negative: the aggregator's node is behind). Both read their own node's tip.
DEFAULT_LAGS = (-120, -60, -10, 0, 10, 60, 120)
