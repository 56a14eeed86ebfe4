"""The single-writer thread every store writes through.

SQLite and DuckDB both allow one writer at a time. Funnelling writes through one thread fed by a
queue removes lock contention, lets the writer batch queued work into one commit (group commit),
and gives callers a Future they can await from asyncio (``asyncio.wrap_future``) or block on.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
C = TypeVar("C")  # the writer's connection or session type


class WriterClosed(RuntimeError):
    """Work was submitted after the writer stopped."""


@dataclass
class WriteTask(Generic[C]):
    fn: Callable[[C], Any]
    future: Future[Any] = field(default_factory=Future)


class WriterThread(Generic[C]):
    """Runs submitted functions one batch at a time on a dedicated thread.

    ``run_batch(conn, tasks)`` is supplied by the store: it opens one transaction, runs every
    task's function in it, commits, and resolves each future (a failing task is rolled back on its
    own savepoint or re-run alone, as the store decides). ``max_batch`` bounds group commit.
    """

    def __init__(
        self,
        name: str,
        connect: Callable[[], C],
        run_batch: Callable[[C, list[WriteTask[C]]], None],
        close: Callable[[C], None],
        *,
        max_backlog: int = 10_000,
        max_batch: int = 256,
    ) -> None:
        self._name = name
        self._connect = connect
        self._run_batch = run_batch
        self._close = close
        self._queue: queue.Queue[WriteTask[C] | None] = queue.Queue(maxsize=max_backlog)
        self._max_batch = max_batch
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._closed = False
        self._lock = threading.Lock()

    def start(self) -> None:
        with self._lock:
            if self._thread is not None:
                return
            self._thread = threading.Thread(target=self._main, name=self._name, daemon=True)
            self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            self._closed = True  # a writer that never connected must refuse work, not queue it forever
            raise self._start_error

    def submit(self, fn: Callable[[C], T]) -> Future[T]:
        task: WriteTask[C] = WriteTask(fn)
        # Checking and enqueueing under the lock means stop() cannot slip its sentinel in between,
        # which would leave this task behind the sentinel with a future nobody ever resolves.
        with self._lock:
            if self._closed or self._thread is None:
                raise WriterClosed(f"{self._name} is not running")
            try:
                self._queue.put_nowait(task)
            except queue.Full:
                LOGGER.warning("%s backlog is full (%d tasks); the caller waits", self._name, self._queue.maxsize)
                self._queue.put(task)
        return task.future

    def call(self, fn: Callable[[C], T]) -> T:
        """Submit and wait; for code that is already off the event loop."""
        return self.submit(fn).result()

    def stop(self) -> None:
        with self._lock:
            if self._closed or self._thread is None:
                self._closed = True
                return
            self._closed = True
        self._queue.put(None)
        self._thread.join()

    def _main(self) -> None:
        try:
            conn = self._connect()
        except BaseException as err:  # reported to start()'s caller  # noqa: BLE001
            self._start_error = err
            self._ready.set()
            return
        self._ready.set()
        try:
            self._loop(conn)
        finally:
            self._fail_leftovers()
            self._close(conn)

    def _fail_leftovers(self) -> None:
        """Tasks still queued when the loop ends (it died, or stop() raced) must not hang their callers."""
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None and not item.future.done():
                item.future.set_exception(WriterClosed(f"{self._name} stopped before running this task"))

    def _loop(self, conn: C) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stop = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                batch.append(item)
            self._run_guarded(conn, batch)
            if stop:
                return

    def _run_guarded(self, conn: C, batch: list[WriteTask[C]]) -> None:
        """A store bug must fail the batch's callers, never kill the only writer."""
        try:
            self._run_batch(conn, batch)
        except BaseException as err:
            LOGGER.exception("%s failed a batch of %d tasks", self._name, len(batch))
            for task in batch:
                if not task.future.done():
                    task.future.set_exception(err)
