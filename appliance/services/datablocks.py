"""Data blocks (archives): listing, reading, editing, and scheduling archive and delete jobs.

Permissions follow iotile.cloud's APIDataBlockViewSet: a block is seen by members holding
``can_access_datablock`` in its org (not the Operator), which is also all its PATCH asks;
archiving needs ``can_create_datablock`` in the device's org (Owner, Admin, Developer); deleting
is staff-only. Blocks of orgs the caller is not in are 404. The work itself (datablocks_jobs.py)
runs as jobs: the POST answers 202 with the job's pid, the device is busy (state B1) meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.events import Changes, EventBus
from appliance.jobs.queue import JobQueue
from appliance.jobs.records import CANCELLED, FAILED, JobChanged
from appliance.services import db
from appliance.services.datablocks_records import (
    CREATE,
    MAX_BLOCK,
    UPDATE,
    BlockRecord,
    OnComplete,
    StreamCountRecord,
    block_key,
    live_device_id,
)
from appliance.services.devices_records import BUSY_MESSAGE, DeviceRecord, find_device
from appliance.services.permissions import Access, Perm
from appliance.slugs import DeviceSlug, StreamSlug
from storage.metadata import MetadataStore
from storage.metadata.repos import datablocks as repo
from storage.metadata.repos import devices as devices_repo
from storage.streams import StreamStore, rekey

LOGGER = logging.getLogger(__name__)
ARCHIVE_KIND = "datablock_archive"
DELETE_KIND = "datablock_delete"
RESTRICTED = "Restricted Access. Contact Arch"


def find_block(session: Session, access: Access, slug: str, perm: Perm | None = Perm.ACCESS_DATABLOCK) -> BlockRecord:
    """404 for unknown blocks and blocks of other orgs; 403 for members without ``perm``."""
    serial, number = block_key(slug)
    row = repo.row_by_key(session, serial, number)
    if row is None:
        raise NotFound("data block not found")
    block = BlockRecord.of(row)
    if perm is None:
        access.visible(block.org_id, "data block")
    else:
        access.require(block.org_id, perm, "data block")
    return block


def _archive_target(session: Session, access: Access, slug: str) -> DeviceRecord:
    device = find_device(session, access, DeviceSlug(live_device_id(slug)).slug)
    if device.org_id is None or device.project_gid is None:
        raise ValidationError("Device is not claimed: only a claimed device can be archived", key="not_claimed")
    access.require(device.org_id, Perm.CREATE_DATABLOCK, "device")
    if device.busy:
        raise PermissionDenied(BUSY_MESSAGE, key="device_busy")
    return device


class DataBlocks:
    def __init__(self, metadata: MetadataStore, streams: StreamStore, jobs: JobQueue, events: EventBus) -> None:
        self._store = metadata
        self._streams = streams
        self._jobs = jobs
        self._events = events
        self._cleanups: set[asyncio.Task[None]] = set()
        events.subscribe(JobChanged, self._on_job)

    async def page(self, access: Access, scope: frozenset[int] | None, *, org: str | None, device: str | None,
                   q: str | None, offset: int, limit: int) -> tuple[int, list[BlockRecord]]:
        """``scope``: the orgs listed (None: all, staff with ?staff=1), narrowed to can_access_datablock."""
        if q is not None and not org:
            raise ValidationError("Org argument (org=) is needed for search", key="search_needs_org")
        org_ids = None if scope is None else frozenset(o for o in scope if access.can(o, Perm.ACCESS_DATABLOCK))

        def read(session: Session) -> tuple[int, list[BlockRecord]]:
            f = repo.BlockFilter(org_ids=org_ids, q=q or None)
            if org:
                f = repo.BlockFilter(org_ids=org_ids, org_id=repo.org_id_by_slug(session, org), q=q or None)
                if f.org_id is None:
                    raise NotFound("org not found")
            if device:
                device_id = live_device_id(device)
                if devices_repo.device_obj(session, device_id) is None:
                    raise NotFound("device not found")
                f = repo.BlockFilter(org_ids=f.org_ids, org_id=f.org_id, device_id=device_id, q=f.q)
            count, rows = repo.page(session, f, offset, limit)
            return count, [BlockRecord.of(row) for row in rows]

        return await db.read(self._store, read)

    async def get(self, access: Access, slug: str) -> BlockRecord:
        return await db.read(self._store, lambda s: find_block(s, access, slug))

    async def update(self, access: Access, slug: str, body: dict[str, Any], *, partial: bool = True) -> BlockRecord:
        """Title and description only (DataBlockUpdateSerializer)."""
        data = UPDATE.parse(body, partial=partial)

        def change(session: Session) -> BlockRecord:
            block = find_block(session, access, slug)
            row = repo.block_obj(session, block.id)
            assert row is not None
            for name, value in data.items():
                setattr(row, name, value)
            session.flush()
            return BlockRecord.of(repo.row_by_key(session, block.device_id, block.block))  # type: ignore[arg-type]

        record = await db.write(self._store, change)
        self._changed(updated=record.slug)
        return record

    async def stream_counts(self, access: Access, slug: str) -> tuple[BlockRecord, list[StreamCountRecord]]:
        """The block and, per stream, its readings and events (DataBlockExtraInfoSerializer)."""
        block = await self.get(access, slug)
        counts = await asyncio.get_running_loop().run_in_executor(
            None, lambda: self._streams.read(lambda cur: rekey.stream_counts(cur, block.device_gid)))
        described = await db.read(self._store, lambda s: repo.block_stream_lids(s, block.id))
        return block, [StreamCountRecord(StreamSlug(c.project, c.device, c.variable).slug, c.readings, c.events,
                                         c.variable in described and c.project == 0) for c in counts]

    async def create(self, access: Access, body: dict[str, Any]) -> tuple[BlockRecord, str]:
        """A new block numbered after the device's last, the device busy (B1), the archive scheduled."""
        data = CREATE.parse(body, partial=False)
        finish: OnComplete = data.get("on_complete") or OnComplete()
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> tuple[BlockRecord, DeviceRecord]:
            device = _archive_target(session, access, data["device"])
            number = repo.next_block(session, device.id)
            if number > MAX_BLOCK:
                raise Conflict(f"{device.slug} already has {MAX_BLOCK} data blocks", key="too_many_blocks")
            repo.add_block(session, org_id=device.org_id, title=data["title"], description=data.get("description", ""),
                           device_id=device.id, block=number, sg_id=device.sg_id, created_by_id=access.account_id,
                           created_on=now)
            row = devices_repo.device_obj(session, device.id)
            assert row is not None
            row.state = "B1"
            return BlockRecord.of(repo.row_by_key(session, device.id, number)), device  # type: ignore[arg-type]

        block, device = await db.write(self._store, insert)
        self._changed(busy=device.slug)  # uploads see the busy device at once, not after the cache's ttl
        args = {"block": block.id, "device": device.id, "project": device.project_gid,
                "on_complete": finish.as_args(), "restore_state": device.state}
        try:
            job = await self._jobs.schedule(ARCHIVE_KIND, args, created_by_id=access.account_id)
        except BaseException:
            await self.undo_archive(block.id, device.id, device.state)
            raise
        LOGGER.info("archive of %s into %s scheduled (pid %s)", device.slug, block.slug, job.pid)
        return block, job.pid

    async def undo_archive(self, block_id: int, device_id: int, state: str) -> bool:
        """An archive that moved no reading is taken back whole: the block goes and the device is as
        it was. A block already holding readings stays (they are its own) and only the device is
        freed. True if taken back."""
        block = await db.read(self._store, lambda s: repo.block_obj(s, block_id))
        if block is None or block.device_id != device_id:  # already taken back: the device may be in use again
            return False
        held: list[rekey.StreamCount] = []
        if block.completed_on is None:
            key = (block.block << 48) | block.device_id
            held = await asyncio.get_running_loop().run_in_executor(
                None, lambda: self._streams.read(lambda cur: rekey.stream_counts(cur, key)))
        if held:
            await db.write(self._store, lambda s: repo.release_device(s, device_id, state))
        else:
            await db.write(self._store, lambda s: repo.drop_unfinished(s, block_id, device_id, state))
        self._changed(freed=DeviceSlug(device_id).slug)
        return not held

    def _on_job(self, event: JobChanged) -> None:
        """An archive job that failed for good, or was cancelled, must not leave its device busy:
        take it back (its block too, when no reading moved)."""
        if event.kind == ARCHIVE_KIND and event.status in (FAILED, CANCELLED):
            task = asyncio.get_running_loop().create_task(self._after_archive(event.pid))
            self._cleanups.add(task)
            task.add_done_callback(self._cleanups.discard)

    async def _after_archive(self, pid: str) -> None:
        try:
            args = (await self._jobs.get(pid)).args
            await self.undo_archive(int(args["block"]), int(args["device"]), str(args["restore_state"]))
        except Exception:
            LOGGER.exception("freeing the device of archive job %s failed", pid)

    async def delete(self, access: Access, slug: str) -> tuple[BlockRecord, str]:
        """Staff only, as the server's API; the block's data, streams and annotations go in a job."""
        def check(session: Session) -> BlockRecord:
            block = find_block(session, access, slug, perm=None)
            if not access.is_staff:
                raise PermissionDenied(RESTRICTED, key="restricted")
            for kind, key in ((DELETE_KIND, f"datablock:{block.id}"), (ARCHIVE_KIND, f"device:{block.device_id}")):
                pending = devices_repo.active_job(session, kind, key)
                if pending is not None and (kind == DELETE_KIND or block.completed_on is None):
                    raise Conflict(f"{block.slug} is busy with job {pending}", key="datablock_busy")
            return block

        block = await db.read(self._store, check)
        job = await self._jobs.schedule(DELETE_KIND, {"block": block.id}, created_by_id=access.account_id)
        return block, job.pid

    def announce(self, **detail: object) -> None:
        """An archive or delete changed devices, streams and readings together."""
        self._events.publish(Changes(devices=True, streams=True, readings=True, initiator="datablocks",
                                     detail=dict(detail)))

    def _changed(self, **detail: object) -> None:
        self._events.publish(Changes(devices=True, initiator="datablocks", detail=dict(detail)))
