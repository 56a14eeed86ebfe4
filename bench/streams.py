"""Stream store ingest against the raw DuckDB limit measured in the same run.

    .venv/bin/python bench/streams.py [--rows 2000000] [--streams 100] [--batch 100000]

(a) bare DuckDB: one ``INSERT INTO t SELECT * FROM <dict of numpy arrays>`` + commit on a fresh
    file (and the same from an Arrow table, which is DuckDB's fastest scan here);
(b) ``StreamStore.append_data`` on a fresh file in batches, every batch submitted at once and all
    futures awaited (validation, sorting and id assignment included), and again one batch at a time.
The ratio (b)/(a) is the figure to watch (target >= 0.8). Bytes per reading on disk and read
latencies (lastn=1000, a one-hour window) are printed for information; tests never assert timings.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.streams import DataBatch, StreamSelector, StreamStore  # noqa: E402

T0 = np.datetime64("2024-01-01T00:00:00", "us")
VARIABLES_PER_DEVICE = 10
RAW_DDL = """CREATE TABLE stream_data (id BIGINT, project UINTEGER, device UBIGINT, variable USMALLINT,
    "timestamp" TIMESTAMP, device_timestamp BIGINT, streamer_local_id BIGINT, int_value BIGINT, value DOUBLE,
    status UTINYINT, "type" UTINYINT, dirty_ts TIMESTAMP)"""


def generate(rows: int, streams: int, *, by_stream: bool = False, seed: int = 1) -> dict[str, np.ndarray]:
    """One reading per stream per second. By default interleaved across all streams in time order,
    as a bulk import delivers them: the store must re-sort every batch (its worst case, and a
    layout that compresses worse). ``by_stream`` yields each stream's readings contiguously, the
    store's own order, which isolates its overhead from the cost of the data order."""
    rng = np.random.default_rng(seed)
    index = np.arange(rows)
    stream, tick = index % streams, index // streams
    if by_stream:
        per_stream = -(-rows // streams)
        stream, tick = index // per_stream, index % per_stream
    raw = rng.integers(0, 4096, rows)
    return {
        "project": np.full(rows, 1, np.uint32),
        "device": (0x1000 + stream // VARIABLES_PER_DEVICE).astype(np.uint64),
        "variable": (0x5001 + stream % VARIABLES_PER_DEVICE).astype(np.uint16),
        "timestamp": T0 + tick.astype("timedelta64[s]"),
        "device_timestamp": tick.astype(np.int64),
        "streamer_local_id": (tick + 1).astype(np.int64),
        "int_value": raw.astype(np.int64),
        "value": raw * 0.1,
        "status": np.ones(rows, np.uint8),
        "type": np.zeros(rows, np.uint8),
    }


def timed(fn: Callable[[], Any]) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def bare(path: Path, source: Any) -> float:
    """Seconds for one INSERT ... SELECT from ``source`` plus its commit, on a fresh file."""
    conn = duckdb.connect(str(path))
    try:
        conn.execute(RAW_DDL)
        conn.register("source", source)

        def insert() -> None:
            conn.begin()
            conn.execute("INSERT INTO stream_data SELECT * FROM source")
            conn.commit()

        return timed(insert)
    finally:
        conn.close()


def raw_sources(columns: dict[str, np.ndarray]) -> tuple[dict[str, np.ndarray], pa.Table]:
    rows = len(columns["project"])
    as_numpy = {
        "id": np.arange(1, rows + 1, dtype=np.int64),
        **columns,
        "dirty_ts": np.full(rows, np.datetime64("NaT"), "datetime64[us]"),
    }
    as_arrow = pa.table({name: pa.array(values) for name, values in as_numpy.items()})
    return as_numpy, as_arrow


def batches(columns: dict[str, np.ndarray], size: int) -> list[DataBatch]:
    rows = len(columns["project"])
    return [
        DataBatch(**{name: values[start : start + size] for name, values in columns.items()})
        for start in range(0, rows, size)
    ]


def through_store(path: Path, parts: list[DataBatch], *, pipelined: bool) -> tuple[float, StreamStore]:
    store = StreamStore(path)
    store.open()

    def append_all() -> None:
        if pipelined:
            futures = [store.append_data(part) for part in parts]
            for future in futures:
                future.result()
        else:
            for part in parts:
                store.append_data(part).result()

    return timed(append_all), store


def read_latencies(store: StreamStore, streams: int, queries: int = 50) -> dict[str, float]:
    rng = np.random.default_rng(2)
    picks = rng.integers(0, streams, queries)
    selectors = [
        StreamSelector(1, 0x1000 + int(s) // VARIABLES_PER_DEVICE, 0x5001 + int(s) % VARIABLES_PER_DEVICE)
        for s in picks
    ]
    start = T0.astype(object)
    end = (T0 + np.timedelta64(1, "h")).astype(object)
    lastn = [timed(lambda s=s: store.query_data(s, lastn=1000)) for s in selectors]
    window = [timed(lambda s=s: store.query_data(s, start=start, end=end)) for s in selectors]
    return {"lastn=1000": np.percentile(lastn, 95) * 1e3, "one-hour window": np.percentile(window, 95) * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=2_000_000)
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--batch", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (shared machines are noisy)")
    parser.add_argument("--dir", type=Path, default=None, help="where to put the files (default: a temp dir)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        run(Path(tmp), args.rows, args.streams, args.batch, args.repeat)


def measure_once(tmp: Path, columns: dict[str, np.ndarray], batch: int, *, full: bool) -> dict[str, Any]:
    """Seconds for each way in, on fresh files; ``full`` adds Arrow, one-at-a-time and reads."""
    as_numpy, as_arrow = raw_sources(columns)
    parts = batches(columns, batch)
    found: dict[str, Any] = {"numpy": bare(tmp / "raw_numpy.duckdb", as_numpy)}
    found["pipelined"], store = through_store(tmp / "streams.duckdb", parts, pipelined=True)
    if full:
        found["latencies"] = read_latencies(store, len(np.unique(columns["device"])) * VARIABLES_PER_DEVICE)
        found["arrow"] = bare(tmp / "raw_arrow.duckdb", as_arrow)
        found["serial"], serial = through_store(tmp / "serial.duckdb", parts, pipelined=False)
        serial.close()
    store.close()
    found["bytes"] = (tmp / "streams.duckdb").stat().st_size
    for path in tmp.glob("*.duckdb*"):
        path.unlink()
    return found


def best_of(runs: list[dict[str, Any]], rows: int) -> dict[str, float]:
    """Rows per second of the fastest run of each method."""
    names = {name for run in runs for name in run if name not in ("latencies", "bytes")}
    return {name: rows / min(run[name] for run in runs if name in run) for name in names}


def run(tmp: Path, rows: int, streams: int, batch: int, repeat: int) -> None:
    repeat = max(repeat, 1)
    mixed, ordered = generate(rows, streams), generate(rows, streams, by_stream=True)
    runs = [measure_once(tmp, mixed, batch, full=True) for _ in range(repeat)]
    sorted_runs = [measure_once(tmp, ordered, batch, full=False) for _ in range(repeat)]
    speed, presorted = best_of(runs, rows), best_of(sorted_runs, rows)
    out = sys.stdout.write
    out(f"{rows:,} readings over {streams} streams, store batches of {batch:,}, best of {repeat}\n")
    out("input interleaved across streams (the store re-sorts each batch):\n")
    out(f"  bare DuckDB, dict of numpy : {speed['numpy']:>12,.0f} rows/s\n")
    out(f"  bare DuckDB, Arrow table   : {speed['arrow']:>12,.0f} rows/s\n")
    out(f"  StreamStore, pipelined     : {speed['pipelined']:>12,.0f} rows/s\n")
    out(f"  StreamStore, one at a time : {speed['serial']:>12,.0f} rows/s\n")
    out(f"  ratio vs numpy dict        : {speed['pipelined'] / speed['numpy']:.2f} (target >= 0.8)\n")
    out(f"  ratio vs Arrow             : {speed['pipelined'] / speed['arrow']:.2f}\n")
    out(f"  on disk                    : {runs[-1]['bytes'] / rows:.2f} bytes/reading\n")
    for name, p95 in runs[-1]["latencies"].items():
        out(f"  p95 {name:<22} : {p95:.1f} ms\n")
    out("input already in stream order (store overhead only):\n")
    out(f"  bare DuckDB, dict of numpy : {presorted['numpy']:>12,.0f} rows/s\n")
    out(f"  StreamStore, pipelined     : {presorted['pipelined']:>12,.0f} rows/s\n")
    out(f"  ratio vs numpy dict        : {presorted['pipelined'] / presorted['numpy']:.2f} (target >= 0.8)\n")
    out(f"  on disk                    : {sorted_runs[-1]['bytes'] / rows:.2f} bytes/reading\n")


if __name__ == "__main__":
    main()
