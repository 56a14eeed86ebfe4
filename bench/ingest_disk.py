"""The on-disk half of bench/ingest.py: bytes per reading as uploaded and after compaction.

Sizes are growth over the store as it was before the uploads (schema, ledger and counters are a
fixed cost, not a per-reading one). "Live" counts DuckDB's used blocks; "file" counts the file,
which keeps the blocks a merge freed until later writes reuse them (DuckDB never shrinks a file
from the middle).
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.streams import StreamStore  # noqa: E402


@dataclass(frozen=True)
class Footprint:
    file: int
    used: int
    readings: int


def footprint(path: Path) -> Footprint:
    con = duckdb.connect(str(path), read_only=True)
    try:
        row = con.execute("SELECT block_size * used_blocks FROM pragma_database_size()").fetchone()
        count = con.execute("SELECT count(*) FROM stream_data").fetchone()
    finally:
        con.close()
    assert row is not None and count is not None
    return Footprint(path.stat().st_size, int(row[0]), int(count[0]))


def compact(path: Path) -> float:
    """A full compaction (as the ``compact_streams`` job with full=true); returns its seconds."""
    with StreamStore(path) as store:
        started = time.perf_counter()
        store.compact(full=True)
        return time.perf_counter() - started


def bare_sort_seconds(path: Path) -> float:
    """DuckDB alone writing the same rows sorted by stream into a new table (in a copy of the file,
    so the store measured afterwards is untouched)."""
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / path.name
        shutil.copyfile(path, copy)
        con = duckdb.connect(str(copy))
        try:
            started = time.perf_counter()
            con.execute('CREATE TABLE bare_sorted AS SELECT * FROM stream_data '
                        'ORDER BY project, device, variable, "timestamp", streamer_local_id, id')
            con.execute("CHECKPOINT")
            return time.perf_counter() - started
        finally:
            con.close()
