"""Columnar reads of one stream's readings for plots and exports: numpy arrays straight from DuckDB.

A plot of a million readings must not become a million Python objects. These functions run on a
read cursor of the store (``StreamStore.read``) and hand back int64 microsecond timestamps and
float64 values, either every reading of a time range or, per time bucket, the two readings that
hold its minimum and maximum (a line through them draws every spike a pixel column can show).
The export reads keyset pages (after the last row's sort key), so chunk N costs what chunk 1 does.

SQL is assembled from names defined in this package (hence ``noqa: S608``); values travel as
``?`` parameters.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from storage.streams.queries import StreamSelector, Window, fetch_arrow, where
from storage.streams.schema import DATA_TABLE

Cursor = duckdb.DuckDBPyConnection
Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]
EPOCH = datetime(1970, 1, 1)  # noqa: DTZ001 - the store keeps naive UTC
SEQ_NULL = -(1 << 63)  # readings without a sequence number sort first, as in the API's order
FINITE = "value IS NOT NULL AND isfinite(value)"
_ORDER = '"timestamp", coalesce(streamer_local_id, ?), id'
_LAST_FIRST = '"timestamp" DESC, coalesce(streamer_local_id, ?) DESC, id DESC'
EXPORT_COLUMNS = ('id, epoch_us("timestamp") AS t_us, device_timestamp, streamer_local_id, int_value, value, '
                  'status, "type", coalesce(streamer_local_id, ?) AS seq_key')


@dataclass(frozen=True)
class TimeValues:
    """Readings as two aligned arrays: microseconds since the epoch (UTC) and values."""

    t_us: Int64s
    value: Floats

    @classmethod
    def empty(cls) -> TimeValues:
        return cls(np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64))


@dataclass(frozen=True)
class Extent:
    """First and last reading time (µs) and how many readings with a number lie between."""

    first_us: int
    last_us: int
    count: int


@dataclass(frozen=True)
class ExportKey:
    """Where an export page ends: the API's order is timestamp, sequence number (nulls first), id."""

    t_us: int
    seq: int
    id: int


def moment_of(us: int | None) -> datetime | None:
    """Exact naive-UTC datetime of a microsecond count (no float rounding on the way)."""
    return None if us is None else EPOCH + timedelta(microseconds=us)


def _clause(selector: StreamSelector, start_us: int | None, end_us: int | None) -> tuple[str, list[object]]:
    return where(selector, Window(start=moment_of(start_us), end=moment_of(end_us)))


def count_values(cur: Cursor, selector: StreamSelector, start_us: int | None, end_us: int | None) -> int:
    """Readings with a finite number in [start, end): what a plot of the range would draw."""
    clause, params = _clause(selector, start_us, end_us)
    rows = cur.execute(f"SELECT count(*) FROM {DATA_TABLE} WHERE {clause} AND {FINITE}", params).fetchall()  # noqa: S608
    return int(rows[0][0])


def count_rows(cur: Cursor, selector: StreamSelector, start_us: int | None, end_us: int | None) -> int:
    """Every reading in [start, end), with or without a number: what an export writes."""
    clause, params = _clause(selector, start_us, end_us)
    rows = cur.execute(f"SELECT count(*) FROM {DATA_TABLE} WHERE {clause}", params).fetchall()  # noqa: S608
    return int(rows[0][0])


def extent(cur: Cursor, selector: StreamSelector) -> Extent | None:
    """The time span of the readings with a number, or None when there are none."""
    clause, params = where(selector)
    sql = (f'SELECT epoch_us(min("timestamp")), epoch_us(max("timestamp")), count(*) FROM {DATA_TABLE} '  # noqa: S608
           f"WHERE {clause} AND {FINITE}")
    first, last, count = cur.execute(sql, params).fetchall()[0]
    return None if first is None else Extent(int(first), int(last), int(count))


def raw_values(cur: Cursor, selector: StreamSelector, start_us: int | None, end_us: int | None) -> TimeValues:
    """Every reading with a finite number in [start, end), in the API's order."""
    clause, params = _clause(selector, start_us, end_us)
    sql = (f'SELECT epoch_us("timestamp") AS t, value FROM {DATA_TABLE} WHERE {clause} AND {FINITE} '  # noqa: S608
           f"ORDER BY {_ORDER}")
    columns = cur.execute(sql, [*params, SEQ_NULL]).fetchnumpy()
    return TimeValues(np.ascontiguousarray(columns["t"], dtype=np.int64),
                      np.ascontiguousarray(columns["value"], dtype=np.float64))


def neighbours(cur: Cursor, selector: StreamSelector, start_us: int, end_us: int) -> TimeValues:
    """The last reading with a number before ``start`` and the first at or after ``end`` (those that
    exist): a line drawn through them crosses the edges of a range instead of stopping short."""
    clause, params = where(selector)
    one = f'SELECT epoch_us("timestamp") AS t, value FROM {DATA_TABLE} WHERE {clause} AND {FINITE} AND "timestamp" '  # noqa: S608
    sql = (f"SELECT * FROM ({one} < ? ORDER BY {_LAST_FIRST} LIMIT 1) UNION ALL "  # noqa: S608
           f"SELECT * FROM ({one} >= ? ORDER BY {_ORDER} LIMIT 1) ORDER BY t")
    moments = (moment_of(start_us), moment_of(end_us))
    columns = cur.execute(sql, [*params, moments[0], SEQ_NULL, *params, moments[1], SEQ_NULL]).fetchnumpy()
    return TimeValues(np.asarray(columns["t"], dtype=np.int64), np.asarray(columns["value"], dtype=np.float64))


