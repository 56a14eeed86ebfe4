"""The device trim job (iotile.cloud's DeviceDataTrimAction).

Readings and events strictly before ``start`` and strictly after ``end`` are deleted from the
device's streams in its current project, except the streams iotile.cloud keeps whatever the range:
reboots (5c00), OS and app versions (5c08, 5c09), trip start, end and record (0e00, 0e01, 0e02), and
streams of app-only variables. Data without a StreamId (report markers, the data mask) is not
touched either. A system note lists what was deleted on each side.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import ValidationError
from appliance.events import Changes
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import HardJobError, JobArgs, JobKind, JobResult
from appliance.services import db
from appliance.services.data_mask import parse_time
from appliance.services.device_maintenance_common import (
    MAYBE_INT,
    MAYBE_TEXT,
    ArgTypes,
    add_note,
    appliance_of,
    device_key,
    job_args,
    remove_blobs,
)
from appliance.slugs import DeviceSlug
from storage.metadata.repos import devices as devices_repo
from storage.metadata.repos import maintenance as repo
from storage.streams import WriteContext
from storage.streams import maintenance as store
from storage.streams.maintenance import StreamSet, Trimmed

LOGGER = logging.getLogger(__name__)
TRIM_KIND = "device_trim"
KEPT_LIDS = frozenset({0x5C00, 0x5C08, 0x5C09, 0x0E00, 0x0E01, 0x0E02})  # DATA_TRIM_EXCLUSION_LIST
_ARGS: ArgTypes = {"device": int, "user": MAYBE_INT, "start": MAYBE_TEXT, "end": MAYBE_TEXT}


def _validate(args: JobArgs) -> dict[str, Any]:
    clean = job_args(TRIM_KIND, args, _ARGS)
    for name in ("start", "end"):
        if clean[name] is not None:
            parse_time(name, clean[name])
    if clean["start"] is None and clean["end"] is None:
        raise ValidationError("a trim needs start or end", key="invalid_job_args")
    return clean


def trim_streams(session: Session, device_id: int) -> StreamSet:
    """The streams a trim cuts: the device's StreamIds in its project, minus the kept ones."""
    device = devices_repo.device_obj(session, device_id)
    if device is None or device.project_id is None:
        raise HardJobError(f"Device with slug {DeviceSlug(device_id).slug} has no project")
    lids = repo.trimmable_lids(session, device_id, device.project_id, KEPT_LIDS)
    return StreamSet(device_id, {device.project_id: lids})


def _when(text: str | None) -> datetime | None:
    return None if text is None else parse_time("time", text)


def note_text(start: str | None, end: str | None, trimmed: Trimmed) -> str:
    """The server's note: the range, then one line per side and table that lost rows."""
    head = "Device data trim task executed (" + (f" start: {start}" if start else "") + \
        (f" end: {end}" if end else "") + " )"
    lines = [f"{count} {what} row(s) {side} {bound} deleted"
             for count, what, side, bound in ((trimmed.data_before, "data", "before", start),
                                              (trimmed.events_before, "event", "before", start),
                                              (trimmed.data_after, "data", "after", end),
                                              (trimmed.events_after, "event", "after", end)) if count]
    return "\n- ".join([head, *(lines or ["No data deleted"])])


def _cut(ctx: WriteContext, streams: StreamSet, args: dict[str, Any]) -> Trimmed:
    return store.trim(ctx.conn, streams, _when(args["start"]), _when(args["end"]))


async def _execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    app, device_id = appliance_of(ctx), args["device"]
    slug = DeviceSlug(device_id).slug
    ctx.report(5, f"trimming {slug}")
    streams = await db.read(app.metadata, lambda s: trim_streams(s, device_id))
    ctx.report(20, "deleting data outside the range")
    trimmed = await asyncio.wrap_future(app.streams.write(partial(_cut, streams=streams, args=args)))
    ctx.report(80, "recording the trim")
    text = note_text(args["start"], args["end"], trimmed)
    await db.write(app.metadata, lambda s: add_note(s, device_id, text, args["user"]))
    await remove_blobs(app.blobs, trimmed.blob_keys)
    app.events.publish(Changes(readings=True, initiator="device_trim", detail={"device": device_id}))
    LOGGER.info("%s trimmed: %s", slug, text.replace("\n", " "))
    return {"device": slug, "start": args["start"], "end": args["end"],
            "data_deleted": trimmed.data_before + trimmed.data_after,
            "events_deleted": trimmed.events_before + trimmed.events_after}


DEVICE_TRIM = JobKind(
    name=TRIM_KIND, execute=_execute, validate=_validate, key=device_key, concurrency=2, max_attempts=3,
    description="Trim a device's data to a time range, keeping its system streams.")
