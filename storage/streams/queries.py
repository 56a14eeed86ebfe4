"""Read queries over the stream tables, built from typed filters rather than caller SQL.

Every function takes a DuckDB cursor from the store's read pool and returns Arrow, so a page of
100,000 readings never becomes 100,000 Python objects unless the caller asks for them.

SQL is assembled from table and column names defined in this package (hence the ``noqa: S608``);
every value a caller supplies travels as a ``?`` parameter.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from storage.streams.columns import Column

Order = Literal["asc", "desc"]
Params = list[object]

_ASC = '"timestamp" ASC NULLS FIRST, streamer_local_id ASC NULLS FIRST, id ASC'
_DESC = '"timestamp" DESC NULLS LAST, streamer_local_id DESC NULLS LAST, id DESC'
_READ_EXPR = {"uuid": 'CAST("uuid" AS VARCHAR) AS "uuid"'}


@dataclass(frozen=True)
class StreamSelector:
    """Which streams to read; None matches any. One stream (s--), a device or a data block
    (d--/b--: block number in the device's top 16 bits, project 0), a variable (v--), or a project."""

    project: int | None = None
    device: int | None = None
    variable: int | None = None

    def clauses(self) -> tuple[list[str], Params]:
        """WHERE conditions and their parameters."""
        pairs = (("project", self.project), ("device", self.device), ("variable", self.variable))
        given = [(name, value) for name, value in pairs if value is not None]
        return [f"{name} = ?" for name, _ in given], [value for _, value in given]


@dataclass(frozen=True, kw_only=True)
class Window:
    """Row filters: ``start`` inclusive, ``end`` exclusive (as iotile.cloud's ``start``/``end``);
    sequence-id and row-id bounds inclusive (its ``streamer_id_0/_1`` and ``id_0/_1``)."""

    start: datetime | None = None
    end: datetime | None = None
    seq_min: int | None = None
    seq_max: int | None = None
    id_min: int | None = None
    id_max: int | None = None

    def clauses(self) -> tuple[list[str], Params]:
        """WHERE conditions and their parameters."""
        checks = (
            ('"timestamp" >= ?', utc_naive(self.start)),
            ('"timestamp" < ?', utc_naive(self.end)),
            ("streamer_local_id >= ?", self.seq_min),
            ("streamer_local_id <= ?", self.seq_max),
            ("id >= ?", self.id_min),
            ("id <= ?", self.id_max),
        )
        given = [(sql, value) for sql, value in checks if value is not None]
        return [sql for sql, _ in given], [value for _, value in given]


@dataclass(frozen=True, kw_only=True)
class Paging:
    """Which slice of the matching rows: ``lastn`` keeps the newest N (still returned in
    ``order``), then ``offset``/``limit`` page through what is kept."""

    lastn: int | None = None
    offset: int = 0
    limit: int | None = None
    order: Order = "asc"

    def __post_init__(self) -> None:
        if self.lastn is not None and self.lastn < 1:
            raise ValueError(f"lastn must be at least 1, got {self.lastn}")
        if self.offset < 0 or (self.limit is not None and self.limit < 0):
            raise ValueError("offset and limit must not be negative")
        if self.order not in ("asc", "desc"):
            raise ValueError(f"order must be 'asc' or 'desc', got {self.order!r}")


@dataclass(frozen=True)
class DataPage:
    """One page of rows plus ``total``, the number of rows all pages hold (for ``count``/``next``)."""

    rows: pa.Table
    total: int
    offset: int = 0

    @property
    def has_more(self) -> bool:
        """Whether a page after this one exists."""
        return self.offset + int(self.rows.num_rows) < self.total

    def numpy(self) -> dict[str, npt.NDArray[Any]]:
        """Columns as numpy arrays; a column with nulls becomes a masked array."""
        return {name: _to_numpy(self.rows.column(name)) for name in self.rows.column_names}


def _to_numpy(column: pa.ChunkedArray) -> npt.NDArray[Any]:
    if not column.null_count:
        plain: npt.NDArray[Any] = column.to_numpy()
        return plain
    mask = column.is_null().to_numpy(zero_copy_only=False)
    data = column.fill_null(pa.scalar(0).cast(column.type) if not pa.types.is_string(column.type) else "")
    return np.ma.masked_array(data.to_numpy(zero_copy_only=False), mask=mask)


def utc_naive(moment: datetime | None) -> datetime | None:
    """The store keeps naive UTC; an aware datetime is converted, a naive one is taken as UTC."""
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def where(selector: StreamSelector, window: Window | None = None) -> tuple[str, Params]:
    """One WHERE clause (possibly ``TRUE``) for a selector and window."""
    conditions, params = selector.clauses()
    if window is not None:
        more, more_params = window.clauses()
        conditions, params = conditions + more, params + more_params
    return (" AND ".join(conditions) or "TRUE"), params


def select_list(columns: tuple[Column, ...]) -> str:
    """``id`` plus the stored columns, as the API reads them."""
    return ", ".join(["id", *(_READ_EXPR.get(c.name, f'"{c.name}"') for c in columns)])


def fetch_arrow(cur: duckdb.DuckDBPyConnection, sql: str, params: Params) -> pa.Table:
    """Run a SELECT and return Arrow; the relation API avoids the DB-API result's extra copy."""
    return cur.sql(sql, params=params or None).to_arrow_table()


def count_rows(cur: duckdb.DuckDBPyConnection, table: str, selector: StreamSelector, window: Window) -> int:
    """How many rows match."""
    clause, params = where(selector, window)
    rows = cur.execute(f"SELECT count(*) FROM {table} WHERE {clause}", params).fetchall()  # noqa: S608
    return int(rows[0][0])


def page_rows(
    cur: duckdb.DuckDBPyConnection,
    table: str,
    columns: tuple[Column, ...],
    selector: StreamSelector,
    window: Window,
    paging: Paging,
) -> DataPage:
    """A page and its total, read in one transaction so both describe the same snapshot."""
    clause, params = where(selector, window)
    base = f"SELECT {select_list(columns)} FROM {table} WHERE {clause}"  # noqa: S608
    order = _ASC if paging.order == "asc" else _DESC
    if paging.lastn is not None:
        base = f"SELECT * FROM ({base} ORDER BY {_DESC} LIMIT ?)"  # noqa: S608
        params = [*params, paging.lastn]
    sql = f"{base} ORDER BY {order}"
    if paging.limit is not None:
        sql += f" LIMIT {int(paging.limit)}"
    sql += f" OFFSET {int(paging.offset)}"
    cur.begin()
    try:
        rows = fetch_arrow(cur, sql, params)
        total = count_rows(cur, table, selector, window)
    finally:
        cur.rollback()
    if paging.lastn is not None:
        total = min(total, paging.lastn)
    return DataPage(rows=rows, total=total, offset=paging.offset)


def aggregate_sql(
    selector: StreamSelector, bucket: timedelta, window: Window, origin: datetime | None
) -> tuple[str, Params]:
    """Per-bucket statistics of ``value``; buckets align on ``origin`` (DuckDB's default: midnight,
    and Monday for weeks)."""
    micros = bucket // timedelta(microseconds=1)
    if micros <= 0:
        raise ValueError(f"bucket must be positive, got {bucket}")
    clause, params = where(selector, window)
    shift = ", ?::TIMESTAMP" if origin is not None else ""
    head: Params = [micros] if origin is None else [micros, utc_naive(origin)]
    sql = (
        f'SELECT time_bucket(to_microseconds(?), "timestamp"{shift}) AS bucket_start, count(*) AS "count", '  # noqa: S608
        'min(value) AS "min", max(value) AS "max", avg(value) AS "avg", sum(value) AS "sum" '
        f"FROM stream_data WHERE {clause} GROUP BY bucket_start ORDER BY bucket_start"
    )
    return sql, head + params


def stats_sql(table: str, selector: StreamSelector) -> tuple[str, Params]:
    """Per stream: row count, first and last timestamp, newest id."""
    clause, params = where(selector)
    sql = (
        'SELECT project, device, variable, count(*) AS "count", min("timestamp") AS "first", '  # noqa: S608
        f'max("timestamp") AS "last", max(id) AS last_id FROM {table} WHERE {clause} '
        "GROUP BY project, device, variable ORDER BY project, device, variable"
    )
    return sql, params


def delete_sql(
    table: str, selector: StreamSelector, window: Window, keep_variables: tuple[int, ...]
) -> tuple[str, Params]:
    """DELETE for trim and reset; ``keep_variables`` spares e.g. the system streams of a device."""
    clause, params = where(selector, window)
    if keep_variables:
        clause += f" AND variable NOT IN ({', '.join('?' for _ in keep_variables)})"
        params = [*params, *keep_variables]
    return f"DELETE FROM {table} WHERE {clause}", params  # noqa: S608