def minmax_values(cur: Cursor, selector: StreamSelector, start_us: int, end_us: int,
                  bucket_us: int) -> TimeValues:
    """Per bucket of ``bucket_us`` from ``start_us``: the readings holding the minimum and the
    maximum, in time order (one point when they are the same reading), plus the range's first and
    last reading, so a line through them starts and ends where the data does. Real readings only:
    a cursor or a zoom never shows a value that was not measured."""
    if bucket_us <= 0:
        raise ValueError(f"bucket must be positive, got {bucket_us}")
    clause, params = _clause(selector, start_us, end_us)
    sql = (f'SELECT (epoch_us("timestamp") - ?) // ? AS b, arg_min(epoch_us("timestamp"), value) AS t_min, '  # noqa: S608
           'min(value) AS v_min, arg_max(epoch_us("timestamp"), value) AS t_max, max(value) AS v_max, '
           'epoch_us(min("timestamp")) AS t_first, arg_min(value, "timestamp") AS v_first, '
           'epoch_us(max("timestamp")) AS t_last, arg_max(value, "timestamp") AS v_last '
           f"FROM {DATA_TABLE} WHERE {clause} AND {FINITE} GROUP BY b ORDER BY b")
    found = cur.execute(sql, [start_us, bucket_us, *params]).fetchnumpy()
    points = interleave(found["t_min"], found["v_min"], found["t_max"], found["v_max"])
    if not points.t_us.size:
        return points
    return with_edges(points, (int(found["t_first"][0]), float(found["v_first"][0])),
                      (int(found["t_last"][-1]), float(found["v_last"][-1])))


def with_edges(points: TimeValues, first: tuple[int, float], last: tuple[int, float]) -> TimeValues:
    """``points`` with the range's first and last reading added where they are not already."""
    t, v = points.t_us, points.value
    if first[0] < t[0]:
        t, v = np.concatenate(([first[0]], t)), np.concatenate(([first[1]], v))
    if last[0] > t[-1]:
        t, v = np.concatenate((t, [last[0]])), np.concatenate((v, [last[1]]))
    return TimeValues(t.astype(np.int64), v.astype(np.float64))


def interleave(t_min: npt.ArrayLike, v_min: npt.ArrayLike, t_max: npt.ArrayLike, v_max: npt.ArrayLike) -> TimeValues:
    """Two points per bucket, the earlier first; a bucket whose extremes are one reading gives one."""
    a_t, a_v = np.asarray(t_min, dtype=np.int64), np.asarray(v_min, dtype=np.float64)
    b_t, b_v = np.asarray(t_max, dtype=np.int64), np.asarray(v_max, dtype=np.float64)
    swap = b_t < a_t
    first_t, second_t = np.where(swap, b_t, a_t), np.where(swap, a_t, b_t)
    first_v, second_v = np.where(swap, b_v, a_v), np.where(swap, a_v, b_v)
    t = np.column_stack((first_t, second_t)).ravel()
    v = np.column_stack((first_v, second_v)).ravel()
    keep = np.ones(t.size, dtype=bool)
    keep[1::2] = (second_t != first_t) | (second_v != first_v)
    return TimeValues(np.ascontiguousarray(t[keep]), np.ascontiguousarray(v[keep]))


def export_page(cur: Cursor, selector: StreamSelector, start_us: int | None, end_us: int | None,
                after: ExportKey | None, limit: int) -> pa.Table:
    """The next ``limit`` readings in the API's order after ``after`` (every column an export writes).
    The redundant ``timestamp >= ?`` lets DuckDB skip the row groups already written."""
    clause, params = _clause(selector, start_us, end_us)
    if after is not None:
        clause += (' AND "timestamp" >= ? AND ("timestamp" > ? OR coalesce(streamer_local_id, ?) > ? '
                   "OR (coalesce(streamer_local_id, ?) = ? AND id > ?))")
        moment = moment_of(after.t_us)
        params = [*params, moment, moment, SEQ_NULL, after.seq, SEQ_NULL, after.seq, after.id]
    sql = (f"SELECT {EXPORT_COLUMNS} FROM {DATA_TABLE} WHERE {clause} "  # noqa: S608
           f"ORDER BY {_ORDER} LIMIT {int(limit)}")
    return fetch_arrow(cur, sql, [SEQ_NULL, *params, SEQ_NULL])


def last_key(page: pa.Table) -> ExportKey | None:
    """The sort key of a page's last row (where the next page starts)."""
    if not page.num_rows:
        return None
    row = page.num_rows - 1
    return ExportKey(int(page.column("t_us")[row].as_py()), int(page.column("seq_key")[row].as_py()),
                     int(page.column("id")[row].as_py()))
