"""The DuckDB schema of ``streams.duckdb`` and its migrations.

A migration is a function of the connection; ``MIGRATIONS[i]`` brings the file from version ``i``
to ``i + 1`` and runs in its own transaction together with the version bump, so a crash leaves
the file at a version that is true. Later issues append functions (for instance the per-streamer
dedup state, which must live here to commit in the same transaction as the readings it guards).
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import duckdb

from storage.streams import ledger
from storage.streams.errors import StreamStoreError

LOGGER = logging.getLogger(__name__)

Migration = Callable[[duckdb.DuckDBPyConnection], None]

DATA_TABLE = "stream_data"
EVENTS_TABLE = "stream_events"
COUNTERS_TABLE = "counters"
LEVEL_COLUMN = "level"
"""A reading's compaction level (see compaction.py): 0 as written, higher once sorted by stream."""

# No primary keys or indexes: an ART index would slow every batch insert, and DuckDB's per-row-group
# min/max on (project, device, variable, timestamp) does the pruning when rows arrive sorted.
_V1 = (
    f"""CREATE TABLE {DATA_TABLE} (
        id BIGINT NOT NULL,
        project UINTEGER NOT NULL,
        device UBIGINT NOT NULL,
        variable USMALLINT NOT NULL,
        "timestamp" TIMESTAMP NOT NULL,
        device_timestamp BIGINT,
        streamer_local_id BIGINT,
        int_value BIGINT,
        value DOUBLE,
        status UTINYINT NOT NULL DEFAULT 0,
        "type" UTINYINT NOT NULL DEFAULT 0,
        dirty_ts TIMESTAMP
    )""",
    f"""CREATE TABLE {EVENTS_TABLE} (
        id BIGINT NOT NULL,
        project UINTEGER NOT NULL,
        device UBIGINT NOT NULL,
        variable USMALLINT NOT NULL,
        "timestamp" TIMESTAMP,
        device_timestamp BIGINT,
        streamer_local_id BIGINT,
        uuid UUID NOT NULL,
        ext VARCHAR,
        format_version INTEGER,
        extra_data VARCHAR,
        blob_key VARCHAR
    )""",
    # Ids come from here, not max(id): ids deleted by a trim must never be handed out again.
    f"CREATE TABLE {COUNTERS_TABLE} (name VARCHAR NOT NULL, value BIGINT NOT NULL)",
    f"INSERT INTO {COUNTERS_TABLE} VALUES ('{DATA_TABLE}', 1), ('{EVENTS_TABLE}', 1)",  # noqa: S608
)


def _v1_tables(conn: duckdb.DuckDBPyConnection) -> None:
    for statement in _V1:
        conn.execute(statement)


def _v3_level(conn: duckdb.DuckDBPyConnection) -> None:
    conn.execute(f"ALTER TABLE {DATA_TABLE} ADD COLUMN {LEVEL_COLUMN} UTINYINT DEFAULT 0")


MIGRATIONS: tuple[Migration, ...] = (_v1_tables, ledger.create_tables, _v3_level)


def schema_version(conn: duckdb.DuckDBPyConnection) -> int:
    """The version the file is at; 0 for a new file."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
    rows = conn.execute("SELECT max(version) FROM schema_version").fetchall()
    version = rows[0][0]
    return 0 if version is None else int(version)


def migrate(conn: duckdb.DuckDBPyConnection, migrations: tuple[Migration, ...] = MIGRATIONS) -> int:
    """Bring the file up to date and return its version; refuse files written by a newer program."""
    current = schema_version(conn)
    if current > len(migrations):
        raise StreamStoreError(f"streams file is at schema version {current}; this program knows {len(migrations)}")
    for version, step in enumerate(migrations[current:], start=current + 1):
        conn.begin()
        try:
            step(conn)
            conn.execute("INSERT INTO schema_version VALUES (?)", [version])
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        LOGGER.info("streams schema migrated to version %d", version)
    return len(migrations)
