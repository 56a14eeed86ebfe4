"""The small-upload half of bench/ingest.py without HTTP: the ingest pipeline called in-process by
64 concurrent tasks, so the small-report figure can be split into pipeline and HTTP costs."""

from __future__ import annotations

import asyncio
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.app import Appliance  # noqa: E402
from appliance.runtime import settle_memory  # noqa: E402

Upload = tuple[bytes, str]  # a report and its upload timestamp


def pipeline_rate(data: Path, token: str, bodies: list[list[Upload]]) -> tuple[float, float]:
    """Uploads/s and CPU microseconds per upload (all threads) of ``Ingest.upload`` alone."""
    return asyncio.run(_run(data, token, bodies))


async def _run(data: Path, token: str, bodies: list[list[Upload]]) -> tuple[float, float]:
    appliance = Appliance(data, serve_http=False, run_jobs=False, console_logging=False)
    await appliance.start()
    settle_memory()
    try:
        who = await appliance.authenticator.from_header(f"jwt {token}")

        async def client(mine: list[Upload]) -> None:
            for body, stamp in mine:
                received = datetime.fromisoformat(stamp).replace(tzinfo=timezone.utc)
                await appliance.ingest.upload(body, "report.bin", received, principal=who,
                                              access=lambda: appliance.orgs.access_for(who))

        cpu, started = time.process_time(), time.perf_counter()
        await asyncio.gather(*(client(mine) for mine in bodies))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    finally:
        await appliance.stop()
    uploads = sum(len(mine) for mine in bodies)
    return uploads / elapsed, 1e6 * cpu / uploads
