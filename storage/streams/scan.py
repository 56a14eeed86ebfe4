"""Handing an Arrow table to one DuckDB statement with a single call into DuckDB."""

from __future__ import annotations

import duckdb
import pyarrow as pa  # type: ignore[import-untyped]


def scan_rows(conn: duckdb.DuckDBPyConnection, sql: str, _scan: pa.Table) -> None:
    """Run ``sql``, which reads the Arrow table ``_scan`` by name: DuckDB's replacement scan finds
    it among this frame's variables. Registering a view and dropping it again cost two more calls
    into DuckDB, and each call from the writer thread must win the GIL back from the event loop:
    per group commit under upload load that measured about twice as slow (docs/storage.md)."""
    conn.execute(sql)
