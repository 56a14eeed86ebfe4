"""Job queue throughput and enqueue-to-start latency, beside the metadata store's raw commit rate.

Run: .venv/bin/python bench/jobs.py [--jobs 2000]
Every job state change is a durable SQLite commit (synchronous=FULL), so the raw limit printed
beside the throughput is the rate of back-to-back commits on the same store in the same run.
Latency is measured separately at light load (one job at a time), where it means something.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from appliance.app import Appliance
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import JobKind, JobResult
from appliance.jobs.records import JobChanged


async def _noop(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    return None


async def raw_commit_rate(appliance: Appliance, n: int) -> float:
    started = time.perf_counter()
    for _ in range(n):
        await asyncio.wrap_future(appliance.metadata.write(lambda s: None))
    return n / (time.perf_counter() - started)


async def light_load_latency(appliance: Appliance, n: int) -> list[float]:
    latencies: list[float] = []
    for _ in range(n):
        started = time.perf_counter()
        record = await appliance.jobs.schedule("noop")
        running = asyncio.Event()

        def on_change(event: JobChanged, pid: str = record.pid, started_event: asyncio.Event = running) -> None:
            if event.pid == pid and event.status != "queued":
                started_event.set()

        unsubscribe = appliance.events.subscribe(JobChanged, on_change)
        await asyncio.wait_for(running.wait(), 30)
        latencies.append(time.perf_counter() - started)
        unsubscribe()
        await appliance.jobs.wait(record.pid)
    return latencies


async def throughput(appliance: Appliance, n: int) -> float:
    done = asyncio.Event()
    finished = 0

    def on_change(event: JobChanged) -> None:
        nonlocal finished
        if event.status == "done":
            finished += 1
            if finished == n:
                done.set()

    unsubscribe = appliance.events.subscribe(JobChanged, on_change)
    started = time.perf_counter()
    await asyncio.gather(*(appliance.jobs.schedule("noop") for _ in range(n)))
    await asyncio.wait_for(done.wait(), timeout=600)
    unsubscribe()
    return n / (time.perf_counter() - started)


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else float("nan")


async def main(n: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        appliance = Appliance(Path(tmp), serve_http=False, console_logging=False,
                              overrides={"secrets.backend": "file", "logging.level": "WARNING",
                                         "jobs.workers": 8})
        appliance.jobs.register(JobKind(name="noop", execute=_noop, concurrency=8))
        await appliance.start()
        try:
            raw = await raw_commit_rate(appliance, 500)
            rate = await throughput(appliance, n)
            latencies = await light_load_latency(appliance, 200)
        finally:
            await appliance.stop()
    print(f"no-op jobs:        {rate:8.0f} jobs/s ({n} queued at once, enqueue to done)")  # noqa: T201
    print(f"raw SQLite commits:{raw:8.0f} commits/s (same store, back to back)")  # noqa: T201
    print(f"ratio jobs/s : commits/s = {rate / raw:.2f} (each job needs 3 state changes; group commit "  # noqa: T201
          "shares commits between jobs)")
    print(f"enqueue -> start latency at light load: p50 {pct(latencies, 50):.1f} ms, "  # noqa: T201
          f"p99 {pct(latencies, 99):.1f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=2000)
    asyncio.run(main(parser.parse_args().jobs))
