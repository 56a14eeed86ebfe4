"""The ingest ledger: per-streamer dedup state and a log of processed reports, in streams.duckdb.

Decision 3 (ack means durable): the readings of a report, the streamer's new ``last_id`` and the
record of the report must never disagree after a crash. DuckDB commits them together, so they live
here, beside the readings, and are written inside the same group transaction through
``StreamStore.write``. The log is the state: a streamer's last_id is the ``last_id`` of its newest
entry, so each group commit appends rows and never updates any (an UPDATE or an upsert on an
indexed table measured several ms per commit). The metadata database's Streamer and StreamerReport rows are a copy that
the appliance reconciles from this ledger at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]

from storage.streams.columns import CHOPPED_REPORT, COMPLETE_REPORT, REBOOT_VARIABLE
from storage.streams.ids import IdBlocks
from storage.streams.scan import scan_rows

LOG_TABLE = "report_log"

Conn = duckdb.DuckDBPyConnection

V2_TABLES = (
    f"""CREATE TABLE {LOG_TABLE} (
        seq BIGINT NOT NULL,
        uuid VARCHAR NOT NULL,
        device UBIGINT NOT NULL,
        streamer USMALLINT NOT NULL,
        selector INTEGER NOT NULL,
        created_by BIGINT,
        received TIMESTAMP NOT NULL,
        device_sent_timestamp BIGINT,
        incremental_id BIGINT,
        original_first_id BIGINT NOT NULL,
        original_last_id BIGINT NOT NULL,
        actual_first_id BIGINT NOT NULL,
        actual_last_id BIGINT NOT NULL,
        stored_readings BIGINT NOT NULL,
        stored_events BIGINT NOT NULL,
        chopped BOOLEAN NOT NULL,
        blob_key VARCHAR,
        last_id BIGINT NOT NULL,
        last_reboot_ts TIMESTAMP
    )""",
)


def create_tables(conn: Conn) -> None:
    for statement in V2_TABLES:
        conn.execute(statement)
    conn.execute("INSERT INTO counters VALUES (?, 1)", [LOG_TABLE])  # report seqs, like reading ids


@dataclass(frozen=True)
class StreamerState:
    device: int
    streamer: int
    last_id: int
    last_reboot_ts: datetime | None


@dataclass(frozen=True, kw_only=True)
class ReportEntry:
    """One processed report; ``received`` and times are naive UTC like the data tables."""

    uuid: str
    device: int
    streamer: int
    selector: int
    created_by: int | None
    received: datetime
    device_sent_timestamp: int | None
    incremental_id: int | None
    original_first_id: int
    original_last_id: int
    actual_first_id: int
    actual_last_id: int
    stored_readings: int
    stored_events: int
    chopped: bool
    blob_key: str | None
    last_id: int = 0
    last_reboot_ts: datetime | None = None
    seq: int = 0


def state_of(conn: Conn, device: int, streamer: int) -> StreamerState | None:
    rows = conn.execute(
        f"SELECT last_id, last_reboot_ts FROM {LOG_TABLE} WHERE device = ? AND streamer = ? "  # noqa: S608
        "ORDER BY seq DESC LIMIT 1", [device, streamer]).fetchall()
    if not rows:
        return None
    return StreamerState(device, streamer, int(rows[0][0]), rows[0][1])


class LedgerBatch:
    """The log rows of one group commit, appended with one statement at its end (per-upload
    statements would cost DuckDB's planning each, serialized on the single writer).

    The appliance keeps each streamer's last_id in memory (one process owns the data directory)
    and serializes uploads per streamer, so tasks only record their entries here."""

    def __init__(self) -> None:
        self.entries: list[ReportEntry] = []

    def record(self, entry: ReportEntry) -> None:
        self.entries.append(entry)

    def flush(self, conn: Conn, ids: IdBlocks) -> None:
        if not self.entries:
            return
        first = ids.take(conn, LOG_TABLE, len(self.entries))
        columns: dict[str, pa.Array] = {"seq": pa.array(range(first, first + len(self.entries)), pa.int64())}
        for name, arrow_type in _LOG_TYPES.items():
            columns[name] = pa.array([getattr(e, name) for e in self.entries], arrow_type)
        scan_rows(conn, f"INSERT INTO {LOG_TABLE} SELECT * FROM _scan", pa.table(columns))  # noqa: S608
        self.entries = []


_LOG_NAMES = ("seq", "uuid", "device", "streamer", "selector", "created_by", "received", "device_sent_timestamp",
              "incremental_id",
              "original_first_id", "original_last_id", "actual_first_id", "actual_last_id", "stored_readings",
              "stored_events", "chopped", "blob_key", "last_id", "last_reboot_ts")
_LOG_COLUMNS = ", ".join(_LOG_NAMES)
_LOG_TYPES = {"uuid": pa.string(), "device": pa.uint64(), "streamer": pa.uint16(), "selector": pa.int32(),
              "created_by": pa.int64(), "received": pa.timestamp("us"), "device_sent_timestamp": pa.int64(),
              "incremental_id": pa.int64(), "original_first_id": pa.int64(), "original_last_id": pa.int64(),
              "actual_first_id": pa.int64(), "actual_last_id": pa.int64(), "stored_readings": pa.int64(),
              "stored_events": pa.int64(), "chopped": pa.bool_(), "blob_key": pa.string(),
              "last_id": pa.int64(), "last_reboot_ts": pa.timestamp("us")}


def _entry(row: tuple[Any, ...]) -> ReportEntry:
    values = dict(zip(_LOG_NAMES, row, strict=True))
    values["uuid"], values["chopped"] = str(values["uuid"]), bool(values["chopped"])
    return ReportEntry(**values)


def newest_entries(conn: Conn, before_seq: int | None, limit: int) -> list[ReportEntry]:
    """Newest first; ``before_seq`` pages further back."""
    bound = "" if before_seq is None else "WHERE seq < ?"
    params: list[object] = [] if before_seq is None else [before_seq]
    rows = conn.execute(f"SELECT {_LOG_COLUMNS} FROM {LOG_TABLE} {bound} ORDER BY seq DESC LIMIT ?",  # noqa: S608
                        [*params, limit]).fetchall()
    return [_entry(row) for row in rows]


def entry_by_uuid(conn: Conn, uuid: str) -> ReportEntry | None:
    """One report's entry, or None once its streamer was erased (reprocess, unclaim)."""
    rows = conn.execute(f"SELECT {_LOG_COLUMNS} FROM {LOG_TABLE} WHERE uuid = ? ORDER BY seq DESC LIMIT 1",  # noqa: S608
                        [uuid]).fetchall()
    return _entry(rows[0]) if rows else None


def previous_anchor(conn: Conn, device: int, streamer: int, incremental_id: int) -> ReportEntry | None:
    """The streamer's latest earlier report that stored something: the v2 engine re-bases the
    oldest dirty block of a report on it (received - device_sent_timestamp)."""
    rows = conn.execute(
        f"SELECT {_LOG_COLUMNS} FROM {LOG_TABLE} WHERE device = ? AND streamer = ? AND incremental_id < ? "  # noqa: S608
        "AND actual_last_id > 0 AND device_sent_timestamp IS NOT NULL ORDER BY incremental_id DESC, seq DESC LIMIT 1",
        [device, streamer, incremental_id]).fetchall()
    return _entry(rows[0]) if rows else None


def all_states(conn: Conn) -> list[StreamerState]:
    rows = conn.execute(
        f"SELECT device, streamer, arg_max(last_id, seq), arg_max(last_reboot_ts, seq) FROM {LOG_TABLE} "  # noqa: S608
        "GROUP BY device, streamer").fetchall()
    return [StreamerState(int(d), int(s), int(last), ts) for d, s, last, ts in rows]


def streamer_entries(conn: Conn, device: int, streamer: int) -> list[ReportEntry]:
    """Every report of one streamer, oldest first (re-processing replays them in this order)."""
    rows = conn.execute(f"SELECT {_LOG_COLUMNS} FROM {LOG_TABLE} WHERE device = ? AND streamer = ? "  # noqa: S608
                        "ORDER BY seq", [device, streamer]).fetchall()
    return [_entry(row) for row in rows]


_STORED_BY = """(EXISTS (SELECT 1 FROM report_log r WHERE r.device = $device AND r.streamer = $streamer
        AND r.actual_last_id > 0 AND t.streamer_local_id BETWEEN r.actual_first_id AND r.actual_last_id))"""


def erase_streamer(conn: Conn, device: int, streamer: int, *, system: bool) -> int:
    """Delete what one streamer's reports stored, and its log: readings and events whose sequence id
    lies in a range the streamer's reports stored (0x5C00 only for the system streamer, whose reboots
    are not duplicated elsewhere), and the streamer's 5A05/5A06 markers. Returns rows deleted."""
    params = {"device": device, "streamer": streamer, "system": system, "reboot": REBOOT_VARIABLE,
              "complete": COMPLETE_REPORT, "chopped": CHOPPED_REPORT}
    data = conn.execute(
        f"DELETE FROM stream_data t WHERE t.device = $device AND (({_STORED_BY} "  # noqa: S608
        "AND (t.variable <> $reboot OR $system)) OR (t.variable IN ($complete, $chopped) AND t.int_value = $streamer "
        "AND t.streamer_local_id IN (SELECT incremental_id FROM report_log r WHERE r.device = $device "
        "AND r.streamer = $streamer)))", params).fetchall()
    events = conn.execute(f"DELETE FROM stream_events t WHERE t.device = $device AND {_STORED_BY}",  # noqa: S608
                          {"device": device, "streamer": streamer}).fetchall()
    conn.execute(f"DELETE FROM {LOG_TABLE} WHERE device = ? AND streamer = ?", [device, streamer]).fetchall()  # noqa: S608
    return int(data[0][0]) + int(events[0][0])


def erase_device(conn: Conn, device: int) -> int:
    """Forget every streamer of a device (unclaim with clean_streams): dedup starts again from 0."""
    rows = conn.execute(f"DELETE FROM {LOG_TABLE} WHERE device = ?", [device]).fetchall()  # noqa: S608
    return int(rows[0][0])
