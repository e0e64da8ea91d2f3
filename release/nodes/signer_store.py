"""The signer's per-recording-epoch protocol key store (SQLite).

Each profile uses it with its own semantics: insert-or-replace after a successful
registration (0.2.268), insert-or-ignore then reload (0.2.273, fixed), read first and store
only after success (0.2.276). The record keeps the KES signature made with the key, which
is exactly what 0.2.273 resends after a restart.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from release.nodes.errors import StoreError
from release.nodes.sqlite import MEMORY, open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS protocol_keys (
    recording_epoch INTEGER PRIMARY KEY,
    protocol_key BLOB NOT NULL,
    kes_signature BLOB,
    kes_evolutions INTEGER,
    created_at_slot INTEGER NOT NULL
);
"""


@dataclass(frozen=True)
class ProtocolKeyRecord:
    protocol_key: bytes
    #: The signature made when the key was built (None for the fixed profile, which re-signs).
    kes_signature: bytes | None
    kes_evolutions: int | None
    created_at_slot: int


class ProtocolKeyStore:
    def __init__(self, path: str | Path = MEMORY) -> None:
        self.path = path
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def load(self, recording_epoch: int) -> ProtocolKeyRecord | None:
        rows = self._run(
            "SELECT protocol_key, kes_signature, kes_evolutions, created_at_slot FROM "
            "protocol_keys "
            "WHERE recording_epoch = ?",
            (recording_epoch,),
        )
        return ProtocolKeyRecord(*rows[0]) if rows else None

    def insert_or_ignore(self, recording_epoch: int, record: ProtocolKeyRecord) -> None:
        self._write("INSERT OR IGNORE", recording_epoch, record)

    def insert_or_replace(self, recording_epoch: int, record: ProtocolKeyRecord) -> None:
        self._write("INSERT OR REPLACE", recording_epoch, record)

    def copy_in_memory(self) -> ProtocolKeyStore:
        """A throw-away copy, for dry runs that must behave exactly but change nothing."""
        copy = ProtocolKeyStore()
        with self._lock:
            self._db.backup(copy._db)
        return copy

    @property
    def changes(self) -> int:
        """Rows inserted, replaced or deleted since the store was opened (SQLite's
        ``total_changes``; an ignored insert changes nothing): an unchanged count means the
        store holds what it held, without reading it back."""
        with self._lock:
            return self._db.total_changes

    def clear(self) -> None:
        """Forget every stored key (the regression suite reuses one store across cases)."""
        self._run("DELETE FROM protocol_keys", ())

    def close(self) -> None:
        self._db.close()

    def _write(self, verb: str, recording_epoch: int, record: ProtocolKeyRecord) -> None:
        self._run(
            f"{verb} INTO protocol_keys VALUES (?, ?, ?, ?, ?)",
            (
                recording_epoch,
                record.protocol_key,
                record.kes_signature,
                record.kes_evolutions,
                record.created_at_slot,
            ),
        )

    def _run(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        try:
            with self._lock:
                return self._db.execute(sql, parameters).fetchall()
        except sqlite3.Error as failure:
            raise StoreError(f"signer store {self.path}: {failure}") from None
