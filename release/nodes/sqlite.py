"""SQLite settings shared by the signer's and the aggregator's stores.

WAL with ``synchronous=NORMAL``: a commit appends to the WAL file through the OS page cache
and returns without fsync. That survives the death of the process (``kill -9``, a crash,
an OOM kill), because the kernel still holds and later writes the pages; only an OS crash or
power loss can drop the last commits. ``synchronous=FULL`` would fsync every commit (one
disk flush per registration) to also cover power loss, which this store does not promise.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from release.nodes.errors import StoreError

MEMORY = ":memory:"
BUSY_TIMEOUT_MS = 5000


def open_database(path: str | Path, schema: str) -> sqlite3.Connection:
    """A connection in autocommit mode (each statement is its own durable transaction)."""
    try:
        connection = sqlite3.connect(
            str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
        )
        if str(path) != MEMORY:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
        connection.executescript(schema)
    except sqlite3.Error as failure:
        raise StoreError(f"cannot open the SQLite store {path}: {failure}") from None
    return connection
