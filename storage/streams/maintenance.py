"""Set-based statements for device maintenance (reset, trim, move) and the data mask event.

Each function takes the writer's (or a reader's) connection and runs a handful of statements over
whole sets of rows: a device with millions of readings is re-keyed or trimmed by one UPDATE or
DELETE per table, never row by row. Deleted events hand back their ``blob_key`` (``RETURNING``) so
the caller can remove the payload files once the transaction has committed.

A device's streams are chosen by ``StreamSet``: per project gid, the variable lids to touch, plus
optionally every variable of one project (a full reset). The ``device`` column holds a live
device's id or a data block's (block << 48 | serial), so the mask functions serve both.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import duckdb
import numpy as np

from storage.streams.batches import EventBatch
from storage.streams.queries import utc_naive
from storage.streams.schema import DATA_TABLE, EVENTS_TABLE
from storage.streams.writing import WriteContext

Conn = duckdb.DuckDBPyConnection
MASK_VARIABLE = 0x5A09


@dataclass(frozen=True)
class StreamSet:
    """Which rows of one device: ``lids`` per project gid, and every lid of ``whole_project``."""

    device: int
    lids: Mapping[int, Collection[int]] = field(default_factory=dict)
    whole_project: int | None = None

    def clause(self) -> tuple[str, list[Any]]:
        """``device = ? AND (...)``; a set naming nothing matches no row (``FALSE``)."""
        terms: list[str] = []
        params: list[Any] = [self.device]
        if self.whole_project is not None:
            terms.append("project = ?")
            params.append(self.whole_project)
        for project, lids in sorted(self.lids.items()):
            chosen = sorted(set(lids))
            if chosen:
                terms.append(f"(project = ? AND variable IN ({', '.join('?' for _ in chosen)}))")
                params += [project, *chosen]
        return f"device = ? AND ({' OR '.join(terms) or 'FALSE'})", params


@dataclass(frozen=True)
class Removed:
    """Rows deleted, and the payload blobs of the deleted events (to remove after the commit)."""

    data: int = 0
    events: int = 0
    blob_keys: tuple[str, ...] = ()

    def __add__(self, other: Removed) -> Removed:
        return Removed(self.data + other.data, self.events + other.events, self.blob_keys + other.blob_keys)


def _count(conn: Conn, sql: str, params: list[Any]) -> int:
    rows = conn.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0


def _delete(conn: Conn, where: str, params: list[Any]) -> Removed:
    data = _count(conn, f"DELETE FROM {DATA_TABLE} WHERE {where}", params)  # noqa: S608
    keys = conn.execute(f"DELETE FROM {EVENTS_TABLE} WHERE {where} RETURNING blob_key", params).fetchall()  # noqa: S608
    return Removed(data, len(keys), tuple(str(k) for (k,) in keys if k))


def delete_streams(conn: Conn, streams: StreamSet) -> Removed:
    """A reset: every reading and event of the chosen streams."""
    where, params = streams.clause()
    return _delete(conn, where, params)


def clear_mask(conn: Conn, device: int) -> int:
    """Remove a device's (or block's) mask event(s), whatever project they are keyed under."""
    return _delete(conn, "device = ? AND variable = ?", [device, MASK_VARIABLE]).events


@dataclass(frozen=True)
class Trimmed:
    """What a trim removed on each side of its range (the system note lists these)."""

    data_before: int = 0
    events_before: int = 0
    data_after: int = 0
    events_after: int = 0
    blob_keys: tuple[str, ...] = ()


def trim(conn: Conn, streams: StreamSet, start: datetime | None, end: datetime | None) -> Trimmed:
    """Delete rows strictly before ``start`` and strictly after ``end`` (both ends are kept, as
    iotile.cloud's DeviceDataTrimAction does). Events without a time are kept."""
    where, params = streams.clause()
    before = after = Removed()
    if start is not None:
        before = _delete(conn, f'{where} AND "timestamp" < ?', [*params, utc_naive(start)])
    if end is not None:
        after = _delete(conn, f'{where} AND "timestamp" > ?', [*params, utc_naive(end)])
    return Trimmed(before.data, before.events, after.data, after.events, before.blob_keys + after.blob_keys)


def trim_counts(cur: Conn, streams: StreamSet, start: datetime | None, end: datetime | None) -> tuple[int, int]:
    """(rows a trim would keep, rows it would delete), readings and timed events together."""
    where, params = streams.clause()
    low, high = utc_naive(start), utc_naive(end)
    inside = '("timestamp" >= ? OR ?::TIMESTAMP IS NULL) AND ("timestamp" <= ? OR ?::TIMESTAMP IS NULL)'
    sql = " UNION ALL ".join(
        f'SELECT count(*) FILTER (WHERE {inside}), count(*) FILTER (WHERE NOT ({inside})) '  # noqa: S608
        f'FROM {table} WHERE {where} AND "timestamp" IS NOT NULL' for table in (DATA_TABLE, EVENTS_TABLE))
    one = [low, low, high, high, low, low, high, high, *params]
    rows = cur.execute(sql, one + one).fetchall()
    return sum(int(r[0]) for r in rows), sum(int(r[1]) for r in rows)


def move(conn: Conn, device: int, src: int, dst: int, lids: Collection[int]) -> tuple[int, int]:
    """Re-key the chosen streams of a device from project ``src`` to ``dst`` (readings, events)."""
    chosen = sorted(set(lids))
    if not chosen:
        return 0, 0
    marks = ", ".join("?" for _ in chosen)
    params = [dst, device, src, *chosen]
    moved = [_count(conn, f"UPDATE {table} SET project = ? WHERE device = ? AND project = ? "  # noqa: S608
                          f"AND variable IN ({marks})", params) for table in (DATA_TABLE, EVENTS_TABLE)]
    return moved[0], moved[1]


def mask_of(cur: Conn, device: int) -> str | None:
    """The ``extra_data`` JSON of the newest mask event of a device or block, if any."""
    rows = cur.execute(f"SELECT extra_data FROM {EVENTS_TABLE} WHERE device = ? AND variable = ? "  # noqa: S608
                       'ORDER BY "timestamp" DESC NULLS LAST, id DESC LIMIT 1', [device, MASK_VARIABLE]).fetchall()
    return str(rows[0][0]) if rows and rows[0][0] is not None else None


def put_mask(ctx: WriteContext, project: int, device: int, extra_data: str, now: datetime) -> None:
    """Replace the mask event with one holding ``extra_data``; iotile.cloud keeps a single event
    on the target's 5a09 stream and rewrites it."""
    clear_mask(ctx.conn, device)
    stamp = utc_naive(now)
    ctx.append_events(EventBatch(
        project=np.array([project], dtype=np.uint32), device=np.array([device], dtype=np.uint64),
        variable=np.array([MASK_VARIABLE], dtype=np.uint16),
        timestamp=np.array([stamp], dtype="datetime64[us]"), extra_data=[extra_data]))
