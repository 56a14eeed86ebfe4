"""A claimed device with data, events, properties, notes and locations, for the maintenance tests
(reset, trim, move, data mask).

The device is the registry's CLAIMED device (streams 5001, 5002, 5a07 from its sensor graph). The
seed adds StreamIds for the system lids a trim keeps and for an app-only variable, ten readings a
minute apart on each of them plus on 5a05 (a marker without a StreamId), and four events on 5a07
with payload blobs.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, StreamSlug
from storage.metadata import (
    Device,
    DeviceLocation,
    GenericProperty,
    Streamer,
    StreamerReport,
    StreamId,
    StreamNote,
    StreamVariable,
)
from storage.streams import DataBatch, EventBatch, StreamSelector
from tests.api.registry_support import CLAIMED, Registry, build_registry, db_read, db_write

T0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
READINGS = 10
SYSTEM_LIDS = (0x5C00, 0x5C08, 0x5C09, 0x0E00, 0x0E01, 0x0E02)
APP_ONLY = 0x5003
USER_LIDS = (0x5001, 0x5002)
EVENT_LID = 0x5A07
MARKER = 0x5A05  # no StreamId
EVENT_TIMES = (0, 150, 300, 450)  # seconds after T0
SLUG = DeviceSlug(CLAIMED).slug


@dataclass
class Maint:
    reg: Registry
    project: int

    @property
    def appliance(self) -> Appliance:
        return self.reg.appliance

    async def call(self, method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
        return await self.reg.call(method, path, who, body)

    async def done(self, body: Any) -> dict[str, Any]:
        job = await self.appliance.jobs.wait(body["pid"], timeout=60)
        assert job.status == "done", (job.status, job.error)
        return job.result or {}


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def iso(seconds: float) -> str:
    return at(seconds).strftime("%Y-%m-%dT%H:%M:%SZ")


def _extra_streams(session: Session, project: int, org_id: int) -> None:
    for lid in (*SYSTEM_LIDS, APP_ONLY):
        variable = StreamVariable(project_id=project, lid=lid, name=f"V {lid:04x}", app_only=lid == APP_ONLY)
        session.add(variable)
        session.flush()
        session.add(StreamId(project_gid=project, device_gid=CLAIMED, var_lid=lid, org_id=org_id, project_id=project,
                             device_id=CLAIMED, variable_id=variable.id))


def _annotations(session: Session, project: int, author: int) -> None:
    stream = StreamSlug(project, CLAIMED, 0x5001).slug
    session.add_all([
        GenericProperty(target=SLUG, name="colour", type="str", str_value="red"),
        GenericProperty(target=SLUG, name="system", type="str", str_value="kept", is_system=True),
        StreamNote(target_slug=SLUG, timestamp=T0, note="device note", type="ui", created_by_id=author),
        StreamNote(target_slug=stream, timestamp=T0, note="stream note", type="ui", created_by_id=author),
        StreamNote(target_slug=SLUG, timestamp=T0, note="health", type="si"),
        DeviceLocation(target_slug=SLUG, timestamp=T0, lat=1.0, lon=2.0),
    ])


def batch(project: int, lid: int, device: int = CLAIMED, count: int = READINGS, first_seq: int = 1) -> DataBatch:
    stamps = np.array([np.datetime64(at(60 * i).replace(tzinfo=None), "us") for i in range(count)])
    return DataBatch.for_stream(project, device, lid, timestamp=stamps,
                                streamer_local_id=np.arange(first_seq, first_seq + count, dtype=np.int64),
                                int_value=np.arange(count, dtype=np.int64), value=np.arange(count, dtype=np.float64))


async def _seed_streams(app: Appliance, project: int) -> None:
    for lid in (*USER_LIDS, *SYSTEM_LIDS, APP_ONLY, MARKER):
        await asyncio.wrap_future(app.streams.append_data(batch(project, lid)))
    keys = [f"events/test/{n}.json" for n in range(len(EVENT_TIMES))]
    for key in keys:
        await asyncio.to_thread(app.blobs.put, key, b'{"x": 1}')
    size = len(EVENT_TIMES)
    await asyncio.wrap_future(app.streams.append_events(EventBatch(
        project=np.full(size, project, dtype=np.uint32), device=np.full(size, CLAIMED, dtype=np.uint64),
        variable=np.full(size, EVENT_LID, dtype=np.uint16),
        timestamp=np.array([np.datetime64(at(s).replace(tzinfo=None), "us") for s in EVENT_TIMES]),
        streamer_local_id=np.arange(100, 100 + size, dtype=np.int64), ext=["json"] * size, blob_key=keys)))


async def build(appliance: Appliance, api: Any) -> Maint:
    reg = await build_registry(appliance, api)
    project, org_id, author = reg.project.gid, reg.world.org.id, reg.world.users["m1"].id
    await db_write(appliance, lambda s: _extra_streams(s, project, org_id))
    await db_write(appliance, lambda s: _annotations(s, project, author))
    await _seed_streams(appliance, project)
    return Maint(reg, project)


def _count(app: Appliance, events: bool, device: int) -> Counter[tuple[int, int]]:
    table = "stream_events" if events else "stream_data"
    rows = app.streams.read(lambda cur: cur.execute(
        f"SELECT project, variable, count(*) FROM {table} WHERE device = ? GROUP BY ALL", [device]).fetchall())  # noqa: S608
    return Counter({(int(p), int(v)): int(n) for p, v, n in rows})


async def data_counts(app: Appliance, device: int = CLAIMED) -> Counter[tuple[int, int]]:
    return await asyncio.to_thread(_count, app, False, device)


async def event_counts(app: Appliance, device: int = CLAIMED) -> Counter[tuple[int, int]]:
    return await asyncio.to_thread(_count, app, True, device)


async def times(app: Appliance, project: int, lid: int) -> list[datetime]:
    page = await asyncio.to_thread(app.streams.query_data, StreamSelector(project, CLAIMED, lid))
    return [t.replace(tzinfo=timezone.utc) for t in page.rows.column("timestamp").to_pylist()]


def _metadata(session: Session) -> dict[str, Any]:
    return {
        "properties": sorted(session.scalars(select(GenericProperty.name).where(GenericProperty.target == SLUG))),
        "notes": sorted((n.target_slug, n.note, n.type) for n in session.scalars(select(StreamNote))),
        "locations": session.scalar(select(func.count(DeviceLocation.id))),
        "streamers": session.scalar(select(func.count(Streamer.id)).where(Streamer.device_id == CLAIMED)),
        "reports": session.scalar(select(func.count(StreamerReport.id))),
        "state": session.scalar(select(Device.state).where(Device.id == CLAIMED)),
        "project": session.scalar(select(Device.project_id).where(Device.id == CLAIMED)),
        "streams": sorted((s.project_gid, s.var_lid, s.variable_id is not None)
                          for s in session.scalars(select(StreamId).where(StreamId.device_id == CLAIMED))),
    }


async def metadata(app: Appliance) -> dict[str, Any]:
    return await db_read(app, _metadata)


async def everything(app: Appliance) -> tuple[Any, ...]:
    """The whole observable state of the device, to assert a refused request changed nothing."""
    return (await metadata(app), await data_counts(app), await event_counts(app))
