"""Retrying remote calls: backoff on transient failures, waits the server asks for.

The loop is backend-neutral; the backend says which failures are transient and how long the
server asked to wait (``Retry-After``, a rate-limit reset). Delays go through
``RetryPolicy.sleep`` so tests can check that a ``Retry-After`` was honoured without
sleeping through it.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from release.publish.errors import RemoteUnavailableError

T = TypeVar("T")

log = logging.getLogger("release.publish")


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to insist on a flaky remote. The defaults suit github.com."""

    #: Tries per operation, the first one included.
    attempts: int = 6
    #: First backoff delay in seconds; doubles on each retry (with jitter) up to ``max_delay``.
    base_delay: float = 1.0
    max_delay: float = 60.0
    #: Wait after a rate-limit answer that names no time (GitHub says "at least a minute").
    rate_limit_wait: float = 60.0
    #: Longest wait the server may ask for before we give up instead of sleeping.
    max_wait: float = 900.0
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError(f"RetryPolicy.attempts must be at least 1, not {self.attempts}")

    def backoff(self, attempt: int) -> float:
        """Delay before try ``attempt + 1``: exponential, jittered so clients spread out."""
        ceiling = min(self.max_delay, self.base_delay * 2 ** (attempt - 1))
        return ceiling * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class Transient:
    """Why a failure is worth retrying, and the delay the server asked for, if any."""

    reason: str
    #: Seconds the server asked to wait; None leaves the delay to the policy.
    wait: float | None = None
    #: A rate limit that names no time waits ``rate_limit_wait``, not the short backoff.
    rate_limited: bool = False

    def delay(self, policy: RetryPolicy, attempt: int) -> float:
        if self.wait is not None:
            return self.wait
        return policy.rate_limit_wait if self.rate_limited else policy.backoff(attempt)


def call_with_retries(
    operation: Callable[[], T],
    *,
    policy: RetryPolicy,
    describe: str,
    classify: Callable[[Exception], Transient | None],
) -> T:
    """Run ``operation``; retry what ``classify`` calls transient, re-raise anything else.

    ``describe`` ends up in messages and logs, so callers must keep secrets out of it.
    """
    attempt = 1
    while True:
        try:
            return operation()
        except Exception as error:
            transient = classify(error)
            if transient is None:
                raise
            if attempt >= policy.attempts:
                raise RemoteUnavailableError(
                    f"could not {describe}: still failing after {attempt} attempts "
                    f"({transient.reason})"
                ) from None
            delay = transient.delay(policy, attempt)
            if delay > policy.max_wait:
                raise RemoteUnavailableError(
                    f"could not {describe}: the server asks to wait {delay:.0f} s "
                    f"({transient.reason}), longer than the {policy.max_wait:.0f} s allowed"
                ) from None
            log.warning("%s: %s; retrying in %.1f s", describe, transient.reason, delay)
            policy.sleep(delay)
            attempt += 1
