"""The read half of bench/ingest.py: a store of N readings over 1,000 streams, then p95 latencies."""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.streams import DataBatch, StreamSelector, StreamStore  # noqa: E402

STREAMS = 1000
START = datetime(2026, 1, 1)


def fill(store: StreamStore, rows: int) -> None:
    """Every stream gets rows/1000 readings, one a minute, appended in time order like real uploads."""
    per_stream = rows // STREAMS
    chunk = 100
    stream_ids = np.arange(STREAMS)
    pending = []
    for start in range(0, per_stream, chunk):
        count = min(chunk, per_stream - start)
        minutes = np.tile(np.arange(start, start + count), STREAMS)
        ids = np.repeat(stream_ids, count)
        pending.append(store.append_data(DataBatch(
            project=np.full(len(ids), 1, np.uint32), device=(0x100 + ids // 4).astype(np.uint64),
            variable=(0x5001 + ids % 4).astype(np.uint16),
            timestamp=(np.datetime64(START, "us") + minutes.astype("timedelta64[m]")).astype("datetime64[us]"),
            streamer_local_id=minutes.astype(np.int64), int_value=(2200 + minutes % 50).astype(np.int64),
            value=(22.0 + (minutes % 50) / 100).astype(np.float64))))
    for future in pending:  # every batch committed before any read is timed
        future.result()


def p95(fn: object, queries: int = 200) -> float:
    timings = []
    for i in range(queries):
        started = time.perf_counter()
        fn(i)  # type: ignore[operator]
        timings.append(time.perf_counter() - started)
    return float(np.percentile(timings, 95) * 1000)


def read_latencies(rows: int) -> tuple[tuple[float, float], tuple[float, float], float]:
    """p95 (lastn, window) as written, then after the compaction the appliance's periodic job
    would have run by then (default policy), and that compaction's seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        store = StreamStore(Path(tmp) / "reads.duckdb")
        store.open()
        try:
            fill(store, rows)
            days = max(1, rows // STREAMS // 1440)

            def lastn(i: int) -> None:
                store.query_data(StreamSelector(1, 0x100 + (i * 37 % STREAMS) // 4, 0x5001 + i % 4), lastn=1000)

            def window(i: int) -> None:
                day = START + timedelta(days=i % days)
                store.query_data(StreamSelector(1, 0x100 + (i * 37 % STREAMS) // 4, 0x5001 + i % 4),
                                 start=day, end=day + timedelta(days=1))

            written = (p95(lastn), p95(window))
            started = time.perf_counter()
            store.compact()
            seconds = time.perf_counter() - started
            return written, (p95(lastn), p95(window)), seconds
        finally:
            store.close()
