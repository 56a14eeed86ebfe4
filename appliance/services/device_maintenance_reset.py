"""The device reset job (iotile.cloud's DeviceDataResetAction).

- The readings and events of every live stream of the device (any project) are deleted, and its
  data mask; a ``full`` reset also deletes everything keyed to the device in its current project,
  streams or not, and forgets its streamers in the ingest ledger, so the next upload counts from
  scratch (a partial reset keeps the streamers: data already uploaded is not accepted again).
- Streamer reports always go (the metadata copies; the raw uploads stay in the raw log).
- ``include_properties``: the device's non-system properties go.
- ``include_notes_and_locations``: users' notes on the device and its streams, and its locations.
- A system note "Device data was cleared" records the reset, and the device is idle (N1) again.

Readings go first (DuckDB, set-based), metadata last in one transaction that also ends the busy
state, so a job re-run after a crash does the remaining work and writes the note once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from appliance.events import Changes
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import HardJobError, JobArgs, JobKind, JobResult
from appliance.services import db
from appliance.services.device_maintenance_common import (
    IDLE_STATE,
    MAYBE_INT,
    ArgTypes,
    add_note,
    appliance_of,
    busy_until_done,
    device_key,
    job_args,
    remove_blobs,
    set_state,
)
from appliance.slugs import DeviceSlug, StreamSlug
from storage.metadata.repos import devices as devices_repo
from storage.metadata.repos import maintenance as repo
from storage.streams import WriteContext
from storage.streams import maintenance as store
from storage.streams.maintenance import Removed, StreamSet

LOGGER = logging.getLogger(__name__)
RESET_KIND = "device_reset"
RESET_NOTE = "Device data was cleared"
_ARGS: ArgTypes = {"device": int, "user": MAYBE_INT, "full": bool, "include_properties": bool,
         "include_notes_and_locations": bool}


@dataclass(frozen=True)
class ResetPlan:
    slug: str
    streams: StreamSet
    stream_slugs: tuple[str, ...]


def _validate(args: JobArgs) -> dict[str, Any]:
    return job_args(RESET_KIND, args, _ARGS)


def _plan(session: Session, *, device_id: int, full: bool) -> ResetPlan:
    slug = DeviceSlug(device_id).slug
    device = devices_repo.device_obj(session, device_id)
    if device is None:
        raise HardJobError(f"Device with slug {slug} not found !")
    if device.project_id is None or device.org_id is None:
        raise HardJobError(f"Device with slug {slug} has no Org and/or Project !")
    keys = repo.live_streams(session, device_id)
    lids: dict[int, list[int]] = {}
    for project, lid in keys:
        lids.setdefault(project, []).append(lid)
    streams = StreamSet(device_id, lids, device.project_id if full else None)
    return ResetPlan(slug, streams, tuple(StreamSlug(p, device_id, lid).slug for p, lid in keys))


def _delete_rows(ctx: WriteContext, streams: StreamSet) -> Removed:
    removed = store.delete_streams(ctx.conn, streams)
    return removed + Removed(events=store.clear_mask(ctx.conn, streams.device))


def _finish(session: Session, *, plan: ResetPlan, args: dict[str, Any]) -> tuple[int, Sequence[str]]:
    """Metadata in one transaction: annotations, streamer reports, the note, the device idle."""
    device_id = args["device"]
    properties = repo.delete_user_properties(session, plan.slug) if args["include_properties"] else 0
    attachments: Sequence[str] = ()
    if args["include_notes_and_locations"]:
        attachments = repo.delete_user_notes(session, [plan.slug, *plan.stream_slugs])
        repo.delete_locations(session, plan.slug)
    devices_repo.delete_streamer_reports(session, device_id, streamers_too=args["full"])
    add_note(session, device_id, RESET_NOTE, args["user"])
    set_state(session, device_id, IDLE_STATE)
    return properties, attachments


async def _execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    app, device_id = appliance_of(ctx), args["device"]
    async with busy_until_done(app.metadata, device_id):
        ctx.report(5, f"resetting {DeviceSlug(device_id).slug}")
        plan = await db.read(app.metadata, partial(_plan, device_id=device_id, full=args["full"]))
        ctx.report(10, "deleting readings and events")
        removed = await asyncio.wrap_future(app.streams.write(partial(_delete_rows, streams=plan.streams)))
        ctx.report(60, "forgetting the streamers" if args["full"] else "keeping the streamers")
        forgotten = await app.ingest.reset_device(device_id) if args["full"] else 0
        ctx.report(80, "removing annotations and reports")
        properties, attachments = await db.write(app.metadata, partial(_finish, plan=plan, args=args))
    await remove_blobs(app.blobs, (*removed.blob_keys, *attachments))
    app.events.publish(Changes(devices=True, streams=True, readings=True, initiator="device_reset",
                               detail={"device": device_id}))
    LOGGER.info("%s reset: %d readings, %d events deleted", plan.slug, removed.data, removed.events)
    return {"device": plan.slug, "data_deleted": removed.data, "events_deleted": removed.events,
            "ledger_entries_deleted": forgotten, "properties_deleted": properties}


DEVICE_RESET = JobKind(
    name=RESET_KIND, execute=_execute, validate=_validate, key=device_key, concurrency=2, max_attempts=3,
    description="Reset a device: delete its data (and, as asked, its properties, notes and locations).")
