"""Ingest speed, each figure beside its raw limit measured in the same run.

    .venv/bin/python bench/ingest.py [--quick]

1. Large reports (10,000 readings), several concurrent clients over HTTP to a real `serve`
   process: readings/s end to end (acknowledged = durable), vs a bare DuckDB append of the same
   rows from numpy.
2. Small reports (10 readings), 64 concurrent keep-alive clients: uploads/s and p99 latency, vs a
   bare aiohttp handler that reads the same multipart and answers 201, under the same load.
3. Parser alone: ours vs iotile-core's SignedListReport on the same bytes (bench/parser.py).
4. Reads: p95 of lastn=1000 and of a one-day window of one stream, in a store of N readings over
   1,000 streams (50M with --full; the default is smaller so the run stays short), as written
   and after the compaction the periodic job would have run.
5. Bytes on disk per stored reading for the sensor-like data uploaded in 1, as uploaded and after a
   full compaction (whose speed is put beside DuckDB alone sorting the same rows).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import aiohttp
import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_disk import Footprint, bare_sort_seconds, compact, footprint  # noqa: E402
from ingest_pipeline import pipeline_rate  # noqa: E402
from ingest_reads import read_latencies  # noqa: E402
from ingest_setup import prepare, signed_report, upload_time  # noqa: E402

from tests.support.server import Server  # noqa: E402

URL = "/api/v1/streamer/report/"
Upload = tuple[bytes, str]  # a report and its upload timestamp


def out(text: str) -> None:
    print(text, flush=True)  # noqa: T201


async def post(session: aiohttp.ClientSession, url: str, token: str, upload: Upload) -> float:
    body, timestamp = upload
    form = aiohttp.FormData()
    form.add_field("file", body, filename="report.bin")
    started = time.perf_counter()
    async with session.post(url, data=form, params={"timestamp": timestamp},
                            headers={"Authorization": f"jwt {token}"}) as resp:
        await resp.read()
        if resp.status != 201:
            raise RuntimeError(f"upload failed: {resp.status} {await resp.text()}")
    return time.perf_counter() - started


async def run_clients(url: str, token: str, bodies: list[list[Upload]]) -> tuple[float, list[float]]:
    """One keep-alive connection per client, each sending its own reports in order."""
    latencies: list[float] = []

    async def client(mine: list[Upload]) -> None:
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1)) as session:
            for body in mine:
                latencies.append(await post(session, url, token, body))

    started = time.perf_counter()
    await asyncio.gather(*(client(mine) for mine in bodies))
    return time.perf_counter() - started, latencies


def bodies_for(devices: list[int], clients: int, per_client: int, size: int,
               first_streamer: int = 0) -> list[list[Upload]]:
    """Client i owns (device, streamer) = (devices[i % n], first_streamer + i // n): no two clients
    share a streamer."""
    n = len(devices)
    return [[(signed_report(devices[i % n], first_streamer + i // n, 1 + k * size, size, seed=i * 1000 + k),
              upload_time(1 + k * size, size)) for k in range(per_client)]
            for i in range(clients)]


def bare_duckdb_rate(rows: int) -> float:
    rng = np.random.default_rng(1)
    columns = {"project": np.full(rows, 1, np.uint32), "device": np.full(rows, 0x100, np.uint64),
               "variable": np.full(rows, 0x5001, np.uint16),
               "timestamp": np.arange(rows).astype("datetime64[s]").astype("datetime64[us]"),
               "device_timestamp": np.arange(rows, dtype=np.int64),
               "streamer_local_id": np.arange(rows, dtype=np.int64),
               "int_value": rng.integers(0, 4096, rows), "value": rng.random(rows)}
    with tempfile.TemporaryDirectory() as tmp:
        con = duckdb.connect(str(Path(tmp) / "bare.duckdb"))
        con.execute("CREATE TABLE t (project UINTEGER, device UBIGINT, variable USMALLINT, ts TIMESTAMP, "
                    "device_timestamp BIGINT, streamer_local_id BIGINT, int_value BIGINT, value DOUBLE)")
        started = time.perf_counter()
        con.register("d", columns)
        con.execute("INSERT INTO t SELECT * FROM d")
        con.commit()
        elapsed = time.perf_counter() - started
        con.close()
    return rows / elapsed


def large_reports(data: Path, token: str, devices: list[int], reports: int) -> tuple[float, int]:
    server = Server(data)
    try:
        bodies = bodies_for(devices, 4, reports, 10_000)
        elapsed, _ = asyncio.run(run_clients(server.url + URL, token, bodies))
    finally:
        server.stop()
    total = 4 * reports * 10_000
    return total / elapsed, total


def small_reports(data: Path, token: str, devices: list[int], per_client: int) -> tuple[float, float, float, float]:
    """A fresh streamer range per client (uploads start at ids after what earlier phases stored)."""
    bodies = bodies_for(devices, 64, per_client, 10)
    server = Server(data)
    try:
        asyncio.run(run_clients(server.url + URL, token, [mine[:2] for mine in bodies]))  # connections, caches
        elapsed, latencies = asyncio.run(run_clients(server.url + URL, token, [mine[2:] for mine in bodies]))
    finally:
        server.stop()
    bare = subprocess.Popen([sys.executable, str(Path(__file__).parent / "bare_upload_server.py"), "18765"])
    try:
        time.sleep(1.5)
        bare_elapsed, _ = asyncio.run(run_clients("http://127.0.0.1:18765" + URL, token, bodies))
    finally:
        bare.terminate()
        bare.wait()
    uploads = 64 * (per_client - 2)
    return uploads / elapsed, float(np.percentile(latencies, 99) * 1000), 64 * per_client / bare_elapsed, elapsed


def per_reading(now: Footprint, before: Footprint, field: str) -> float:
    return (getattr(now, field) - getattr(before, field)) / max(1, now.readings - before.readings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller runs (CI smoke)")
    parser.add_argument("--full", action="store_true", help="50M readings for the read benchmark")
    args = parser.parse_args()
    devices = [0x4000 + i for i in range(16)]
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        token = prepare(data, devices)
        streams = data / "streams.duckdb"
        empty = footprint(streams)
        reports = 3 if args.quick else 50  # 2M readings: enough that 256 KB blocks do not blur bytes/reading
        rate, total = large_reports(data, token, devices, reports)
        bare = bare_duckdb_rate(total)
        out(f"large reports (10,000 readings, 4 clients): {rate:12,.0f} readings/s   target >= 1,000,000")
        out(f"  bare DuckDB append of the same rows:      {bare:12,.0f} rows/s       ratio {rate / bare:.2f}")
        uploaded = footprint(streams)
        out(f"  bytes on disk per stored reading, as uploaded: live {per_reading(uploaded, empty, 'used'):.2f}, "
            f"file {per_reading(uploaded, empty, 'file'):.2f}")
        bare_sort = bare_sort_seconds(streams)
        seconds = compact(streams)
        compacted = footprint(streams)
        out(f"  after a full compaction ({total / seconds:,.0f} readings/s; DuckDB alone sorting the same rows "
            f"{total / bare_sort:,.0f}/s, ratio {bare_sort / seconds:.2f}):")
        out(f"    live {per_reading(compacted, empty, 'used'):.2f} bytes/reading   target <= 4; "
            f"file {per_reading(compacted, empty, 'file'):.2f} (blocks freed by the merge are reused by later writes)")
        ups, p99, bare_ups, _ = small_reports(data, token, devices, 20 if args.quick else 100)
        out(f"small reports (10 readings, 64 clients):    {ups:12,.0f} uploads/s    target >= 5,000, p99 {p99:.1f} ms")
        out(f"  bare aiohttp multipart handler:           {bare_ups:12,.0f} uploads/s    ratio {ups / bare_ups:.2f}")
        fresh = bodies_for(devices, 64, 20 if args.quick else 100, 10, first_streamer=8)  # streamers not used yet
        in_process, cpu = pipeline_rate(data, token, fresh)
        out(f"  the ingest pipeline alone, in-process:    {in_process:12,.0f} uploads/s    {cpu:.0f} us CPU per upload")
        shutil.rmtree(data, ignore_errors=True)
    subprocess.run([sys.executable, str(Path(__file__).parent / "parser.py"), "--repeat", "10"], check=False)
    rows = 50_000_000 if args.full else (2_000_000 if args.quick else 10_000_000)
    (lastn, window), (lastn_c, window_c), seconds = read_latencies(rows)
    out(f"reads over {rows:,} readings / 1,000 streams, as written:   p95 lastn=1000 {lastn:.1f} ms, "
        f"p95 one-day window {window:.1f} ms")
    out(f"  after compaction ({rows / seconds:,.0f} readings/s): p95 lastn=1000 {lastn_c:.1f} ms, "
        f"p95 one-day window {window_c:.1f} ms   target < 20 ms")


if __name__ == "__main__":
    main()
