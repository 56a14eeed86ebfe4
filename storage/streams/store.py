"""``StreamStore``: stream data and events in one DuckDB file.

Writes go through one ``WriterThread`` (group commit, see ``writing``); reads run on a small pool
of cursors of the same database, so readers never wait for the writer and see committed data
only. Reads block: call them from a worker thread (``run_in_executor``), never from the event loop.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage.futures import resolved
from storage.streams import compaction, queries
from storage.streams.batches import DataBatch, EventBatch, prepare_data, prepare_events
from storage.streams.columns import DATA_COLUMNS, EVENT_COLUMNS
from storage.streams.compaction import Merge, Policy, RewriteGate
from storage.streams.errors import StreamStoreError
from storage.streams.ids import IdBlocks
from storage.streams.ledger import ReportEntry
from storage.streams.queries import DataPage, Order, Paging, StreamSelector, Window
from storage.streams.schema import DATA_TABLE, EVENTS_TABLE, migrate
from storage.streams.writing import GroupWork, Prepared, WriteContext, run_group
from storage.worker import WriterClosed, WriterThread

LOGGER = logging.getLogger(__name__)

T = TypeVar("T")
Conn = duckdb.DuckDBPyConnection
ConfigValue = str | bool | int | float | list[str]


class _CursorPool:
    """At most ``size`` cursors of the shared database, reused; a reader waits for a free one."""

    def __init__(self, db: Conn, size: int) -> None:
        self._db = db
        self._idle: queue.LifoQueue[Conn] = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)

    @contextmanager
    def cursor(self) -> Iterator[Conn]:
        with self._slots:
            try:
                cur = self._idle.get_nowait()
            except queue.Empty:
                cur = self._db.cursor()
            try:
                yield cur
            finally:
                self._idle.put(cur)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                return


class StreamStore:
    """Readings and events by stream (project gid, device id, variable lid), with integer ids."""

    def __init__(
        self,
        path: str | Path,
        *,
        readers: int = 4,
        max_backlog: int = 10_000,
        max_batch: int = 256,
        config: Mapping[str, ConfigValue] | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.path = Path(path)
        self._readers = readers
        self._max_backlog = max_backlog
        self._max_batch = max_batch
        self._config = dict(config or {})
        self._lock = threading.Lock()
        self._db: Conn | None = None
        self._pool: _CursorPool | None = None
        self._writer: WriterThread[Conn] | None = None
        self._gate = RewriteGate()
        self._compacting = threading.Lock()
        self._merging: Conn | None = None
        self.policy = policy or Policy()

    def __enter__(self) -> StreamStore:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def is_open(self) -> bool:
        """Whether ``open()`` has run and ``close()`` has not (the appliance's health check)."""
        return self._db is not None

    def open(self) -> None:
        """Open (creating or migrating) the file and start the writer; a no-op when open."""
        with self._lock:
            if self._db is not None:
                return
            db = self._connect()
            writer: WriterThread[Conn] = WriterThread(
                "streams-writer",
                db.cursor,
                functools.partial(run_group, ids=IdBlocks(), gate=self._gate),
                _close_cursor,
                max_backlog=self._max_backlog,
                max_batch=self._max_batch,
            )
            try:
                writer.start()
            except duckdb.Error as err:
                db.close()
                raise StreamStoreError(f"cannot start the streams writer: {err}") from err
            self._db, self._writer, self._pool = db, writer, _CursorPool(db, self._readers)
        LOGGER.info("stream store open at %s", self.path)

    def _connect(self) -> Conn:
        try:
            db = duckdb.connect(str(self.path), config=self._config)
        except duckdb.Error as err:
            raise StreamStoreError(f"cannot open {self.path}: {err}") from err
        try:
            migrate(db)
        except BaseException as err:
            db.close()
            if isinstance(err, duckdb.Error):
                raise StreamStoreError(f"cannot migrate {self.path}: {err}") from err
            raise
        return db

    def close(self) -> None:
        """Finish queued writes, then close the file; a no-op when closed."""
        with self._lock:
            db, writer, pool = self._db, self._writer, self._pool
            self._db = self._writer = self._pool = None
        if db is None:
            return
        merging = self._merging
        if merging is not None:
            merging.interrupt()  # a merge rolls back whole; it runs again after the next start
        with self._compacting:
            pass
        if writer is not None:
            writer.stop()
        if pool is not None:
            pool.close()
        db.close()
        LOGGER.info("stream store at %s closed", self.path)

    # -- writes -------------------------------------------------------------------------------

    def append_data(self, batch: DataBatch | pa.Table) -> Future[int]:
        """Store readings; the future resolves with the row count once they are committed.
        A bad batch raises ``ValueError`` here and nothing of it is stored."""
        table = prepare_data(batch)
        if not table.num_rows:
            return resolved(0)
        return self._submit(GroupWork(data=table, rewrites=False))

    def append_events(self, batch: EventBatch | pa.Table) -> Future[int]:
        """Store events (metadata only; payloads belong in the blob store under ``blob_key``)."""
        table = prepare_events(batch)
        if not table.num_rows:
            return resolved(0)
        return self._submit(GroupWork(events=table, rewrites=False))

    def append(self, data: Prepared | None = None, events: Prepared | None = None,
               log: Sequence[ReportEntry] = ()) -> Future[int]:
        """Store rows prepared by ``prepare()`` and ingest ledger entries in the next group
        commit, with no function to run: the cheapest write there is (the ingest pipeline's
        groups). Resolves with the number of rows once committed."""
        return self._submit(GroupWork(data=None if data is None else data.table,
                                      events=None if events is None else events.table,
                                      log=tuple(log), rewrites=False))

    def write(
        self,
        fn: Callable[[WriteContext], T],
        *,
        data: DataBatch | pa.Table | None = None,
        events: EventBatch | pa.Table | None = None,
        appends_only: bool = False,
    ) -> Future[T]:
        """Run ``fn`` in the writer's group transaction, together with ``data``/``events`` and
        whatever it appends through its context: all of it commits, or none of it does. If ``fn``
        raises, its future gets the exception and the rest of the group commits without it. For
        that, a group is rolled back and re-run, so ``fn`` may run more than once: act only
        through ``ctx``, never on state outside the database. Say ``appends_only`` when ``fn``
        never updates or deletes stored readings, so it need not wait for a compaction merge."""
        work: GroupWork[T] = GroupWork(
            fn=fn,
            data=None if data is None else prepare_data(data),
            events=None if events is None else prepare_events(events),
            rewrites=not appends_only,
        )
        return self._submit(work)

    def delete_data(
        self,
        selector: StreamSelector,
        start: datetime | None = None,
        end: datetime | None = None,
        keep_variables: Collection[int] = (),
    ) -> Future[int]:
        """Delete readings in [start, end) (for trim and reset); resolves with rows deleted."""
        sql, params = queries.delete_sql(DATA_TABLE, selector, Window(start=start, end=end), tuple(keep_variables))
        return self._submit(GroupWork(fn=lambda ctx: _changed(ctx.conn, sql, params)))

    def delete_events(
        self,
        selector: StreamSelector,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> Future[int]:
        """Delete events in [start, end); their blobs are the caller's to remove."""
        sql, params = queries.delete_sql(EVENTS_TABLE, selector, Window(start=start, end=end), ())
        return self._submit(GroupWork(fn=lambda ctx: _changed(ctx.conn, sql, params)))

    def _submit(self, work: GroupWork[T]) -> Future[T]:
        writer = self._writer
        if writer is None:
            raise StreamStoreError(f"stream store at {self.path} is not open")
        try:
            return writer.submit(work)
        except WriterClosed as err:
            raise StreamStoreError(f"stream store at {self.path} is closed") from err

    # -- compaction ---------------------------------------------------------------------------

    def compact(self, *, full: bool = False, progress: Callable[[str], None] | None = None) -> list[Merge]:
        """Blocking: merge the levels that are due (``full``: all readings into one sorted run).
        Runs beside the writer; one compaction at a time. See compaction.py."""
        db = self._db
        if db is None:
            raise StreamStoreError(f"stream store at {self.path} is not open")
        with self._compacting:
            if self._db is not db:  # closed meanwhile: close() clears _db before it waits for us
                raise StreamStoreError(f"stream store at {self.path} is closed")
            cur = self._merging = db.cursor()
            try:
                return compaction.compact(cur, self._gate, self.policy, full=full, progress=progress)
            except duckdb.Error as err:
                raise StreamStoreError(f"compaction failed: {err}") from err
            finally:
                self._merging = None
                cur.close()

    def level_counts(self) -> dict[int, int]:
        """Readings per compaction level."""
        return self._read(compaction.level_counts)

    # -- reads --------------------------------------------------------------------------------

    def query_data(
        self,
        selector: StreamSelector,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        seq_min: int | None = None,
        seq_max: int | None = None,
        id_min: int | None = None,
        id_max: int | None = None,
        lastn: int | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: Order = "asc",
    ) -> DataPage:
        """Readings ordered by timestamp, sequence id, id; ``lastn`` keeps the newest N."""
        window = Window(start=start, end=end, seq_min=seq_min, seq_max=seq_max, id_min=id_min, id_max=id_max)
        paging = Paging(lastn=lastn, offset=offset, limit=limit, order=order)
        return self._read(lambda cur: queries.page_rows(cur, DATA_TABLE, DATA_COLUMNS, selector, window, paging))

    def count_data(
        self,
        selector: StreamSelector,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        seq_min: int | None = None,
        seq_max: int | None = None,
        id_min: int | None = None,
        id_max: int | None = None,
    ) -> int:
        """How many readings match."""
        window = Window(start=start, end=end, seq_min=seq_min, seq_max=seq_max, id_min=id_min, id_max=id_max)
        return self._read(lambda cur: queries.count_rows(cur, DATA_TABLE, selector, window))

    def query_events(
        self,
        selector: StreamSelector,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        seq_min: int | None = None,
        seq_max: int | None = None,
        id_min: int | None = None,
        id_max: int | None = None,
        lastn: int | None = None,
        offset: int = 0,
        limit: int | None = None,
        order: Order = "asc",
    ) -> DataPage:
        """Events, filtered and paged like ``query_data``; events without a time sort first."""
        window = Window(start=start, end=end, seq_min=seq_min, seq_max=seq_max, id_min=id_min, id_max=id_max)
        paging = Paging(lastn=lastn, offset=offset, limit=limit, order=order)
        return self._read(lambda cur: queries.page_rows(cur, EVENTS_TABLE, EVENT_COLUMNS, selector, window, paging))

    def count_events(
        self,
        selector: StreamSelector,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
    ) -> int:
        """How many events match."""
        return self._read(lambda cur: queries.count_rows(cur, EVENTS_TABLE, selector, Window(start=start, end=end)))

    def aggregate(
        self,
        selector: StreamSelector,
        bucket: timedelta,
        start: datetime | None = None,
        end: datetime | None = None,
        *,
        origin: datetime | None = None,
    ) -> pa.Table:
        """(bucket_start, count, min, max, avg, sum) of ``value`` per time bucket in [start, end)."""
        sql, params = queries.aggregate_sql(selector, bucket, Window(start=start, end=end), origin)
        return self._read(lambda cur: queries.fetch_arrow(cur, sql, params))

    def stream_stats(self, selector: StreamSelector) -> pa.Table:
        """Per stream: (project, device, variable, count, first, last, last_id) of its readings."""
        sql, params = queries.stats_sql(DATA_TABLE, selector)
        return self._read(lambda cur: queries.fetch_arrow(cur, sql, params))

    def read(self, fn: Callable[[Conn], T]) -> T:
        """Run ``fn`` on a pooled read cursor (blocking; call it from an executor thread)."""
        return self._read(fn)

    def _read(self, fn: Callable[[Conn], T]) -> T:
        pool = self._pool
        if pool is None:
            raise StreamStoreError(f"stream store at {self.path} is not open")
        try:
            with pool.cursor() as cur:
                return fn(cur)
        except duckdb.Error as err:
            raise StreamStoreError(f"read failed: {err}") from err


def _changed(conn: Conn, sql: str, params: list[Any]) -> int:
    rows = conn.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0


def _close_cursor(cur: Conn) -> None:
    cur.close()
