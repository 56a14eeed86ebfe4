"""The archive and delete jobs of data blocks (iotile.cloud's ArchiveDeviceDataAction and
DataBlockDeleteAction).

An archive runs in three steps, each one transaction, each safe to run again after a crash:
1. DuckDB: the device's readings and events in its project are re-keyed under the block and the
   device's streamers are forgotten by the ingest ledger (storage/streams/rekey.py). A failure
   here leaves every reading where it was; the job then takes the block back and frees the device.
2. Metadata: the device's StreamIds get archived twins, its user properties, notes and locations
   move to the block (system properties are copied), its streamers and their reports go, the
   block is completed, a system note is left on the device and ``on_complete`` sets its state.
3. Optionally (``on_complete.device.unclaim``) the device is unclaimed, free for another project.
The device stays busy (B1) until step 2 or 3 ends, so no upload lands halfway.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.orm import Session

from appliance.errors import ValidationError
from appliance.jobs.kinds import HardJobError, JobArgs, JobKind, JobResult, SoftJobError
from appliance.services import db
from appliance.services.datablocks import ARCHIVE_KIND, DELETE_KIND
from appliance.services.datablocks_records import STATES, OnComplete, stream_prefix
from appliance.services.devices_claim import default_label
from appliance.slugs import BlockSlug, DeviceSlug
from storage.metadata.repos import datablocks as repo
from storage.metadata.repos import devices as devices_repo
from storage.metadata.repos import notes as notes_repo
from storage.streams import rekey

if TYPE_CHECKING:
    from appliance.app import Appliance
    from appliance.jobs.context import JobContext

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
SERIAL_BITS = 48


@dataclass(frozen=True)
class Plan:
    block_id: int
    number: int
    device_id: int
    project: int
    finish: OnComplete
    restore_state: str

    @property
    def block_slug(self) -> str:
        return BlockSlug(self.number, self.device_id).slug

    @property
    def device_slug(self) -> str:
        return DeviceSlug(self.device_id).slug

    @property
    def key(self) -> int:
        return (self.number << SERIAL_BITS) | self.device_id


def _int_arg(args: JobArgs, name: str) -> int:
    value = args.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationError(f"{name} must be a whole number", key="invalid_job_args")
    return value


def _validate_archive(args: JobArgs) -> dict[str, Any]:
    if set(args) != {"block", "device", "project", "on_complete", "restore_state"}:
        raise ValidationError("datablock_archive takes {block, device, project, on_complete, restore_state}",
                              key="invalid_job_args")
    finish = args["on_complete"]
    if not isinstance(finish, dict) or set(finish) != {"state", "label", "unclaim"} or finish["state"] not in STATES:
        raise ValidationError("on_complete must be {state, label, unclaim}", key="invalid_job_args")
    if args["restore_state"] not in STATES:
        raise ValidationError("restore_state must be N0 or N1", key="invalid_job_args")
    return {"block": _int_arg(args, "block"), "device": _int_arg(args, "device"),
            "project": _int_arg(args, "project"), "on_complete": OnComplete.of_args(finish).as_args(),
            "restore_state": args["restore_state"]}


def _validate_delete(args: JobArgs) -> dict[str, Any]:
    if set(args) != {"block"}:
        raise ValidationError("datablock_delete takes {block}", key="invalid_job_args")
    return {"block": _int_arg(args, "block")}


def _appliance(ctx: JobContext) -> Appliance:
    if ctx.appliance is None:
        raise HardJobError(f"{ctx.kind} needs the appliance")
    return ctx.appliance


async def _plan(app: Appliance, args: dict[str, Any]) -> Plan:
    block = await db.read(app.metadata, lambda s: repo.block_obj(s, args["block"]))
    if block is None or block.device_id != args["device"]:
        raise HardJobError(f"DataBlock {args['block']} of device {args['device']:#x} not found")
    return Plan(block.id, block.block, block.device_id, args["project"], OnComplete.of_args(args["on_complete"]),
                args["restore_state"])


async def _move(app: Appliance, ctx: JobContext, plan: Plan) -> rekey.Moved:
    """Step 1. If it fails (or the job is cancelled before it ran) nothing moved; the job ends
    failed (or cancelled) and DataBlocks takes the archive back on that news."""
    move = rekey.Rekey.into_block(plan.project, plan.device_id, plan.number)
    ctx.report(5, f"moving the readings of {plan.device_slug} into {plan.block_slug}")
    try:
        return await asyncio.wrap_future(app.streams.write(lambda w: rekey.archive_device(w.conn, move)))
    except Exception as err:
        raise HardJobError(f"archiving {plan.device_slug} failed, nothing was moved: {err}") from err


def _finish(session: Session, plan: Plan, now: datetime) -> dict[str, Any]:
    """Step 2, one metadata transaction."""
    block = repo.block_obj(session, plan.block_id)
    if block is None:
        raise HardJobError(f"DataBlock {plan.block_slug} vanished while archiving")
    result: dict[str, Any] = {"streams": repo.clone_streams(session, block, plan.project)}
    result.update(repo.move_annotations(
        session, device_slug=plan.device_slug, block_slug=plan.block_slug,
        old_streams=stream_prefix(plan.project, plan.device_id), new_streams=stream_prefix(0, plan.key)))
    devices_repo.delete_streamer_reports(session, plan.device_id, streamers_too=True)
    if block.completed_on is None:
        block.completed_on = now
        notes_repo.add_note(session, target_slug=plan.device_slug, timestamp=now, type_="si",
                            note=f"Device data was archived. Datablock ID: {plan.block_slug}",
                            created_by_id=block.created_by_id)
    device = devices_repo.device_obj(session, plan.device_id)
    if device is not None and not plan.finish.unclaim:
        device.state, device.active = plan.finish.state, plan.finish.state != "N0"
        if plan.finish.label is not None:
            device.label = plan.finish.label
    return result


async def _to_the_end(work: Coroutine[Any, Any, T]) -> T:
    """Once an archive runs it ends (moved and completed, or taken back): a cancel or the appliance
    stopping waits for it rather than leave readings moved and metadata not, and the job ends as
    what happened. A cancel before the move still ends it (``ctx.report`` raises JobCancelled)."""
    task = asyncio.ensure_future(work)
    while True:
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if task.done():
                raise
            current = asyncio.current_task()
            if current is not None:
                current.uncancel()
            LOGGER.info("an archive is running; it finishes before the job stops")


async def _execute_archive(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    return await _to_the_end(_archive(ctx, args))


async def _archive(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    app = _appliance(ctx)
    plan = await _plan(app, args)
    moved = await _move(app, ctx, plan)
    await app.ingest.follower.catch_up()  # no report copy may recreate the streamers step 2 removes
    await app.ingest.reset_device(plan.device_id)
    try:
        result = await db.write(app.metadata, lambda s: _finish(s, plan, datetime.now(timezone.utc)))
    except HardJobError:
        raise
    except Exception as err:  # the readings are in the block already: try the metadata again later
        raise SoftJobError(f"completing {plan.block_slug} failed: {err}") from err
    if plan.finish.unclaim:
        label = plan.finish.label or default_label(None, plan.device_id)
        result["unclaimed"] = await app.devices.unclaim_now(plan.device_id, label=label, clean_streams=True)
        await app.ingest.reset_device(plan.device_id)
        app.authenticator.forget()
    app.datablocks.announce(archived=plan.block_slug)
    LOGGER.info("%s archived into %s: %d readings, %d events", plan.device_slug, plan.block_slug,
                moved.readings, moved.events)
    return {"block": plan.block_slug, "device": plan.device_slug, "readings": moved.readings,
            "events": moved.events, "ledger_entries": moved.ledger_entries, **result}


def _delete_metadata(session: Session, block_id: int) -> dict[str, Any]:
    block = repo.block_obj(session, block_id)
    if block is None:
        return {}
    slug, key = BlockSlug(block.block, block.device_id).slug, (block.block << SERIAL_BITS) | block.device_id
    unfinished, device_id = block.completed_on is None, block.device_id
    removed = repo.delete_block(session, block_id, block_slug=slug, streams=stream_prefix(0, key))
    if unfinished:  # its archive failed for good: the device it kept busy is free again
        repo.release_device(session, device_id, "N1")
    return {"block": slug, **removed}


async def _execute_delete(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    app = _appliance(ctx)
    block = await db.read(app.metadata, lambda s: repo.block_obj(s, args["block"]))
    if block is None:
        return {"deleted": False, "reason": "the data block no longer exists"}
    key = (block.block << SERIAL_BITS) | block.device_id
    ctx.report(10, f"deleting the readings of {BlockSlug(block.block, block.device_id).slug}")
    deleted = await asyncio.wrap_future(app.streams.write(lambda w: rekey.delete_device_rows(w.conn, key)))
    for blob_key in deleted.blob_keys:
        await asyncio.to_thread(app.blobs.delete, blob_key)
    result = await db.write(app.metadata, lambda s: _delete_metadata(s, block.id))
    app.datablocks.announce(deleted=result.get("block"))
    return {"deleted": True, "readings": deleted.readings, "events": deleted.events, **result}


DATABLOCK_ARCHIVE = JobKind(
    name=ARCHIVE_KIND, execute=_execute_archive, validate=_validate_archive,
    key=lambda args: f"device:{args['device']}", concurrency=2, max_attempts=5,
    description="Archive a device into a data block: its readings, events, streams and annotations.")
DATABLOCK_DELETE = JobKind(
    name=DELETE_KIND, execute=_execute_delete, validate=_validate_delete,
    key=lambda args: f"datablock:{args['block']}", concurrency=2, max_attempts=3,
    description="Delete a data block with its readings, events, streams and annotations.")
DATABLOCK_JOB_KINDS = (DATABLOCK_ARCHIVE, DATABLOCK_DELETE)
