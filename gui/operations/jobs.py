"""Job list paging, cancel, and the diagnostic ping an operator can start to check the runner."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.app import Appliance
from appliance.jobs.records import JobRecord
from gui.operations import Op

CHECK_ARGS = {"seconds": 3.0, "steps": 10, "label": "started from the Jobs screen"}


@dataclass(frozen=True)
class JobPage:
    total: int
    offset: int
    records: tuple[JobRecord, ...]


def pager(status: str | None, offset: int, limit: int) -> Op[JobPage]:
    async def read(appliance: Appliance) -> JobPage:
        total, records = await appliance.jobs.page(status=status, offset=offset, limit=limit)
        return JobPage(total, offset, tuple(records))

    return read


def canceller(pid: str) -> Op[JobRecord]:
    async def cancel(appliance: Appliance) -> JobRecord:
        return await appliance.jobs.cancel(pid)

    return cancel


def checker(account_id: int | None) -> Op[JobRecord]:
    async def check(appliance: Appliance) -> JobRecord:
        return await appliance.jobs.schedule("ping", CHECK_ARGS, created_by_id=account_id)

    return check


def job_reader(pid: str) -> Op[JobRecord]:
    async def read(appliance: Appliance) -> JobRecord:
        return await appliance.jobs.get(pid)

    return read
