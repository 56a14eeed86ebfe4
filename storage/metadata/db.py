"""MetadataStore: the one owner of metadata.sqlite3.

All writes go through one writer thread (storage.worker.WriterThread), which drains its queue in
batches: one BEGIN IMMEDIATE ... COMMIT per batch (group commit: a few hundred commits/s is all
SQLite with synchronous=FULL can do), and inside it one SAVEPOINT and one Session per task, so a
failing task rolls back alone and hands its own future the exception. Futures resolve only after
the COMMIT returned: a resolved write is on disk. Reads run on a small thread pool, one short
read-only transaction (a consistent WAL snapshot) per call, never waiting for the writer.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, sessionmaker

from storage.metadata import migrate
from storage.metadata.engine import READER, SIDE, WRITER, create_sqlite_engine
from storage.metadata.errors import StoreClosed, translate
from storage.worker import WriterClosed, WriterThread, WriteTask

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")

_READ_THREAD_PREFIX = "metadata-read"


@dataclass
class WriteStats:
    """Counters for observability (and for tests to see that group commit really groups)."""

    batches: int = 0
    tasks: int = 0
    failed_tasks: int = 0
    largest_batch: int = 0


@dataclass
class _Running:
    writer_engine: Engine
    reader_engine: Engine
    writer: WriterThread[Connection]
    readers: ThreadPoolExecutor
    read_sessions: sessionmaker[Session]
    writer_thread: list[int] = field(default_factory=list)  # ident, set from inside the thread


class MetadataStore:
    """The metadata database. The constructor does no I/O; ``open()`` and ``close()`` are idempotent."""

    def __init__(
        self,
        path: Path,
        *,
        read_threads: int = 3,
        busy_timeout_ms: int = 10_000,
        max_batch: int = 256,
        max_backlog: int = 10_000,
    ) -> None:
        self._path = Path(path)
        self._read_threads = read_threads
        self._busy_timeout_ms = busy_timeout_ms
        self._max_batch = max_batch
        self._max_backlog = max_backlog
        self._lock = threading.Lock()
        self._running: _Running | None = None
        self._stats = WriteStats()

    @property
    def path(self) -> Path:
        return self._path

    @property
    def is_open(self) -> bool:
        return self._running is not None

    def open(self) -> None:
        """Create the file if needed, upgrade it to the current schema, start writer and readers."""
        with self._lock:
            if self._running is not None:
                return
            self._path.parent.mkdir(parents=True, exist_ok=True)
            migrate.upgrade(self._path, busy_timeout_ms=self._busy_timeout_ms)
            self._running = self._start()
        LOGGER.info("metadata store open at %s", self._path)

    def close(self) -> None:
        """Finish queued writes and running reads, then release the file."""
        with self._lock:
            running, self._running = self._running, None
        if running is None:
            return
        running.writer.stop()
        running.readers.shutdown(wait=True)
        running.writer_engine.dispose()
        running.reader_engine.dispose()
        LOGGER.info("metadata store closed (%d batches, %d tasks)", self._stats.batches, self._stats.tasks)

    def __enter__(self) -> MetadataStore:
        self.open()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def write(self, fn: Callable[[Session], T]) -> Future[T]:
        """Run ``fn(session)`` in the writer thread; the future resolves after its COMMIT.

        ``fn`` must not commit or block on another write; errors from SQLAlchemy arrive translated
        (IntegrityConflict, RowNotFound, MetadataError), anything ``fn`` raises arrives as is.
        Returned ORM objects are detached with their loaded attributes (expire_on_commit=False).
        """
        running = self._require_open()

        def task(connection: Connection) -> T:
            return _run_in_savepoint(connection, fn)

        try:
            return running.writer.submit(task)
        except WriterClosed as err:
            raise StoreClosed(f"metadata store {self._path} is closed") from err

    def read(self, fn: Callable[[Session], T]) -> Future[T]:
        """Run ``fn(session)`` on the read pool inside one read-only transaction (one snapshot)."""
        running = self._require_open()
        try:
            return running.readers.submit(_run_read, running.read_sessions, fn)
        except RuntimeError as err:  # the pool was shut down by a concurrent close()
            raise StoreClosed(f"metadata store {self._path} is closed") from err

    def write_sync(self, fn: Callable[[Session], T]) -> T:
        """``write(fn).result()``, refused inside a write task, where it would wait for itself."""
        running = self._require_open()
        if threading.get_ident() in running.writer_thread:
            raise RuntimeError("write_sync() inside a write task would deadlock; use the session given")
        return self.write(fn).result()

    def read_sync(self, fn: Callable[[Session], T]) -> T:
        """``read(fn).result()``, refused on the read pool, where nested waits can exhaust it."""
        if threading.current_thread().name.startswith(_READ_THREAD_PREFIX):
            raise RuntimeError("read_sync() inside a read task can deadlock the pool; use the session given")
        return self.read(fn).result()

    def write_stats(self) -> WriteStats:
        s = self._stats
        return WriteStats(s.batches, s.tasks, s.failed_tasks, s.largest_batch)

    def create_side_engine(self) -> Engine:
        """An engine with the store's settings for libraries that insist on their own (APScheduler).

        Its writes bypass the writer thread and wait on SQLite's lock (busy_timeout) instead; the
        caller disposes it. Keep such writers rare and small.
        """
        self._require_open()
        return create_sqlite_engine(self._path, SIDE, busy_timeout_ms=self._busy_timeout_ms, pool_size=1)

    def _require_open(self) -> _Running:
        running = self._running
        if running is None:
            raise StoreClosed(f"metadata store {self._path} is not open")
        return running

    def _start(self) -> _Running:
        writer_engine = create_sqlite_engine(self._path, WRITER, busy_timeout_ms=self._busy_timeout_ms)
        reader_engine = create_sqlite_engine(
            self._path, READER, busy_timeout_ms=self._busy_timeout_ms, pool_size=self._read_threads
        )
        writer_thread: list[int] = []

        def connect() -> Connection:
            writer_thread.append(threading.get_ident())
            return writer_engine.connect()

        writer: WriterThread[Connection] = WriterThread(
            "metadata-writer",
            connect,
            self._run_batch,
            Connection.close,
            max_backlog=self._max_backlog,
            max_batch=self._max_batch,
        )
        try:
            writer.start()
        except BaseException:
            writer_engine.dispose()
            reader_engine.dispose()
            raise
        readers = ThreadPoolExecutor(max_workers=self._read_threads, thread_name_prefix=_READ_THREAD_PREFIX)
        sessions = sessionmaker(reader_engine, expire_on_commit=False)
        return _Running(writer_engine, reader_engine, writer, readers, sessions, writer_thread)

    def _run_batch(self, connection: Connection, tasks: list[WriteTask[Connection]]) -> None:
        """One transaction for the batch; resolve futures only once it is committed."""
        outcomes: list[tuple[WriteTask[Connection], bool, Any]] = []
        try:
            with connection.begin():
                for task in tasks:
                    if task.future.set_running_or_notify_cancel():
                        outcomes.append(_attempt(connection, task))
        except Exception as err:  # BEGIN or COMMIT failed: nothing of this batch is stored
            LOGGER.exception("metadata batch of %d tasks failed to commit", len(tasks))
            failure = translate(err)
            for task in tasks:
                if not task.future.done():
                    task.future.set_exception(failure)
            return
        self._count(outcomes)
        for task, ok, value in outcomes:
            if ok:
                task.future.set_result(value)
            else:
                task.future.set_exception(value)

    def _count(self, outcomes: list[tuple[WriteTask[Connection], bool, Any]]) -> None:
        stats = self._stats
        stats.batches += 1
        stats.tasks += len(outcomes)
        stats.failed_tasks += sum(1 for _, ok, _ in outcomes if not ok)
        stats.largest_batch = max(stats.largest_batch, len(outcomes))


def _attempt(connection: Connection, task: WriteTask[Connection]) -> tuple[WriteTask[Connection], bool, Any]:
    try:
        return task, True, task.fn(connection)
    except Exception as err:  # noqa: BLE001  (handed to this task's caller; the batch goes on)
        return task, False, err


def _run_in_savepoint(connection: Connection, fn: Callable[[Session], T]) -> T:
    """One task: its own Session joined to the batch's transaction through a SAVEPOINT.

    A fresh Session per task means no identity map is shared between tasks of one batch, so one
    task's rollback cannot expire objects another task already returned to its caller.
    """
    with Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False) as session:
        try:
            result = fn(session)
            session.commit()  # flush + RELEASE SAVEPOINT; durability comes with the batch COMMIT
        except Exception as err:
            session.rollback()
            translated = translate(err)
            if translated is err:
                raise
            raise translated from err
        return result


def _run_read(sessions: sessionmaker[Session], fn: Callable[[Session], T]) -> T:
    with sessions() as session:
        try:
            with session.begin():
                return fn(session)
        except Exception as err:
            translated = translate(err)
            if translated is err:
                raise
            raise translated from err
