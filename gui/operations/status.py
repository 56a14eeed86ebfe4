"""The figures of the always-visible status bar, read in one trip to the core.

Figures whose service does not exist in this build have a reader that returns None, shown as "—":
an operator must never read a made-up number. Wiring one in is replacing its reader. Uploads in the
last minute are counted on the Qt side from the ingest pipeline's events (gui/status.py), so the core
read leaves them None.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from appliance.app import Appliance
from appliance.jobs.records import QUEUED, RUNNING
from gui.netaddr import local_only, upload_urls

CountReader = Callable[[Appliance], Awaitable[int | None]]


@dataclass(frozen=True)
class StatusSnapshot:
    urls: tuple[str, ...]
    local_only: bool
    serving: bool
    running_jobs: int
    queued_jobs: int
    disk_free: int
    disk_total: int
    uploads_last_minute: int | None
    readings_today: int | None
    failing_devices: int | None


async def not_counted(appliance: Appliance) -> int | None:
    """No service of this build counts this figure yet."""
    return None


READINGS_TODAY: CountReader = not_counted
FAILING_DEVICES: CountReader = not_counted


async def job_count(appliance: Appliance, status: str) -> int:
    total, _ = await appliance.jobs.page(status=status, limit=1)
    return total


async def read_status(appliance: Appliance) -> StatusSnapshot:
    bound = list(appliance.http_addresses)
    urls = await asyncio.to_thread(upload_urls, bound)
    usage = await asyncio.to_thread(shutil.disk_usage, appliance.data_dir.root)
    return StatusSnapshot(
        urls=tuple(urls), local_only=local_only(bound), serving=bool(bound),
        running_jobs=await job_count(appliance, RUNNING), queued_jobs=await job_count(appliance, QUEUED),
        disk_free=usage.free, disk_total=usage.total,
        uploads_last_minute=None,
        readings_today=await READINGS_TODAY(appliance),
        failing_devices=await FAILING_DEVICES(appliance),
    )
