"""The ingest ledger: per-streamer dedup state and a log of processed reports, in streams.duckdb.

Decision 3 (ack means durable): the readings of a report, the streamer's new ``last_id`` and the
record of the report must never disagree after a crash. DuckDB commits them together, so they live
here, beside the readings, and are written inside the same group transaction through
``StreamStore.write``. The metadata database's Streamer and StreamerReport rows are a copy that
the appliance reconciles from this ledger at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

STATE_TABLE = "streamer_state"
LOG_TABLE = "report_log"

Conn = duckdb.DuckDBPyConnection

V2_TABLES = (
    f"""CREATE TABLE {STATE_TABLE} (
        device UBIGINT NOT NULL,
        streamer USMALLINT NOT NULL,
        last_id BIGINT NOT NULL,
        last_reboot_ts TIMESTAMP,
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (device, streamer)
    )""",
    f"""CREATE TABLE {LOG_TABLE} (
        seq BIGINT NOT NULL,
        uuid VARCHAR NOT NULL,
        device UBIGINT NOT NULL,
        streamer USMALLINT NOT NULL,
        selector INTEGER NOT NULL,
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
        blob_key VARCHAR
    )""",
)


def create_tables(conn: Conn) -> None:
    for statement in V2_TABLES:
        conn.execute(statement)


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
    seq: int = 0


def state_of(conn: Conn, device: int, streamer: int) -> StreamerState | None:
    rows = conn.execute(
        f"SELECT last_id, last_reboot_ts FROM {STATE_TABLE} WHERE device = ? AND streamer = ?",  # noqa: S608
        [device, streamer]).fetchall()
    if not rows:
        return None
    return StreamerState(device, streamer, int(rows[0][0]), rows[0][1])


def save_state(conn: Conn, state: StreamerState, now: datetime) -> None:
    conn.execute(
        f"INSERT OR REPLACE INTO {STATE_TABLE} VALUES (?, ?, ?, ?, ?)",  # noqa: S608
        [state.device, state.streamer, state.last_id, state.last_reboot_ts, now]).fetchall()


def log_report(conn: Conn, entry: ReportEntry) -> int:
    """Append to the log; returns its sequence number (the reconciliation cursor)."""
    rows = conn.execute(f"SELECT coalesce(max(seq), 0) + 1 FROM {LOG_TABLE}").fetchall()  # noqa: S608
    seq = int(rows[0][0])
    conn.execute(
        f"INSERT INTO {LOG_TABLE} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
        [seq, entry.uuid, entry.device, entry.streamer, entry.selector, entry.received, entry.device_sent_timestamp,
         entry.incremental_id, entry.original_first_id, entry.original_last_id, entry.actual_first_id,
         entry.actual_last_id, entry.stored_readings, entry.stored_events, entry.chopped, entry.blob_key],
    ).fetchall()
    return seq


_LOG_NAMES = ("seq", "uuid", "device", "streamer", "selector", "received", "device_sent_timestamp", "incremental_id",
              "original_first_id", "original_last_id", "actual_first_id", "actual_last_id", "stored_readings",
              "stored_events", "chopped", "blob_key")
_LOG_COLUMNS = ", ".join(_LOG_NAMES)


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


def previous_anchor(conn: Conn, device: int, streamer: int, incremental_id: int) -> ReportEntry | None:
    """The streamer's latest earlier report that stored something: the v2 engine re-bases the
    oldest dirty block of a report on it (received - device_sent_timestamp)."""
    rows = conn.execute(
        f"SELECT {_LOG_COLUMNS} FROM {LOG_TABLE} WHERE device = ? AND streamer = ? AND incremental_id < ? "  # noqa: S608
        "AND actual_last_id > 0 AND device_sent_timestamp IS NOT NULL ORDER BY incremental_id DESC, seq DESC LIMIT 1",
        [device, streamer, incremental_id]).fetchall()
    return _entry(rows[0]) if rows else None


def all_states(conn: Conn) -> list[StreamerState]:
    rows = conn.execute(f"SELECT device, streamer, last_id, last_reboot_ts FROM {STATE_TABLE}").fetchall()  # noqa: S608
    return [StreamerState(int(d), int(s), int(last), ts) for d, s, last, ts in rows]
