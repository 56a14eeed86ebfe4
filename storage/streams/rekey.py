"""Moving a device's rows under a data block, and what a block holds (archives, iotile.cloud's
ArchiveDeviceDataAction and DataBlockDeleteAction).

Readings carry their stream as three integers, so archiving is a change of key: ``(project,
device)`` becomes ``(0, block << 48 | device)``, the archived stream slug
``s--0000-0000--<block>-<device>--<lid>``. That is one ``UPDATE`` per table: set-based, no row
leaves DuckDB, ids and every other column stay as they were. The functions take the writer's
connection (``StreamStore.write``) and never commit: the caller's group transaction makes the move
of readings, events and the forgotten ingest ledger one unit, so a failure anywhere leaves all of
it as it was. Measured (bench/archive.py) the UPDATE runs at about the speed of DuckDB itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from storage.streams import ledger
from storage.streams.schema import DATA_TABLE, EVENTS_TABLE

Conn = duckdb.DuckDBPyConnection
SERIAL_BITS = 48


@dataclass(frozen=True)
class Rekey:
    """Rows of ``(project, device)`` go to ``(new_project, new_device)``."""

    project: int
    device: int
    new_project: int
    new_device: int

    @classmethod
    def into_block(cls, project: int, device: int, block: int) -> Rekey:
        """The archive of a live device: project 0, the block number in the device's top 16 bits."""
        if not 0 < block < 1 << 16 or device >> SERIAL_BITS:
            raise ValueError(f"block {block} of device {device:#x} cannot form an archived key")
        return cls(project, device, 0, (block << SERIAL_BITS) | device)


@dataclass(frozen=True)
class Moved:
    readings: int
    events: int
    ledger_entries: int = 0


def _changed(conn: Conn, sql: str, params: list[object]) -> int:
    rows = conn.execute(sql, params).fetchall()
    return int(rows[0][0]) if rows else 0


def move_rows(conn: Conn, move: Rekey) -> Moved:
    """Re-key the readings and events of one device in one project (its other projects' rows stay)."""
    counts = []
    for table in (DATA_TABLE, EVENTS_TABLE):
        sql = f"UPDATE {table} SET project = ?, device = ? WHERE project = ? AND device = ?"  # noqa: S608
        counts.append(_changed(conn, sql, [move.new_project, move.new_device, move.project, move.device]))
    return Moved(counts[0], counts[1])


def archive_device(conn: Conn, move: Rekey) -> Moved:
    """``move_rows`` plus forgetting the device's streamers in the ingest ledger, so the device,
    reclaimed, uploads its reading ids afresh; both in the caller's transaction."""
    moved = move_rows(conn, move)
    return Moved(moved.readings, moved.events, ledger.erase_device(conn, move.device))


@dataclass(frozen=True)
class Deleted:
    readings: int
    events: int
    blob_keys: tuple[str, ...]


def delete_device_rows(conn: Conn, device: int) -> Deleted:
    """Every reading and event keyed by ``device`` (a block's full 64-bit id), in any project; the
    events' blob keys are returned so the caller removes the payloads once this has committed."""
    readings = _changed(conn, f"DELETE FROM {DATA_TABLE} WHERE device = ?", [device])  # noqa: S608
    keys = conn.execute(f"DELETE FROM {EVENTS_TABLE} WHERE device = ? RETURNING blob_key",  # noqa: S608
                        [device]).fetchall()
    return Deleted(readings, len(keys), tuple(str(key) for (key,) in keys if key))


@dataclass(frozen=True)
class StreamCount:
    project: int
    device: int
    variable: int
    readings: int
    events: int


def stream_counts(cur: Conn, device: int) -> list[StreamCount]:
    """Readings and events per stream of one device key (a block's ``extra/``), in stream order."""
    per_table = ("SELECT project, device, variable, count(*) AS n FROM {} WHERE device = ? "
                 "GROUP BY project, device, variable")
    rows = cur.execute(
        f"SELECT project, device, variable, coalesce(r.n, 0), coalesce(e.n, 0) "  # noqa: S608
        f"FROM ({per_table.format(DATA_TABLE)}) r FULL OUTER JOIN ({per_table.format(EVENTS_TABLE)}) e "
        "USING (project, device, variable) ORDER BY project, device, variable", [device, device]).fetchall()
    return [StreamCount(int(p), int(d), int(v), int(r), int(e)) for p, d, v, r, e in rows]
