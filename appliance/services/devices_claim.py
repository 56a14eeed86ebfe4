"""Claiming a device into a project, and unclaiming it as a job (iotile.cloud's DeviceUnClaimAction).

A claim creates, in the same transaction as the claim itself, the project's StreamVariables and
the device's StreamIds from the VariableTemplates of the device's sensor graph
(``s--<project>--<device>--<lid>``), so an upload that arrives right after the 202 finds them.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.jobs.kinds import HardJobError, JobArgs, JobKind, JobResult
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.device_maintenance_common import remove_blobs
from appliance.services.devices_records import BUSY_MESSAGE, DeviceRecord, DevicesBase, find_device
from appliance.services.permissions import Access, Perm
from appliance.slugs import DeviceSlug, ProjectSlug, SlugError, StreamSlug
from storage.metadata.repos import devices as repo
from storage.metadata.repos import projects as projects_repo
from storage.metadata.repos import streams as streams_repo
from storage.streams import StreamSelector

if TYPE_CHECKING:
    from appliance.jobs.context import JobContext

LOGGER = logging.getLogger(__name__)
UNCLAIM_KIND = "device_unclaim"
DEFAULT_LABEL = "Device ({id})"
MAX_CLAIMABLE = 1000

CLAIM = fs.Spec({"device": fs.text(22, blank=False), "project": fs.text(36, blank=False)},
                required=frozenset({"device", "project"}))
UNCLAIM = fs.Spec({"label": fs.text(100), "clean_streams": fs.boolean})
CLAIMABLE = fs.Spec({"slugs": fs.text_list(MAX_CLAIMABLE, fs.text(64))}, required=frozenset({"slugs"}))


def project_for_claim(session: Session, access: Access, ref: str) -> tuple[int, int]:
    """(gid, org id) of the project named by a p-- slug or a UUID, if the caller may claim into it."""
    if ref[:3].lower() == "p--":
        try:
            row = projects_repo.by_gid(session, ProjectSlug.parse("p--" + ref[3:]).gid)
        except SlugError:
            row = None
    else:
        try:
            row = projects_repo.by_uuid(session, str(uuid.UUID(ref)))
        except ValueError:
            raise fs.invalid("project", "Project is not a Valid Slug or UUID") from None
    if row is None or row[0].is_template:
        raise NotFound("project not found")
    project = row[0]
    if not access.is_staff:
        access.require(project.org_id, Perm.CLAIM_DEVICES, "project")
    return project.id, project.org_id


def claim_in_session(session: Session, device_id: int, project_gid: int, account_id: int | None,
                     now: datetime) -> list[str]:
    """device_claim(): set project and org, then one StreamId per VariableTemplate of the device's SG."""
    device = repo.device_obj(session, device_id)
    project = projects_repo.project_obj(session, project_gid)
    if device is None:
        raise NotFound("device not found")
    device.project_id, device.org_id = project.id, project.org_id
    device.claimed_on, device.claimed_by_id = now, account_id
    repo.ensure_status(session, device_id)
    created: list[str] = []
    if device.sg_id is not None:
        for var_t in projects_repo.variable_templates(session, device.sg_id):
            variable = streams_repo.ensure_variable(session, project.id, var_t, account_id, now)
            stream, new = streams_repo.ensure_stream(session, org_id=project.org_id, project_id=project.id,
                                                     device_id=device_id, variable=variable,
                                                     created_by_id=account_id, now=now)
            if new:
                created.append(StreamSlug(project.id, device_id, stream.var_lid).slug)
    session.flush()
    return created


def _claim_target(session: Session, slug: str) -> DeviceRecord:
    """The server finds the claimed device by its exact live slug (so not a data block)."""
    try:
        parsed = DeviceSlug.parse(slug)
    except SlugError:
        raise NotFound("device not found") from None
    row = repo.row_by_id(session, parsed.id) if parsed.block == 0 else None
    if row is None:
        raise NotFound("device not found")
    return DeviceRecord.of(row)


def default_label(label: str | None, device_id: int) -> str:
    """The server's 'Device ({id})' with the last four hex digits of the serial number."""
    return (label or DEFAULT_LABEL).replace("{id}", f"{device_id & 0xFFFF:04x}")


def _validate_unclaim(args: JobArgs) -> dict[str, Any]:
    unknown = set(args) - {"device", "label", "clean_streams"}
    device, label, clean = args.get("device"), args.get("label", ""), args.get("clean_streams", False)
    if unknown or isinstance(device, bool) or not isinstance(device, int) or device <= 0:
        raise ValidationError("device_unclaim takes {device: int, label: str, clean_streams: bool}",
                              key="invalid_job_args")
    if not isinstance(label, str) or len(label) > 100 or not isinstance(clean, bool):
        raise ValidationError("label must be text (at most 100) and clean_streams a boolean", key="invalid_job_args")
    return {"device": device, "label": label, "clean_streams": clean}


