"""Device maintenance: reset, trim, move (jobs answering 202 with a pid) and the data mask.

Requests are checked now and the work runs later as a job, like iotile.cloud's schedule() calls:
- reset ``{full, include_properties, include_notes_and_locations}`` (all default true) needs
  can_reset_device; the device turns busy (B0) until the job ends;
- trim ``{start?, end?}`` needs can_modify_device (the server's API check); a range holding none of
  the device's data while data lies outside it would delete everything, and is refused (400);
- move ``{project, move_data?}`` needs can_reset_device (the server's UI mixin) and a project of
  the same org; the device turns busy until the job ends;
- mask GET for any member, PATCH/DELETE with can_reset_device.
A busy device refuses all of them but the mask reads and deletes with the server's 403.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import PermissionDenied, ValidationError
from appliance.events import Changes, EventBus
from appliance.jobs.queue import JobQueue
from appliance.jobs.records import JobRecord
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.data_mask import DataMasks, MaskTarget, TimeRange, parse_range
from appliance.services.device_maintenance_common import BUSY_STATE, IDLE_STATE, set_state
from appliance.services.device_maintenance_move import MOVE_KIND
from appliance.services.device_maintenance_reset import RESET_KIND
from appliance.services.device_maintenance_trim import TRIM_KIND, trim_streams
from appliance.services.devices_claim import project_for_claim
from appliance.services.devices_records import BUSY_MESSAGE, DeviceRecord, find_device, require_on_device
from appliance.services.permissions import Access, Perm
from appliance.slugs import ProjectSlug
from storage.metadata import MetadataStore
from storage.streams import StreamStore
from storage.streams import maintenance as store

LOGGER = logging.getLogger(__name__)
RESET = fs.Spec({"full": fs.boolean, "include_properties": fs.boolean, "include_notes_and_locations": fs.boolean})
MOVE = fs.Spec({"project": fs.text(36, blank=False), "move_data": fs.boolean}, required=frozenset({"project"}))
EMPTY_RANGE = ("The range holds none of the device's data: trimming it would delete all of it "
               "(reset the device to clear its data)")


def maintainable(session: Session, access: Access, slug: str, perm: Perm) -> DeviceRecord:
    """The device, if the caller holds ``perm`` on it and it is claimed and not busy."""
    device = find_device(session, access, slug)
    require_on_device(access, device, perm)
    if device.busy:
        raise PermissionDenied(BUSY_MESSAGE, key="device_busy")
    if not device.claimed:
        raise ValidationError("Device is not claimed: it has no project", key="not_claimed")
    return device


def mask_target(device: DeviceRecord) -> MaskTarget:
    return MaskTarget(device.id, device.project_gid or 0, device.slug)


def _mark_busy(session: Session, access: Access, slug: str) -> DeviceRecord:
    device = maintainable(session, access, slug, Perm.RESET_DEVICE)
    set_state(session, device.id, BUSY_STATE)
    return device


def _move_target(session: Session, access: Access, slug: str, ref: str) -> tuple[DeviceRecord, int]:
    """The server offers only the other projects of the device's org as destinations."""
    device = maintainable(session, access, slug, Perm.RESET_DEVICE)
    gid, org_id = project_for_claim(session, access, ref)
    if org_id != device.org_id:
        raise ValidationError("src and dst projects not part of same Org", key="other_org_project")
    if gid == device.project_gid:
        raise ValidationError("The device is already in this project", key="same_project")
    set_state(session, device.id, BUSY_STATE)
    return device, gid


class DeviceMaintenance:
    def __init__(self, metadata: MetadataStore, streams: StreamStore, jobs: JobQueue, events: EventBus) -> None:
        self._store = metadata
        self._streams = streams
        self._jobs = jobs
        self._events = events
        self.masks = DataMasks(metadata, streams, events)

    async def reset(self, access: Access, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        """202 ``{reset: "scheduled", pid}`` as the server answers."""
        data = RESET.parse(body)
        device = await db.write(self._store, lambda s: _mark_busy(s, access, slug))
        job = await self._schedule(RESET_KIND, device, access, busy=True, **{
            name: data.get(name, True) for name in ("full", "include_properties", "include_notes_and_locations")})
        return {"reset": "scheduled", "pid": job.pid}

    async def trim(self, access: Access, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        """202 ``{trim: "scheduled", pid, start, end}`` (the server answers without the pid)."""
        span = parse_range(body)
        device = await db.read(self._store, lambda s: maintainable(s, access, slug, Perm.MODIFY_DEVICE))
        streams = await db.read(self._store, lambda s: trim_streams(s, device.id))
        keep, drop = await asyncio.get_running_loop().run_in_executor(None, lambda: self._streams.read(
            lambda cur: store.trim_counts(cur, streams, span.start, span.end)))
        if drop and not keep:
            raise ValidationError(EMPTY_RANGE, key="empty_trim_range")
        times = span.as_json()
        job = await self._schedule(TRIM_KIND, device, access, busy=False, **times)
        return {"trim": "scheduled", "pid": job.pid, **times}

    async def move(self, access: Access, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        """202 ``{move: "scheduled", pid, project}``; the device is busy until the job is done."""
        data = MOVE.parse(body, partial=False)
        device, gid = await db.write(self._store, lambda s: _move_target(s, access, slug, data["project"]))
        assert device.project_gid is not None
        job = await self._schedule(MOVE_KIND, device, access, busy=True, src=device.project_gid, dst=gid,
                                   move_data=data.get("move_data", True))
        return {"move": "scheduled", "pid": job.pid, "project": ProjectSlug(gid).slug}

    async def _schedule(self, kind: str, device: DeviceRecord, access: Access, *, busy: bool,
                        **args: Any) -> JobRecord:
        try:
            job = await self._jobs.schedule(kind, {"device": device.id, "user": access.account_id, **args},
                                            created_by_id=access.account_id)
        except BaseException:
            if busy:
                await db.write(self._store, lambda s: set_state(s, device.id, IDLE_STATE))
            raise
        self._events.publish(Changes(devices=True, initiator="device_maintenance", detail={kind: device.slug}))
        LOGGER.info("%s scheduled for %s (pid %s)", kind, device.slug, job.pid)
        return job

    async def mask(self, access: Access, slug: str) -> dict[str, str | None]:
        """``{start, end}`` (both null without a mask); any member may read it."""
        device = await db.read(self._store, lambda s: find_device(s, access, slug))
        return await self.masks.get(mask_target(device))

    async def set_mask(self, access: Access, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        span: TimeRange = parse_range(body)
        device = await db.read(self._store, lambda s: maintainable(s, access, slug, Perm.RESET_DEVICE))
        return await self.masks.set(mask_target(device), span, access.account_id)

    async def clear_mask(self, access: Access, slug: str) -> None:
        def check(session: Session) -> DeviceRecord:
            device = find_device(session, access, slug)
            require_on_device(access, device, Perm.RESET_DEVICE)
            return device

        device = await db.read(self._store, check)
        await self.masks.clear(mask_target(device), access.account_id)
