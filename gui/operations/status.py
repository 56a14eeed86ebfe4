"""The figures of the always-visible status bar, read in one trip to the core.

A figure that cannot be counted exactly is None, shown as "—": an operator must never read a
made-up number. Uploads in the last minute are counted on the Qt side from the ingest pipeline's
events (gui/status.py), so the core read leaves them None. "Readings today" and "devices failing"
are counted for the signed-in operator (what they may see) by the data and device services; with
nobody signed in, without the right to read data, or past the limits below they stay None. Neither
service counts in one query yet (one count per project, one status read per device), hence the
limits and the poller reading them less often than the rest.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from appliance.app import Appliance
from appliance.errors import PermissionDenied
from appliance.jobs.records import QUEUED, RUNNING
from appliance.services.accounts import AccountRecord
from appliance.services.data import ReadQuery
from appliance.services.devices import DeviceQuery
from appliance.services.permissions import Access
from gui.netaddr import local_only, upload_urls
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.series import readings_of

CountReader = Callable[[Appliance, Access], Awaitable[int | None]]
COUNT_PROJECTS_MAX = 200
COUNT_DEVICES_MAX = 2000


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


def local_midnight(now: datetime | None = None) -> datetime:
    current = (now or datetime.now().astimezone()).astimezone()
    return current.replace(hour=0, minute=0, second=0, microsecond=0)


async def readings_today(appliance: Appliance, access: Access) -> int | None:
    """Readings timed since local midnight in every project the operator sees, by the data service."""
    _, projects = await appliance.projects.page(access, list_scope(access), limit=COUNT_PROJECTS_MAX + 1)
    if len(projects) > COUNT_PROJECTS_MAX:
        return None
    readings, query = readings_of(appliance), ReadQuery(start=local_midnight(), limit=0)
    total = 0
    for project in projects:
        try:
            total += (await readings.data_page(access, project.slug, query)).total
        except PermissionDenied:  # an Operator may not read data: no figure rather than a partial one
            return None
    return total


async def failing_devices(appliance: Appliance, access: Access) -> int | None:
    """Devices whose health check says FAIL (late with their uploads)."""
    total, devices = await appliance.devices.page(list_scope(access), DeviceQuery(), limit=COUNT_DEVICES_MAX)
    if total > len(devices):
        return None
    statuses = await asyncio.gather(*(appliance.devices.status(access, d.slug) for d in devices))
    return sum(1 for status in statuses if status.alert == "FAIL")


READINGS_TODAY: CountReader = readings_today
FAILING_DEVICES: CountReader = failing_devices


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
        uploads_last_minute=None, readings_today=None, failing_devices=None,
    )


def status_reader(account: AccountRecord | None, with_counts: bool) -> Op[StatusSnapshot]:
    """The status read, with the operator's counts when ``with_counts`` (they cost more)."""
    async def read(appliance: Appliance) -> StatusSnapshot:
        snapshot = await read_status(appliance)
        if account is None or not with_counts:
            return snapshot
        access = await access_for(appliance, account)
        return replace(snapshot, readings_today=await READINGS_TODAY(appliance, access),
                       failing_devices=await FAILING_DEVICES(appliance, access))

    return read
