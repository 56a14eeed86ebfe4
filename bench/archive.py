"""Archive throughput: readings re-keyed per second when a device holding 10M readings is archived
into a data block, beside the raw limit measured in the same run.

    .venv/bin/python -m bench.archive [--readings 10000000] [--others 1000000] [--repeat 3] [--quick]

(a) bare DuckDB, no appliance: the same rows in a fresh file with the appliance's own tables, then
    one ``UPDATE stream_data SET project, device WHERE project = ? AND device = ?`` and its commit
    (the statement the archive runs); ``INSERT ... SELECT`` + ``DELETE`` of the same rows is
    printed too, as the other way to re-key;
(b) the appliance: ``DataBlocks.create`` (what ``POST datablock/`` calls) to the archive job's
    ``done``: checks, block row, busy device, the job queue, the re-key with the ingest ledger in one
    DuckDB transaction, and the metadata step (streams, annotations, streamers, note, state).
Readings per second of (b) over (a) is the figure to watch. Between runs of (b) the rows are moved
back (not timed), so every run archives the same 10M readings into the next block.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.app import Appliance  # noqa: E402
from appliance.services.auth import Principal  # noqa: E402
from appliance.slugs import DeviceSlug  # noqa: E402
from storage.streams import DataBatch, StreamSelector, rekey  # noqa: E402
from storage.streams.schema import migrate  # noqa: E402
from tests.support.devices import claimed_device  # noqa: E402
from tests.support.world import build_world  # noqa: E402

DEVICE, OTHER = 0x1234, 0x5678
VARIABLES = 10
BATCH = 1_000_000
T0 = np.datetime64("2024-01-01T00:00:00", "us")


def readings(device: int, project: int, start: int, count: int) -> DataBatch:
    """``count`` readings of one device across VARIABLES streams, one per stream per second."""
    index = np.arange(start, start + count)
    values = (2200 + (index % 97)).astype(np.int64)
    return DataBatch(project=np.full(count, project, np.uint32), device=np.full(count, device, np.uint64),
                     variable=(0x5001 + index % VARIABLES).astype(np.uint16),
                     timestamp=T0 + (index // VARIABLES).astype("timedelta64[s]"),
                     streamer_local_id=index + 1, int_value=values, value=values * 0.01,
                     status=np.ones(count, np.uint8))


def batches(device: int, project: int, total: int) -> list[DataBatch]:
    return [readings(device, project, start, min(BATCH, total - start)) for start in range(0, total, BATCH)]


def bare_rates(path: Path, parts: list[DataBatch], project: int, moved: int, repeat: int) -> dict[str, float]:
    """Rows per second of the bare statements, best of ``repeat``, on the appliance's schema."""
    conn = duckdb.connect(str(path))
    try:
        migrate(conn)
        for n, part in enumerate(parts):
            columns = {name: value for name, value in vars(part).items() if value is not None}
            conn.register("part", {"id": np.arange(n * BATCH, n * BATCH + len(part), dtype=np.int64), **columns})
            names = ", ".join(f'"{name}"' for name in ["id", *columns])
            conn.execute(f"INSERT INTO stream_data ({names}) SELECT * FROM part")  # noqa: S608
            conn.unregister("part")
        conn.execute("CHECKPOINT")
        block = (1 << 48) | DEVICE
        update = min(_timed(conn, [("UPDATE stream_data SET project = ?, device = ? WHERE project = ? AND device = ?",
                                    [0, block, project, DEVICE]),
                                   ("UPDATE stream_data SET project = ?, device = ? WHERE project = ? AND device = ?",
                                    [project, DEVICE, 0, block])])[0] for _ in range(repeat))
        copy = sum(_timed(conn, [
            ("INSERT INTO stream_data SELECT id, 0, ?, variable, \"timestamp\", device_timestamp, streamer_local_id, "
             "int_value, value, status, \"type\", dirty_ts FROM stream_data WHERE project = ? AND device = ?",
             [block, project, DEVICE]),
            ("DELETE FROM stream_data WHERE project = ? AND device = ?", [project, DEVICE])]))
        return {"update": moved / update, "insert_delete": moved / copy}
    finally:
        conn.close()


