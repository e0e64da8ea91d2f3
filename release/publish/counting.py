"""A publisher wrapper that counts write calls.

"Running it again writes nothing" is a promise of every converging step; this wrapper is
how the benchmark and the tests check it on any store, HTTP or not.
"""

from __future__ import annotations

from typing import Any

from release.publish._protocol import Publisher

#: The protocol's methods that change the store.
WRITE_METHODS = frozenset({"create_draft", "upload", "delete_asset", "delete_draft", "update"})


class CountingPublisher:
    """Delegates to ``inner``; ``writes`` lists, in order, the write methods called."""

    def __init__(self, inner: Publisher) -> None:
        self.inner = inner
        self.writes: list[str] = []

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.inner, name)
        if name not in WRITE_METHODS:
            return attribute

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.writes.append(name)
            return attribute(*args, **kwargs)

        return counted
