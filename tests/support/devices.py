"""A claimed device with streams, written straight to the metadata store for ingest tests (the
registry's own claim flow is tested on its own)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.app import Appliance
from storage.metadata import Device, DeviceStatus, Project, SensorGraph, StreamId, StreamVariable


@dataclass(frozen=True)
class ClaimedDevice:
    device_id: int
    project_gid: int
    org_id: int


def _seed(session: Session, org_id: int, device_id: int, lids: Iterable[int], disabled: set[int],
          owner_id: int | None) -> ClaimedDevice:
    now = datetime.now(timezone.utc)
    sg = session.query(SensorGraph).filter_by(slug="test-sg-v2").one_or_none()
    if sg is None:
        sg = SensorGraph(name="Test SG", slug="test-sg-v2", report_processing_engine_ver=2)
        session.add(sg)
    project = Project(uuid=str(uuid.uuid4()), name=f"Line {device_id:x}", org_id=org_id, created_on=now)
    session.add(project)
    session.flush()
    session.add(Device(id=device_id, org_id=org_id, project_id=project.id, sg_id=sg.id, label=f"dev {device_id:x}",
                       claimed_on=now, claimed_by_id=owner_id, created_on=now))
    session.add(DeviceStatus(device_id=device_id))
    for lid in lids:
        variable = StreamVariable(project_id=project.id, lid=lid, name=f"IO {lid:x}", created_on=now)
        session.add(variable)
        session.flush()
        session.add(StreamId(project_gid=project.id, device_gid=device_id, var_lid=lid, org_id=org_id,
                             project_id=project.id, device_id=device_id, variable_id=variable.id,
                             enabled=lid not in disabled, created_on=now))
    return ClaimedDevice(device_id, project.id, org_id)


async def claimed_device(appliance: Appliance, org_id: int, device_id: int, lids: Iterable[int] = (0x5001,),
                         disabled: Iterable[int] = (), owner_id: int | None = None) -> ClaimedDevice:
    lid_list, off = list(lids), set(disabled)
    return await asyncio.wrap_future(appliance.metadata.write(
        lambda s: _seed(s, org_id, device_id, lid_list, off, owner_id)))


def unclaimed_device(appliance: Appliance, device_id: int) -> None:
    appliance.metadata.write_sync(lambda s: s.add(Device(id=device_id, created_on=datetime.now(timezone.utc))))
