"""Devices for the Devices screen and the dashboard: filtered pages with health, claim and unclaim.

A row joins the device with its project's name and its health status (``devices.status``: OK,
FAIL, UNK, or DSBL when its health check is off, and the time of its last upload). The device
service filters by project and claimed state; the free-text and health filters are applied here
while paging. Serial numbers are read as the device service reads them (``serial``).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.devices import DeviceQuery
from appliance.services.devices_create import serial
from appliance.services.devices_records import DeviceRecord, DeviceStatusRecord
from appliance.services.permissions import Access
from appliance.services.projects import ProjectRecord
from appliance.slugs import DeviceSlug
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.paging import Chunk, matches, scan

LOGGER = logging.getLogger(__name__)
PROJECT_LIMIT = 1000
HEALTH_LABELS = {"OK": "OK", "FAIL": "FAIL", "UNK": "UNK", "DSBL": "Off"}


@dataclass(frozen=True)
class DeviceFilter:
    text: str = ""
    project: str | None = None  # a p-- slug
    unclaimed: bool = False
    health: str | None = None  # OK, FAIL, UNK or DSBL


@dataclass(frozen=True)
class DeviceRow:
    device: DeviceRecord
    project_name: str
    status: DeviceStatusRecord

    @property
    def health(self) -> str:
        return self.status.alert

    @property
    def last_upload(self) -> datetime | None:
        return self.status.last_report_ts


def parse_serial(text: str) -> int:
    """What a keyboard or a barcode scanner typed: 0x1234, d--0000-0000-0000-1234 or decimal digits.
    Pure and quick (safe on the Qt thread); raises ValidationError."""
    return serial("serial number", text.strip())


async def project_names(appliance: Appliance, access: Access) -> dict[int, str]:
    _, projects = await appliance.projects.page(access, list_scope(access), limit=PROJECT_LIMIT)
    return {project.gid: project.name for project in projects}


async def device_rows(appliance: Appliance, access: Access, devices: list[DeviceRecord],
                      names: dict[int, str]) -> list[DeviceRow]:
    statuses = await asyncio.gather(*(appliance.devices.status(access, d.slug) for d in devices))
    return [DeviceRow(device, names.get(device.project_gid, "") if device.project_gid else "", status)
            for device, status in zip(devices, statuses, strict=True)]


def _keep(flt: DeviceFilter, row: DeviceRow) -> bool:
    device = row.device
    if flt.health is not None and row.health != flt.health:
        return False
    return matches(flt.text, device.label, device.slug, f"{device.id:x}", str(device.id), device.external_id,
                   row.project_name)


def device_pager(account: AccountRecord, flt: DeviceFilter, offset: int, want: int) -> Op[Chunk[DeviceRow]]:
    async def read(appliance: Appliance) -> Chunk[DeviceRow]:
        access = await access_for(appliance, account)
        names = await project_names(appliance, access)
        query = DeviceQuery(project=flt.project, claimed="false" if flt.unclaimed else None)

        async def service_page(start: int, limit: int) -> tuple[int, list[DeviceRow]]:
            total, devices = await appliance.devices.page(list_scope(access), query, offset=start, limit=limit)
            return total, await device_rows(appliance, access, devices, names)

        return await scan(service_page, lambda row: _keep(flt, row), offset, want)

    return read


@dataclass(frozen=True)
class Claimed:
    device: str
    project: str


def claimer(account: AccountRecord, device_id: int, project: ProjectRecord) -> Op[Claimed]:
    async def claim(appliance: Appliance) -> Claimed:
        access = await access_for(appliance, account)
        slug = DeviceSlug(device_id).slug
        result = await appliance.devices.claim(access, {"device": slug, "project": project.slug})
        return Claimed(str(result["device"]), project.name)

    return claim


def unclaimer(account: AccountRecord, slug: str, clean_streams: bool) -> Op[str]:
    """Schedules the unclaim job; returns its pid (the screen follows its progress)."""
    async def unclaim(appliance: Appliance) -> str:
        access = await access_for(appliance, account)
        result = await appliance.devices.unclaim(access, slug, {"clean_streams": clean_streams})
        return str(result["pid"])

    return unclaim


def device_choices(account: AccountRecord) -> Op[list[DeviceRecord]]:
    """Devices in a project (only those have streams), for the data explorer's chooser."""
    async def read(appliance: Appliance) -> list[DeviceRecord]:
        access = await access_for(appliance, account)
        _, devices = await appliance.devices.page(list_scope(access), DeviceQuery(claimed="true"),
                                                  limit=PROJECT_LIMIT)
        return devices

    return read
