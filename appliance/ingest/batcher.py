"""Items submitted one by one on the event loop, handled together off it (group commit).

Each small upload costs a fixed overhead per step that dwarfs its few readings: a thread hop, a
wake-up of the loop, numpy's per-call cost, a DuckDB statement. A ``Batcher`` collects what the
loop's handlers submit during one turn of the loop and hands it to ``run`` as one list; while
that call is under way, new items gather for the next one, so the batch grows by itself as load
rises and stays a batch of one when the appliance is idle (one batch at a time measured faster
than two: the groups are bigger). All of a batch's
futures are resolved in one callback on the loop (one wake-up, not one per item).

A failing batch is retried item by item, so a bad item gets its own error and the others
commit: "bad input is refused whole" must never spill onto the uploads that shared its batch.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

LOGGER = logging.getLogger(__name__)

I = TypeVar("I")  # noqa: E741 - the item type
R = TypeVar("R")
Work = Future[list[R]] | asyncio.Future[list[R]]
"""What ``run`` returns: a thread's (concurrent) future, or the loop's, as ``run_in_executor`` gives."""


class Batcher(Generic[I, R]):
    """``run(items)`` starts the work for a batch and returns a future of one result per item, in
    order (it is called on the loop; the work itself runs on whatever thread it hands it to)."""

    def __init__(self, name: str, run: Callable[[list[I]], Work[R]], *, max_items: int = 256) -> None:
        self._name = name
        self._run = run
        self._max_items = max_items
        self._pending: list[tuple[I, asyncio.Future[R]]] = []
        self._running = 0
        """Calls of ``run`` under way: one batch, or the single-item retries of a failed one."""
        self._scheduled = False

    def submit(self, item: I) -> asyncio.Future[R]:
        """Returns a future rather than a coroutine so that a caller can shield it: the item's
        work goes on even when the caller is cancelled, and the caller may wait for it to end."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[R] = loop.create_future()
        self._pending.append((item, future))
        self._kick(loop)
        return future

    def _kick(self, loop: asyncio.AbstractEventLoop) -> None:
        if not self._scheduled and self._pending and not self._running:
            self._scheduled = True
            loop.call_soon(self._flush, loop)  # after every handler that is ready this turn

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        self._scheduled = False
        if self._running or not self._pending:
            return
        batch, self._pending = self._pending[:self._max_items], self._pending[self._max_items:]
        self._start(loop, batch, isolate=len(batch) > 1)
        self._kick(loop)

    def _start(self, loop: asyncio.AbstractEventLoop, batch: list[tuple[I, asyncio.Future[R]]], *,
               isolate: bool) -> None:
        self._running += 1
        try:
            work = asyncio.wrap_future(self._run([item for item, _ in batch]), loop=loop)
        except BaseException as err:  # noqa: BLE001 - handed to the batch's callers
            self._running -= 1
            self._settle(loop, batch, err, isolate)
            return
        work.add_done_callback(lambda done: self._finished(loop, batch, done, isolate))

    def _finished(self, loop: asyncio.AbstractEventLoop, batch: list[tuple[I, asyncio.Future[R]]],
                  done: asyncio.Future[list[R]], isolate: bool) -> None:
        self._running -= 1
        error = done.exception() if not done.cancelled() else asyncio.CancelledError()
        if error is None:
            for (_, future), result in zip(batch, done.result(), strict=True):
                if not future.done():
                    future.set_result(result)
        else:
            self._settle(loop, batch, error, isolate)
        self._kick(loop)

    def _settle(self, loop: asyncio.AbstractEventLoop, batch: list[tuple[I, asyncio.Future[R]]],
                error: BaseException, isolate: bool) -> None:
        if not isolate:
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        LOGGER.warning("%s: a batch of %d failed (%s); retrying its items one by one", self._name, len(batch), error)
        for entry in batch:
            self._start(loop, [entry], isolate=False)
