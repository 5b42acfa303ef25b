"""`map` over worker processes, for the run's pure computations that take seconds each.

The impact estimates evaluate each programme on its own and the event-study charts are drawn one per
programme: on a county that is 9 seconds after dbt, on one core while the other waits. Forked workers
share what the Dagster process has already imported and read (copy-on-write), so a task starts at once;
results come back pickled and in the order of the items, so the figures are the same as with `map`.

Only pure functions of their arguments go through here: a forked worker must not write the warehouse, log
to Dagster or print progress (the caller does that as results come back).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")
Mapper = Callable[[Callable[[Item], Result], Iterable[Item]], Iterator[Result]]

MAX_WORKERS = 2
"""Workers at most: the run's heavy steps are sequential, and a machine for one LA has few cores."""


def _one_thread_per_worker() -> None:
    """Each worker computes on one core: BLAS threads of their own on top of the workers' fight over the
    same cores (the impact estimates took 7.1 s in two workers that way, 5.2 s with one thread each)."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(limits=1)


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def forked_map(workers: int | None = None) -> Mapper:
    """A `map` over up to `workers` forked processes (default: the cores there are, at most `MAX_WORKERS`).

    Plain `map` with one worker or one item.
    """
    count = min(workers or available_cores(), MAX_WORKERS)

    def mapper(function: Callable[[Item], Result], items: Iterable[Item]) -> Iterator[Result]:
        items = list(items)
        if count <= 1 or len(items) <= 1:
            yield from map(function, items)
            return
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(
            max_workers=min(count, len(items)), mp_context=context, initializer=_one_thread_per_worker
        ) as pool:
            yield from pool.map(function, items)

    return mapper
