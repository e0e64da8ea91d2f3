"""The aggregator's registrations (SQLite): insert-or-replace per (epoch, pool).

A registration is committed before the server answers 201, in WAL mode with
``synchronous=NORMAL`` (see :mod:`release.nodes.sqlite`), so every 201 survives ``kill -9``.
"""

from __future__ import annotations

import functools
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

from release.kes import OpCert
from release.nodes.errors import StoreBusyError, StoreError
from release.nodes.sqlite import MEMORY, open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS signer_registrations (
    epoch INTEGER NOT NULL,
    party_id TEXT NOT NULL,
    stake INTEGER NOT NULL,
    protocol_key BLOB NOT NULL,
    kes_signature BLOB NOT NULL,
    kes_evolutions INTEGER NOT NULL,
    opcert BLOB NOT NULL,
    registered_at_slot INTEGER NOT NULL,
    PRIMARY KEY (epoch, party_id)
);
"""
_COLUMNS = (
    "epoch, party_id, stake, protocol_key, kes_signature, kes_evolutions, "
    "opcert, registered_at_slot"
)
#: How long a writer waits for the store before the server answers 503.
LOCK_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class StoredRegistration:
    epoch: int
    party_id: str
    stake: int
    protocol_key: bytes
    kes_signature: bytes
    #: The evolutions the signature verified at.
    kes_evolutions: int
    opcert: OpCert
    registered_at_slot: int


class RegistrationStore:
    def __init__(self, path: str | Path = MEMORY) -> None:
        self.path = path
        self._db = open_database(path, _SCHEMA)
        self._lock = threading.Lock()

    def save(self, registration: StoredRegistration) -> None:
        """Insert, or replace the pool's earlier registration for the same epoch."""
        row = (
            registration.epoch,
            registration.party_id,
            registration.stake,
            registration.protocol_key,
            registration.kes_signature,
            registration.kes_evolutions,
            registration.opcert.to_cbor(),
            registration.registered_at_slot,
        )
        self._run(
            f"INSERT OR REPLACE INTO signer_registrations ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?)",
            row,
        )

    def get(self, epoch: int, party_id: str) -> StoredRegistration | None:
        rows = self._run(
            f"SELECT {_COLUMNS} FROM signer_registrations WHERE epoch = ? AND party_id = ?",
            (epoch, party_id),
        )
        return _registration(rows[0]) if rows else None

    def for_epoch(self, epoch: int) -> list[StoredRegistration]:
        rows = self._run(
            f"SELECT {_COLUMNS} FROM signer_registrations WHERE epoch = ? ORDER BY party_id",
            (epoch,),
        )
        return [_registration(row) for row in rows]

    def count(self) -> int:
        (count,) = self._run("SELECT COUNT(*) FROM signer_registrations", ())[0]
        return int(count)  # type: ignore[call-overload]

    def clear(self) -> None:
        self._run("DELETE FROM signer_registrations", ())

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(self, sql: str, parameters: tuple[object, ...]) -> list[tuple[object, ...]]:
        if not self._lock.acquire(timeout=LOCK_TIMEOUT_S):
            raise StoreBusyError(
                f"the registration store {self.path} stayed busy for {LOCK_TIMEOUT_S} s"
            )
        try:
            return self._db.execute(sql, parameters).fetchall()
        except sqlite3.OperationalError as failure:
            if "locked" in str(failure) or "busy" in str(failure):
                raise StoreBusyError(
                    f"the registration store {self.path} is busy: {failure}"
                ) from None
            raise StoreError(f"registration store {self.path}: {failure}") from None
        except sqlite3.Error as failure:
            raise StoreError(f"registration store {self.path}: {failure}") from None
        finally:
            self._lock.release()


#: Certificates decoded from stored rows, by their bytes: a pool's rows repeat one certificate.
_DECODED_OPCERTS = 256


@functools.lru_cache(maxsize=_DECODED_OPCERTS)
def _opcert(cbor: bytes) -> OpCert:
    return OpCert.from_cbor(cbor)


def _registration(row: tuple[object, ...]) -> StoredRegistration:
    *fields, opcert, slot = row
    return StoredRegistration(*fields, _opcert(opcert), slot)  # type: ignore[arg-type]
