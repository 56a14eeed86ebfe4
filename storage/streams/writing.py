"""Group commit on the writer thread.

The writer drains every queued task into one transaction: each task's function runs first, then
all appended readings go in with ONE ``INSERT ... SELECT`` over a concatenated Arrow table (and
likewise events; only a group over ``INSERT_ROWS`` takes several), then one commit, then every
future resolves. A commit costs 1-2 ms whatever its size, so many small uploads acknowledged
together cost about as much as one.

DuckDB has no savepoints, so a task that fails is isolated by rolling the whole group back and
running the group again without it; the failed task's future gets its own exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import duckdb
import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]

from storage.streams import ledger
from storage.streams.batches import DataBatch, EventBatch, prepare_data, prepare_events
from storage.streams.columns import DATA_COLUMNS, EVENT_COLUMNS, Column, names
from storage.streams.compaction import RewriteGate
from storage.streams.errors import StreamStoreError
from storage.streams.ids import IdBlocks
from storage.streams.scan import scan_rows
from storage.streams.schema import DATA_TABLE, EVENTS_TABLE
from storage.worker import WriteTask

LOGGER = logging.getLogger(__name__)

ROW_GROUP = 122_880
INSERT_ROWS = 16 * ROW_GROUP
"""Rows per INSERT statement: a group commit of ~2M rows is one statement; a bigger one takes a
few, still in one transaction, so the contiguous copy made for each stays bounded (~120 MB)."""

T = TypeVar("T")
Conn = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Prepared:
    """A batch validated and sorted off the writer thread; only ``prepare`` makes one."""

    table: pa.Table


def prepare(data: DataBatch | pa.Table | None = None,
            events: EventBatch | pa.Table | None = None) -> tuple[Prepared | None, Prepared | None]:
    return (None if data is None else Prepared(prepare_data(data)),
            None if events is None else Prepared(prepare_events(events)))


class WriteContext:
    """What a ``StreamStore.write`` function gets: the group's connection, plus appends that join
    the group's single insert (so rows appended here are not visible through ``conn`` until the
    function returns, and are dropped with it if it raises)."""

    def __init__(self, conn: Conn, ids: IdBlocks | None = None) -> None:
        self.conn = conn
        self.ids = ids or IdBlocks(block=1)
        self.data: list[pa.Table] = []
        self.events: list[pa.Table] = []
        self.ledger = ledger.LedgerBatch()

    def append_data(self, batch: DataBatch | pa.Table) -> int:
        """Queue readings for this group's insert; returns how many."""
        table = prepare_data(batch)
        self.data.append(table)
        return int(table.num_rows)

    def append_events(self, batch: EventBatch | pa.Table) -> int:
        """Queue events for this group's insert; returns how many."""
        table = prepare_events(batch)
        self.events.append(table)
        return int(table.num_rows)


@dataclass
class GroupWork(Generic[T]):
    """One caller's share of a group transaction: prepared rows and/or a function."""

    fn: Callable[[WriteContext], T] | None = None
    data: pa.Table | None = None
    events: pa.Table | None = None
    log: tuple[ledger.ReportEntry, ...] = ()
    rewrites: bool = True
    """Whether ``fn`` may change or delete stored rows (the safe default); such a group waits
    for a running compaction merge (see compaction.py), pure appends never do."""

    def __call__(self, conn: Conn) -> T:
        """Run alone in the caller's transaction; the writer normally uses ``run_group`` instead."""
        ctx = WriteContext(conn)
        result: T = self.run(ctx)
        insert_pending(ctx)
        return result

    def run(self, ctx: WriteContext) -> Any:
        """Returns the function's result, or the number of rows added when there is none."""
        if self.data is not None:
            ctx.data.append(self.data)
        if self.events is not None:
            ctx.events.append(self.events)
        for entry in self.log:
            ctx.ledger.record(entry)
        if self.fn is not None:
            result = self.fn(ctx)
            # DuckDB refuses register() while a result is unread ("unfinished result"); running it
            # out here keeps the group's insert independent of what the function left behind.
            ctx.conn.complete()
            return result
        return sum(int(t.num_rows) for t in (self.data, self.events) if t is not None)


@dataclass
class _Failed:
    index: int | None  # None: the merged insert or the commit failed, no task is known to blame
    error: BaseException


@dataclass
class _Outcome:
    results: list[Any] = field(default_factory=list)
    failed: _Failed | None = None


def run_group(conn: Conn, tasks: list[WriteTask[Conn]], *, ids: IdBlocks, gate: RewriteGate) -> None:
    """``WriterThread``'s ``run_batch``: commit the tasks together, isolating any that fail."""
    live = [task for task in tasks if task.future.set_running_or_notify_cancel()]
    if any(_work_of(task).rewrites for task in live):
        with gate.held():
            _settle(conn, live, ids)
    else:
        _settle(conn, live, ids)


def _settle(conn: Conn, live: list[WriteTask[Conn]], ids: IdBlocks) -> None:
    while live:
        outcome = _attempt(conn, live, ids)
        failed = outcome.failed
        if failed is None:
            for task, result in zip(live, outcome.results, strict=True):
                task.future.set_result(result)
            return
        if failed.index is not None:
            live.pop(failed.index).future.set_exception(failed.error)
        elif len(live) == 1:
            live.pop().future.set_exception(failed.error)
        else:  # nobody to blame: one transaction per task finds the culprit and saves the rest
            for task in live:
                _settle(conn, [task], ids)
            return