def _timed(conn: duckdb.DuckDBPyConnection, statements: list[tuple[str, list[Any]]]) -> list[float]:
    """Seconds of each statement with its own commit."""
    seconds = []
    for sql, params in statements:
        started = time.perf_counter()
        conn.begin()
        conn.execute(sql, params)
        conn.commit()
        seconds.append(time.perf_counter() - started)
    return seconds


async def appliance_rate(data: Path, total: int, others: int, repeat: int) -> tuple[float, dict[str, Any]]:
    appliance = Appliance(data, serve_http=False, console_logging=False,
                          overrides={"secrets.backend": "file", "logging.level": "WARNING",
                                     "catalogue.seed_defaults": False})
    await appliance.start()
    try:
        world = await build_world(appliance)
        device = await claimed_device(appliance, world.org.id, DEVICE, lids=range(0x5001, 0x5001 + VARIABLES))
        await claimed_device(appliance, world.org.id, OTHER)
        for part in [*batches(DEVICE, device.project_gid, total), *batches(OTHER, device.project_gid + 1, others)]:
            await asyncio.wrap_future(appliance.streams.append_data(part))
        access = await appliance.orgs.access_for(Principal("jwt", world.users["a0"]))
        best, result = float("inf"), {}
        for run in range(repeat):
            started = time.perf_counter()
            _, pid = await appliance.datablocks.create(access, {"device": DeviceSlug(DEVICE).slug, "title": "bench"})
            job = await appliance.jobs.wait(pid, timeout=3600)
            elapsed = time.perf_counter() - started
            assert job.status == "done" and job.result and job.result["readings"] == total, job.error
            best, result = min(best, elapsed), job.result
            back = rekey.Rekey(0, ((run + 1) << 48) | DEVICE, device.project_gid, DEVICE)
            await asyncio.wrap_future(appliance.streams.write(lambda w, move=back: rekey.move_rows(w.conn, move)))
        left = appliance.streams.count_data(StreamSelector(device=OTHER))
        assert left == others, "the archive touched another device"
        return total / best, result
    finally:
        await appliance.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--readings", type=int, default=10_000_000)
    parser.add_argument("--others", type=int, default=1_000_000, help="readings of another device, left alone")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (shared machines are noisy)")
    parser.add_argument("--quick", action="store_true", help="1M readings, one run (smoke)")
    args = parser.parse_args()
    if args.quick:
        args.readings, args.others, args.repeat = 1_000_000, 100_000, 1
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory() as tmp:
        raw = bare_rates(Path(tmp) / "bare.duckdb",
                         [*batches(DEVICE, 1, args.readings), *batches(OTHER, 2, args.others)], 1, args.readings,
                         max(args.repeat, 1))
        rate, result = asyncio.run(appliance_rate(Path(tmp) / "data", args.readings, args.others,
                                                  max(args.repeat, 1)))
    out = sys.stdout.write
    out(f"archive of one device holding {args.readings:,} readings ({args.others:,} of another device beside), "
        f"best of {max(args.repeat, 1)}\n")
    out(f"  bare DuckDB UPDATE (the raw limit)    : {raw['update']:>14,.0f} readings/s\n")
    out(f"  bare DuckDB INSERT SELECT + DELETE    : {raw['insert_delete']:>14,.0f} readings/s\n")
    out(f"  appliance: POST datablock/ to done    : {rate:>14,.0f} readings/s "
        f"({args.readings / rate:.2f} s)\n")
    out(f"  ratio appliance / raw UPDATE          : {rate / raw['update']:.2f}\n")
    out(f"  job result: readings {result['readings']:,}, streams {result['streams']}, "
        f"ledger entries {result['ledger_entries']}\n")


if __name__ == "__main__":
    main()
