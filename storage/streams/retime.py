"""Reading times changed after the fact, for a range of one device's sequence ids.

iotile.cloud re-times a chopped report once the device's next reboot shows where its readings
really ended (HandleChoppedReportV2). The rows are read as columns, the caller computes the new
times with the same v2 walk as ingest, and one set-based UPDATE writes them back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from storage.streams.columns import CHOPPED_REPORT, COMPLETE_REPORT, REBOOT_VARIABLE
from storage.streams.queries import fetch_arrow
from storage.streams.schema import DATA_TABLE

Conn = duckdb.DuckDBPyConnection


@dataclass(frozen=True)
class Reference:
    """The first reading after a report that tells how it ended: a reboot, or a complete report."""

    variable: int
    timestamp: datetime
    streamer_local_id: int


def reference_after(cur: Conn, device: int, streamer: int, last_id: int) -> Reference | None:
    """The device's first reboot above ``last_id``, or the streamer's first complete-report marker
    above it (markers carry the streamer index as value), whichever has the lower sequence id."""
    rows = cur.execute(
        f"SELECT variable, \"timestamp\", streamer_local_id FROM {DATA_TABLE} "  # noqa: S608
        "WHERE device = ? AND streamer_local_id > ? AND (variable = ? OR (variable = ? AND int_value = ?)) "
        "ORDER BY streamer_local_id, id LIMIT 1",
        [device, last_id, REBOOT_VARIABLE, COMPLETE_REPORT, streamer]).fetchall()
    if not rows:
        return None
    variable, timestamp, seq = rows[0]
    return Reference(int(variable), timestamp, int(seq))


@dataclass(frozen=True)
class Readings:
    id: npt.NDArray[np.int64]
    variable: npt.NDArray[np.uint16]
    device_timestamp: npt.NDArray[np.int64]
    int_value: npt.NDArray[np.int64]


def readings_between(cur: Conn, device: int, first_id: int, last_id: int) -> Readings:
    """The device's readings with sequence ids in [first_id, last_id], in sequence order (report
    markers excluded: their sequence id is a report id, not a reading's)."""
    table = fetch_arrow(
        cur, f"SELECT id, variable, coalesce(device_timestamp, 0) AS device_timestamp, "  # noqa: S608
        f"coalesce(int_value, 0) AS int_value FROM {DATA_TABLE} "
        "WHERE device = ? AND streamer_local_id BETWEEN ? AND ? AND variable NOT IN (?, ?) "
        "ORDER BY streamer_local_id, id", [device, first_id, last_id, COMPLETE_REPORT, CHOPPED_REPORT])
    return Readings(id=table.column("id").to_numpy().astype(np.int64),
                    variable=table.column("variable").to_numpy().astype(np.uint16),
                    device_timestamp=table.column("device_timestamp").to_numpy().astype(np.int64),
                    int_value=table.column("int_value").to_numpy().astype(np.int64))


def set_times(conn: Conn, ids: npt.NDArray[np.int64], timestamp: npt.NDArray[np.datetime64],
              status: npt.NDArray[np.uint8], dirty: npt.NDArray[np.bool_]) -> int:
    """One UPDATE for all rows whose time or status changes; returns how many did."""
    if not len(ids):
        return 0
    stamps = pa.array(timestamp.astype("datetime64[us]"), type=pa.timestamp("us"))
    dirty_ts = pa.array(timestamp.astype("datetime64[us]"), type=pa.timestamp("us"), mask=~dirty)
    new = pa.table({"id": pa.array(ids), "ts": stamps, "status": pa.array(status, type=pa.uint8()),
                    "dirty_ts": dirty_ts})
    conn.register("_retimed", new)
    try:
        rows = conn.execute(
            f"UPDATE {DATA_TABLE} t SET \"timestamp\" = n.ts, status = n.status, dirty_ts = n.dirty_ts "  # noqa: S608
            "FROM _retimed n WHERE t.id = n.id AND (t.\"timestamp\" <> n.ts OR t.status <> n.status)").fetchall()
    finally:
        conn.unregister("_retimed")
    return int(rows[0][0]) if rows else 0
