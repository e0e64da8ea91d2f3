"""Networks and the time model: time <-> absolute slot <-> epoch <-> KES period.

Standard library only: the packaged signer and aggregator executables carry this module.
"""

from release.chain.clock import Clock, ManualClock, WallClock, clock_for, parse_time
from release.chain.config import PARAMETERS, get_network, get_networks, load_networks
from release.chain.errors import (
    ChainError,
    NetworkConfigError,
    TimeFormatError,
    TimeRangeError,
    UnknownNetworkError,
)
from release.chain.kes_status import DEFAULT_WARNING, KesStatus, KesVerdict, kes_status
from release.chain.network import NETWORKS, ChainPoint, Network

__all__ = [
    "DEFAULT_WARNING",
    "NETWORKS",
    "PARAMETERS",
    "ChainError",
    "ChainPoint",
    "Clock",
    "KesStatus",
    "KesVerdict",
    "ManualClock",
    "Network",
    "NetworkConfigError",
    "TimeFormatError",
    "TimeRangeError",
    "UnknownNetworkError",
    "WallClock",
    "clock_for",
    "get_network",
    "get_networks",
    "kes_status",
    "load_networks",
    "parse_time",
]
