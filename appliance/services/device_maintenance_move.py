"""The device move job (iotile.cloud's DeviceMoveAction; the server offers it in its web UI only).

A device moves to another project of the same org. The project gid is part of every stream slug
(``s--<project>--<device>--<lid>``), so with ``move_data`` the device's streams in the old project
are re-keyed: their readings and events in DuckDB by one UPDATE per table, the StreamIds (unless
the new project already has that stream), and the notes on them. The new project gets the
variables of the device's sensor graph. Without ``move_data`` the old streams and data stay where
they are (readable again if the device comes back) and the device gets fresh streams from its
sensor graph in the new project. Data without a StreamId stays keyed to the old project, as on
the server. A system note records the move.

Readings are re-keyed first, metadata last in one transaction that also ends the busy state, so a
re-run after a crash finds nothing left to re-key and finishes the metadata.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import ValidationError
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
    set_state,
)
from appliance.slugs import DeviceSlug, ProjectSlug, StreamSlug
from storage.metadata.repos import devices as devices_repo
from storage.metadata.repos import maintenance as repo
from storage.metadata.repos import projects as projects_repo
from storage.metadata.repos import streams as streams_repo
from storage.streams import WriteContext
from storage.streams import maintenance as store

LOGGER = logging.getLogger(__name__)
MOVE_KIND = "device_move"
_ARGS: ArgTypes = {"device": int, "user": MAYBE_INT, "src": int, "dst": int, "move_data": bool}


def _validate(args: JobArgs) -> dict[str, Any]:
    clean = job_args(MOVE_KIND, args, _ARGS)
    if clean["src"] == clean["dst"] or min(clean["src"], clean["dst"]) <= 0:
        raise ValidationError("a move needs two different projects", key="invalid_job_args")
    return clean


def _lids(session: Session, device_id: int, src: int) -> list[int]:
    return [stream.var_lid for stream in repo.movable_streams(session, device_id, src)]


def _rekey(ctx: WriteContext, args: dict[str, Any], lids: list[int]) -> tuple[int, int]:
    return store.move(ctx.conn, args["device"], args["src"], args["dst"], lids)


def _variables(session: Session, sg_id: int | None, dst: int, user: int | None) -> dict[int, Any]:
    """The new project's variables for the device's sensor graph (created when missing)."""
    if sg_id is None:
        return {}
    now = datetime.now(timezone.utc)
    return {var_t.lid: streams_repo.ensure_variable(session, dst, var_t, user, now)
            for var_t in projects_repo.variable_templates(session, sg_id)}


def _move_streams(session: Session, device_id: int, src: int, dst: int, variables: dict[int, Any]) -> int:
    renames: dict[str, str] = {}
    moved = 0
    for stream in repo.movable_streams(session, device_id, src):
        old, new = StreamSlug(src, device_id, stream.var_lid).slug, StreamSlug(dst, device_id, stream.var_lid).slug
        variable = variables.get(stream.var_lid)
        moved += repo.move_stream(session, stream, dst, variable.id if variable is not None else None)
        renames[old] = new
    repo.retarget_notes(session, renames)
    return moved


def _new_streams(session: Session, device_id: int, org_id: int, dst: int, variables: dict[int, Any],
                 user: int | None) -> int:
    now = datetime.now(timezone.utc)
    return sum(streams_repo.ensure_stream(session, org_id=org_id, project_id=dst, device_id=device_id,
                                          variable=variable, created_by_id=user, now=now)[1]
               for variable in variables.values())


def _finish(session: Session, args: dict[str, Any]) -> int:
    device_id, src, dst, user = args["device"], args["src"], args["dst"], args["user"]
    device = devices_repo.device_obj(session, device_id)
    if device is None or device.project_id not in (src, dst):
        raise HardJobError(f"Device with slug {DeviceSlug(device_id).slug} is no longer in project "
                           f"{ProjectSlug(src).slug}")
    project = projects_repo.project_obj(session, dst)
    device.project_id, device.org_id = dst, project.org_id
    variables = _variables(session, device.sg_id, dst, user)
    if args["move_data"]:
        streams = _move_streams(session, device_id, src, dst, variables)
    else:
        streams = _new_streams(session, device_id, project.org_id, dst, variables, user)
    add_note(session, device_id, f"Device was moved from {ProjectSlug(src).slug} to {ProjectSlug(dst).slug}", user)
    set_state(session, device_id, IDLE_STATE)
    session.flush()
    return streams


async def _execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    app, device_id = appliance_of(ctx), args["device"]
    slug = DeviceSlug(device_id).slug
    data = events = 0
    async with busy_until_done(app.metadata, device_id):
        ctx.report(5, f"moving {slug} to {ProjectSlug(args['dst']).slug}")
        if args["move_data"]:
            lids = await db.read(app.metadata, lambda s: _lids(s, device_id, args["src"]))
            ctx.report(10, "re-keying readings and events")
            data, events = await asyncio.wrap_future(app.streams.write(partial(_rekey, args=args, lids=lids)))
        ctx.report(70, "moving the streams")
        streams = await db.write(app.metadata, lambda s: _finish(s, args))
    app.events.publish(Changes(devices=True, streams=True, projects=True, readings=bool(data or events),
                               initiator="device_move", detail={"device": device_id}))
    LOGGER.info("%s moved to %s: %d readings, %d events re-keyed", slug, ProjectSlug(args["dst"]).slug, data, events)
    return {"device": slug, "src": ProjectSlug(args["src"]).slug, "dst": ProjectSlug(args["dst"]).slug,
            "streams": streams, "data_moved": data, "events_moved": events}


DEVICE_MOVE = JobKind(
    name=MOVE_KIND, execute=_execute, validate=_validate, key=device_key, concurrency=2, max_attempts=3,
    description="Move a device (and, as asked, its streams and data) to another project of its org.")
