"""Bounded concurrent fan-out: run one probe over many targets at once (PRODUCT §8).

Probes are network-bound, so threads are the right tool: `fan_out` runs `probe(target)` for
every target on a pool of at most `max_workers` threads and returns one `Outcome` per target,
in the order given. An exception never escapes and never disappears: it is kept in the outcome,
so a caller can report every failed target, not just the first.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

DEFAULT_MAX_WORKERS = 32


@dataclasses.dataclass
class Outcome(Generic[T, R]):
    """What probing one target gave: a value, or the exception that stopped it."""

    target: T
    value: R | None = None
    error: BaseException | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return self.error is None

    def result(self) -> R:
        """The value, or the probe's exception raised again."""
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


def fan_out(probe: Callable[[T], R], targets: Iterable[T], max_workers: int = DEFAULT_MAX_WORKERS) -> list[Outcome[T, R]]:
    """`probe(target)` for every target, at most `max_workers` at a time; outcomes in input order.

    Each probe must bound its own time (every network call has a timeout); the fan-out adds no
    timeout of its own, so none of its outcomes is ever silently dropped.
    """
    items = list(targets)
    if max_workers < 1:
        raise ValueError(f"max_workers must be at least 1, got {max_workers}")
    if not items:
        return []

    def run(target: T) -> Outcome[T, R]:
        start = time.perf_counter()
        try:
            return Outcome(target, probe(target), None, time.perf_counter() - start)
        except Exception as error:  # kept in the outcome, reported by the caller
            return Outcome(target, None, error, time.perf_counter() - start)

    workers = min(max_workers, len(items))
    if workers == 1:
        return [run(item) for item in items]
    with concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="launch-probe") as pool:
        return list(pool.map(run, items))


def failures(outcomes: Iterable[Outcome[T, R]]) -> list[Outcome[T, R]]:
    """The outcomes that ended in an error."""
    return [o for o in outcomes if not o.ok]