def _attempt(conn: Conn, live: list[WriteTask[Conn]], ids: IdBlocks) -> _Outcome:
    try:
        conn.begin()
    except duckdb.Error as err:
        return _Outcome(failed=_Failed(None, StreamStoreError(f"cannot start a write: {err}")))
    try:
        outcome = _run_and_commit(conn, live, ids)
    except BaseException:
        _rollback(conn, ids)  # never leave the only writer connection stuck inside a transaction
        raise
    if outcome.failed is not None:
        _rollback(conn, ids)
    return outcome


def _run_and_commit(conn: Conn, live: list[WriteTask[Conn]], ids: IdBlocks) -> _Outcome:
    outcome = _Outcome()
    ctx = WriteContext(conn, ids)
    for index, task in enumerate(live):
        try:
            outcome.results.append(_work_of(task).run(ctx))
        except Exception as err:  # noqa: BLE001 - the task's own failure, handed to its future
            return _Outcome(failed=_Failed(index, _wrapped(err)))
    try:
        insert_pending(ctx)
        conn.commit()
    except Exception as err:  # noqa: BLE001 - no task to blame; run_group retries them one by one
        LOGGER.warning("group commit of %d tasks failed: %s", len(live), err)
        failure = StreamStoreError(f"write failed: {err}")
        failure.__cause__ = err
        return _Outcome(failed=_Failed(None, failure))
    return outcome


def _work_of(task: WriteTask[Conn]) -> GroupWork[Any]:
    if isinstance(task.fn, GroupWork):
        return task.fn
    plain = task.fn  # a bare function of the connection, submitted straight to the writer
    return GroupWork(fn=lambda ctx: plain(ctx.conn))


def _wrapped(err: Exception) -> Exception:
    if isinstance(err, duckdb.Error):
        wrapped = StreamStoreError(str(err))
        wrapped.__cause__ = err
        return wrapped
    return err


def _rollback(conn: Conn, ids: IdBlocks) -> None:
    ids.forget()
    try:
        conn.rollback()
    except duckdb.Error:  # a failed statement or commit may already have ended the transaction
        LOGGER.debug("rollback after a failed group found no transaction", exc_info=True)


def insert_pending(ctx: WriteContext) -> None:
    """Insert prepared tables with one statement per table, assigning ids from the counters."""
    _insert(ctx, DATA_TABLE, DATA_COLUMNS, ctx.data)
    _insert(ctx, EVENTS_TABLE, EVENT_COLUMNS, ctx.events)
    ctx.ledger.flush(ctx.conn, ctx.ids)


def _insert(ctx: WriteContext, table: str, columns: tuple[Column, ...], chunks: list[pa.Table]) -> None:
    conn = ctx.conn
    chunks = sorted((chunk for chunk in chunks if chunk.num_rows), key=_stream_of)
    if not chunks:
        return
    merged = pa.concat_tables(chunks)
    if table == DATA_TABLE:
        ids = _stream_ids(ctx, table, merged)
    else:
        first = ctx.ids.take(conn, table, int(merged.num_rows))
        ids = np.arange(first, first + merged.num_rows, dtype=np.int64)
    for offset in range(0, merged.num_rows, INSERT_ROWS):
        # One contiguous chunk per statement: DuckDB scans a table of many small chunks as many
        # small batches, each its own partial row group (measured ~60% slower, ~15% larger).
        part = merged.slice(offset, INSERT_ROWS).combine_chunks()
        part_ids = pa.array(ids[offset:offset + part.num_rows])
        _insert_part(conn, table, columns, part.add_column(0, "id", part_ids))


def _stream_ids(ctx: WriteContext, table: str, merged: pa.Table) -> np.ndarray:
    """Ids per run of one stream's rows, each run from its stream's own id block (see ids.py)."""
    keys = [merged.column(name).to_numpy() for name in ("project", "device", "variable")]
    changes = np.zeros(merged.num_rows, dtype=bool)
    changes[0] = True
    for key in keys:
        changes[1:] |= key[1:] != key[:-1]
    starts = np.flatnonzero(changes)
    ends = np.append(starts[1:], merged.num_rows)
    ids = np.empty(merged.num_rows, dtype=np.int64)
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        stream = (int(keys[0][start]), int(keys[1][start]), int(keys[2][start]))
        first = ctx.ids.take_for(ctx.conn, table, stream, end - start)
        ids[start:end] = np.arange(first, first + end - start, dtype=np.int64)
    return ids


def _insert_part(conn: Conn, table: str, columns: tuple[Column, ...], part: pa.Table) -> None:
    scan_rows(conn, f"INSERT INTO {table} (id, {names(columns)}) SELECT id, {names(columns)} FROM _scan", part)  # noqa: S608


def _stream_of(chunk: pa.Table) -> tuple[int, int, int]:
    """Chunks are already sorted inside; ordering them by their first stream keeps each device's
    rows together across the uploads of one group, without re-sorting every row."""
    first = chunk.slice(0, 1).to_pylist()[0]
    return (first["project"], first["device"], first["variable"])
