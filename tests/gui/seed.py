"""Data for the GUI tests, made through the services (and tests/support for what they cannot do yet):
an org with a project, registered devices, a claimed device with streams, readings, and reports
uploaded over real HTTP with an operator's token."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import requests
from iotile.core.hw.reports import IOTileReading, SignedListReport

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.auth import Principal
from appliance.services.orgs import OrgRecord
from appliance.services.projects import ProjectRecord
from appliance.slugs import StreamSlug
from gui.bridge import CoreThread
from storage.metadata import DeviceStatus
from storage.streams import DataBatch
from tests.gui.conftest import call
from tests.support.devices import ClaimedDevice, claimed_device

STREAM = 0x5001


@dataclass(frozen=True)
class Site:
    owner: AccountRecord
    org: OrgRecord
    project: ProjectRecord


def site(core: CoreThread, owner: AccountRecord, project_name: str = "Line 1") -> Site:
    async def make(appliance: Appliance) -> Site:
        org = await appliance.orgs.create("Acme Factory", created_by_id=owner.id)
        access = await appliance.orgs.access_for(Principal("gui", owner))
        project = await appliance.projects.create(access, {"name": project_name, "org": org.slug})
        return Site(owner, org, project)

    return call(core, make)


def projects(core: CoreThread, owner: AccountRecord, org_slug: str, *names: str) -> None:
    async def make(appliance: Appliance) -> None:
        access = await appliance.orgs.access_for(Principal("gui", owner))
        for name in names:
            await appliance.projects.create(access, {"name": name, "org": org_slug})

    call(core, make)


def register(core: CoreThread, owner: AccountRecord, *device_ids: int) -> None:
    async def make(appliance: Appliance) -> None:
        access = await appliance.orgs.access_for(Principal("gui", owner))
        await appliance.devices.create(access, [{"id": device_id} for device_id in device_ids])

    call(core, make)


def claimed(core: CoreThread, org_id: int, device_id: int, lids: tuple[int, ...] = (STREAM,)) -> ClaimedDevice:
    return call(core, lambda a: claimed_device(a, org_id, device_id, lids=lids))


def stream_slug(device: ClaimedDevice, lid: int = STREAM) -> str:
    return StreamSlug(device.project_gid, device.device_id, lid).slug


def add_readings(core: CoreThread, device: ClaimedDevice, count: int, *, first: datetime,
                 step: float = 10.0, lid: int = STREAM, values: np.ndarray | None = None) -> None:
    """Readings written as the ingest pipeline writes them (one numpy batch); the values are
    ``sin(i / 50) * 10`` unless given."""
    start = np.datetime64(first.astimezone(timezone.utc).replace(tzinfo=None), "us")
    times = start + (np.arange(count) * step * 1e6).astype("timedelta64[us]")
    batch = DataBatch(project=np.full(count, device.project_gid, np.uint32),
                      device=np.full(count, device.device_id, np.uint64), variable=np.full(count, lid, np.uint16),
                      timestamp=times, streamer_local_id=np.arange(1, count + 1, dtype=np.int64),
                      int_value=np.arange(count, dtype=np.int64),
                      value=np.sin(np.arange(count) / 50.0) * 10.0 if values is None else values)

    async def write(appliance: Appliance) -> None:
        await asyncio.wrap_future(appliance.streams.append_data(batch))

    call(core, write)


def temperatures(count: int, step: float, *, spikes: int = 4) -> np.ndarray:
    """A day-and-night cycle with sensor noise and a few short spikes: what an operator plots."""
    rng = np.random.default_rng(11)
    hours = np.arange(count) * step / 3600.0
    values = 21.0 + 4.0 * np.sin(2 * np.pi * hours / 24.0) + rng.normal(0.0, 0.25, count)
    for index in rng.choice(count, spikes, replace=False):
        values[index:index + 3] += 9.0
    return values


def set_status(core: CoreThread, device_id: int, *, last_report: datetime | None, period: int = 3600) -> None:
    def change(session: object) -> None:
        status = session.get(DeviceStatus, device_id)  # type: ignore[attr-defined]
        status.health_check_enabled, status.health_check_period = True, period
        status.last_report_ts = last_report

    async def write(appliance: Appliance) -> None:
        await asyncio.wrap_future(appliance.metadata.write(change))

    call(core, write)


def operator_token(core: CoreThread, org_id: int) -> str:
    """A JWT of an Operator (r1) of the org: the role of a gateway or a factory uploader."""
    async def make(appliance: Appliance) -> str:
        account = await appliance.accounts.create("uploader@acme.example", "uploader-pass-1", username="uploader")
        await appliance.orgs.add_member(org_id, account.id, "r1")
        return appliance.jwt.issue(account.id, account.username, account.email)

    return call(core, make)


def upload(core: CoreThread, token: str, device_id: int, first_id: int, count: int, *,
           lid: int = STREAM) -> datetime:
    """POST a SignedListReport built by iotile-core to the appliance's real HTTP port; the readings
    are timed over the last ``count`` seconds. Returns the time the report says it was received."""
    sent = 10_000
    readings = [IOTileReading(sent - count + i, lid, 1000 + i, reading_id=first_id + i) for i in range(count)]
    report = SignedListReport.FromReadings(device_id, readings, report_id=first_id + count, selector=0xD7FF,
                                           streamer=0, sent_timestamp=sent)
    received = datetime.now(timezone.utc).replace(microsecond=0)
    response = requests.post(f"{core.appliance.base_url}/api/v1/streamer/report/",
                             params={"timestamp": received.strftime("%Y-%m-%dT%H:%M:%SZ")},
                             files={"file": ("report.bin", report.encode())},
                             headers={"Authorization": f"jwt {token}"}, timeout=30)
    assert response.status_code == 201, response.text
    return received


def hours_ago(hours: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(hours=hours)
