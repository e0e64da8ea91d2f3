"""A per-tag record of finished steps: what was done, when, how long it took.

The journal is a memo, not the truth: every step re-reads git, the file system and the
release store before acting. It serves ``inv status``, the step timings, and the stamps that
let an expensive step (build, gate) recognise its own finished work.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from release._fs import atomic_write
from release.errors import ReleaseToolError


class JournalError(ReleaseToolError):
    """The journal file exists but cannot be read back."""


@dataclass
class Journal:
    path: Path
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: What an expensive step produced from which inputs (build: commit and file digests).
    stamps: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: Publish sub-steps as the converging publish reports them (asset by asset).
    publish_log: list[dict[str, Any]] = field(default_factory=list)
    #: When False (dry runs) nothing is ever written.
    writable: bool = True

    @classmethod
    def open(cls, path: Path, *, writable: bool) -> Journal:
        if not path.exists():
            return cls(path, writable=writable)
        try:
            document = json.loads(path.read_text())
            return cls(
                path,
                dict(document["steps"]),
                dict(document.get("stamps", {})),
                list(document.get("publish", [])),
                writable,
            )
        except (OSError, ValueError, KeyError, TypeError) as failure:
            raise JournalError(
                f"the journal {path} is unreadable ({failure}); move it aside to start afresh "
                "(the steps re-read the repository and the release store anyway)"
            ) from None

    def get(self, step: str) -> dict[str, Any] | None:
        return self.entries.get(step)

    def record(self, step: str, *, outcome: str, detail: str, seconds: float, **data: Any) -> None:
        self.entries[step] = {
            "outcome": outcome,
            "detail": detail,
            "seconds": round(seconds, 3),
            "at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            **data,
        }
        self._save()

    def stamp(self, step: str, **data: Any) -> None:
        self.stamps[step] = data
        self._save()

    def record_publish(self, step: str, detail: dict[str, object]) -> None:
        """The converging publish's callback: one line per finished sub-step."""
        self.publish_log.append({"step": step, **detail})
        self._save()

    def _save(self) -> None:
        if not self.writable:
            return
        document = {"steps": self.entries, "stamps": self.stamps, "publish": self.publish_log}
        atomic_write(self.path, json.dumps(document, indent=2, sort_keys=True) + "\n")