async def _execute_unclaim(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    if ctx.appliance is None:
        raise HardJobError("device_unclaim needs the appliance")
    ctx.report(5, f"unclaiming {DeviceSlug(args['device']).slug}")
    result = await ctx.appliance.devices.unclaim_now(args["device"], label=args["label"],
                                                     clean_streams=args["clean_streams"])
    if args["clean_streams"]:
        result["ledger_entries_deleted"] = await ctx.appliance.ingest.reset_device(args["device"])
    ctx.appliance.authenticator.forget()  # the device's a-jwt tokens must stop working now, not in 2 s
    return result


DEVICE_UNCLAIM = JobKind(
    name=UNCLAIM_KIND, execute=_execute_unclaim, validate=_validate_unclaim,
    key=lambda args: f"device:{args['device']}", concurrency=4, max_attempts=3,
    description="Unclaim a device: remove its properties, notes, locations, reports (and streams and data).")


def _unclaim_metadata(session: Session, *, device_id: int, label: str,
                      clean_streams: bool) -> tuple[dict[str, Any], list[str]]:
    """device_unclaim() in one transaction: what hangs off the device goes, then the device is reset.
    Also returns the blob keys of the deleted notes' attachments."""
    slug = DeviceSlug(device_id).slug
    device = repo.device_obj(session, device_id)
    if device is None:
        raise HardJobError(f"Device with slug {slug} not found !")
    streams = streams_repo.device_streams(session, device_id) if clean_streams else []
    attachments = repo.delete_annotations(session, slug)
    repo.delete_streamer_reports(session, device_id, streamers_too=clean_streams)
    streams_repo.delete_streams(session, [s.id for s in streams],
                                [StreamSlug(s.project_gid, s.device_gid, s.var_lid).slug for s in streams])
    was_claimed = device.project_id is not None
    device.project_id = device.org_id = device.claimed_on = device.claimed_by_id = None
    device.lat = device.lon = None
    device.label, device.state, device.active = label or default_label(None, device_id), "N1", True
    return {"device": slug, "was_claimed": was_claimed, "streams_deleted": len(streams)}, attachments


class DeviceClaims(DevicesBase):
    async def claimable(self, body: dict[str, Any]) -> dict[str, Any]:
        """Which of these slugs name a device not in a project (unknown slugs are left out)."""
        slugs = CLAIMABLE.parse(body, partial=False)["slugs"]

        def read(session: Session) -> list[dict[str, Any]]:
            results = []
            for slug in slugs:
                try:
                    device = _claim_target(session, slug)
                except NotFound:
                    continue
                results.append({"slug": slug, "claimable": not device.claimed})
            return results

        results = await db.read(self._store, read)
        return {"count": len(results), "results": results}

    async def claim(self, access: Access, body: dict[str, Any]) -> dict[str, Any]:
        data = CLAIM.parse(body, partial=False)
        now = datetime.now(timezone.utc)

        def change(session: Session) -> dict[str, Any]:
            device = _claim_target(session, data["device"])
            if device.claimed:
                raise ValidationError("Device is not claimable", key="not_claimable")
            gid, org_id = project_for_claim(session, access, data["project"])
            if device.org_id is not None and device.org_id != org_id:
                raise ValidationError("Device is not claimable: it belongs to another org", key="not_claimable")
            streams = claim_in_session(session, device.id, gid, access.account_id, now)
            project = projects_repo.project_obj(session, gid)
            return {"claimed": True, "device": data["device"], "project": ProjectSlug(gid).slug,
                    "project_id": project.uuid, "streams": streams}

        result = await db.write(self._store, change)
        self._changed(streams=True, claimed=result["device"])
        LOGGER.info("%s claimed into %s (%d new streams)", result["device"], result["project"], len(result["streams"]))
        del result["streams"]
        return result

    async def unclaim(self, access: Access, slug: str, body: dict[str, Any]) -> dict[str, Any]:
        """Checks now, work later: answers with the job's pid (202), like the server's schedule()."""
        data = UNCLAIM.parse(body)

        def check(session: Session) -> DeviceRecord:
            device = find_device(session, access, slug)
            if device.busy:
                raise PermissionDenied(BUSY_MESSAGE, key="device_busy")
            if not device.claimed:
                raise ValidationError("Device is not claimed", key="not_claimed")
            if not access.is_staff:
                access.require(device.org_id, Perm.CLAIM_DEVICES, "device")
            pending = repo.active_job(session, UNCLAIM_KIND, f"device:{device.id}")
            if pending is not None:
                raise Conflict(f"an unclaim of {device.slug} is already scheduled (pid {pending})",
                               key="unclaim_pending")
            return device

        device = await db.read(self._store, check)
        job = await self._jobs.schedule(UNCLAIM_KIND, {
            "device": device.id, "label": default_label(data.get("label"), device.id),
            "clean_streams": data.get("clean_streams", False)}, created_by_id=access.account_id)
        return {"unclaimed": device.slug, "msg": f"Unclaimed task was scheduled for {device.slug}", "pid": job.pid}

    async def unclaim_now(self, device_id: int, *, label: str, clean_streams: bool) -> dict[str, Any]:
        """The job's work: metadata in one transaction first, then (optionally) the stream data.

        A retry after a crash between the two finds the device already unclaimed and still deletes
        the data, so the job is safe to run again.
        """
        slug = DeviceSlug(device_id).slug
        change = partial(_unclaim_metadata, device_id=device_id, label=label, clean_streams=clean_streams)
        result, attachments = await db.write(self._store, change)
        result["attachments_deleted"] = await remove_blobs(self._blobs, attachments)
        if clean_streams:
            selector = StreamSelector(device=device_id)
            result["data_deleted"] = await asyncio.wrap_future(self._streams.delete_data(selector))
            result["events_deleted"] = await asyncio.wrap_future(self._streams.delete_events(selector))
        self._device_secrets.pop(device_id, None)
        self._changed(streams=clean_streams, unclaimed=slug)
        LOGGER.info("%s unclaimed: %s", slug, result)
        return result
