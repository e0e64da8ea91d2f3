"""An operator's KES key and operational certificate, as a signer holds them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

from release.kes import (
    KesError,
    OpCert,
    evolve,
    kes_signing_key_from_envelope,
    load_envelope_file,
    opcert_from_envelope,
    period_of,
    sign,
    verification_key,
)
from release.nodes.errors import CredentialsError


@dataclass
class KesCredentials:
    """A KES signing key (as read from its file) and the certificate endorsing it.

    Keys evolved to a period are cached: the file holds the period-0 key and the signer
    evolves it in memory on every attempt, which would otherwise regenerate subtrees again
    and again in long scenario runs.
    """

    secret_key: bytes
    opcert: OpCert
    _evolved: dict[int, bytes] = field(default_factory=dict, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    #: Signatures made (one KES operation each).
    signatures: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        try:
            vk = verification_key(self.secret_key)
        except KesError as failure:
            raise CredentialsError(f"unusable KES signing key: {failure}") from None
        if vk != self.opcert.kes_vk:
            raise CredentialsError(
                "the KES signing key does not match the operational certificate "
                f"(certificate KES key {self.opcert.kes_vk.hex()[:16]}..., signing key's "
                f"{vk.hex()[:16]}...): "
                "use the key the certificate was issued for"
            )

    @classmethod
    def from_files(cls, kes_key_path: str | Path, opcert_path: str | Path) -> KesCredentials:
        """Read cardano-cli files: ``kes.skey`` (608 or 612 bytes) and ``node.cert``."""
        secret_key = load_envelope_file(
            kes_key_path, "KES signing key", kes_signing_key_from_envelope
        )
        opcert = load_envelope_file(opcert_path, "operational certificate", opcert_from_envelope)
        return cls(secret_key, opcert)

    @property
    def pool_id(self) -> str:
        return self.opcert.pool_id

    @property
    def start_kes_period(self) -> int:
        return self.opcert.start_kes_period

    def sign(self, message: bytes, evolutions: int) -> bytes:
        """KES-sign ``message`` at ``evolutions`` (periods since the certificate's start)."""
        key = self._key_at(evolutions)
        self.signatures += 1
        return sign(key, message)

    def _key_at(self, evolutions: int) -> bytes:
        with self._lock:
            key = self._evolved.get(evolutions)
            if key is None:
                if period_of(self.secret_key) > evolutions:
                    raise CredentialsError(
                        f"the KES key file is already at period {period_of(self.secret_key)}, "
                        "past the "
                        f"requested evolutions {evolutions}"
                    )
                base = max((p for p in self._evolved if p < evolutions), default=None)
                key = evolve(self.secret_key if base is None else self._evolved[base], evolutions)
                self._evolved[evolutions] = key
            return key
