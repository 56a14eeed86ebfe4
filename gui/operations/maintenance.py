"""Device maintenance for the GUI: who may do what, what a dialog shows first, and starting the jobs.

Unclaim, reset, trim, move and archive are jobs: each starter asks the service (which checks the
operator's Access exactly as the API does) and returns the job's pid for a progress bar to follow.
``refusal`` says, before anything is asked, why an action is not open to the operator on a device,
with the same rules as the services, so buttons are disabled with a reason instead of failing.
The services stay the judges: their PermissionDenied still reaches the operator as a dialog.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from appliance.app import Appliance
from appliance.errors import NotFound, PermissionDenied
from appliance.jobs.records import JobRecord
from appliance.services.accounts import AccountRecord
from appliance.services.device_maintenance_trim import KEPT_LIDS
from appliance.services.devices_records import DeviceRecord
from appliance.services.permissions import Access, Perm
from appliance.services.projects import ProjectRecord
from appliance.services.streams import StreamQuery
from appliance.services.streams_records import StreamRecord
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.devices import PROJECT_LIMIT

LOGGER = logging.getLogger(__name__)
STREAM_LIMIT = 1000
ONE_US = timedelta(microseconds=1)
MAINTAINERS = "owners, admins and developers"


@dataclass(frozen=True, kw_only=True)
class MaintenanceAction:
    """One device operation as the screens offer it (STYLE B.8: a row, not a class)."""

    key: str
    label: str  # the button, with its mnemonic
    tip: str  # what it does, for the tooltip of an enabled button
    perm: Perm  # what the service asks of the operator in the device's org
    who: str  # the roles holding ``perm``, for the tooltip of a disabled button
    verb: str  # "reset devices"


ACTIONS: tuple[MaintenanceAction, ...] = (
    MaintenanceAction(key="unclaim", label="&Unclaim…", perm=Perm.CLAIM_DEVICES, who=MAINTAINERS,
                      verb="unclaim devices", tip="Take the device out of its project so it can be claimed again"),
    MaintenanceAction(key="reset", label="&Reset…", perm=Perm.RESET_DEVICE, who=MAINTAINERS, verb="reset devices",
                      tip="Delete the device's readings (and, as chosen, its properties, notes and locations)"),
    MaintenanceAction(key="trim", label="&Trim…", perm=Perm.MODIFY_DEVICE, verb="trim device data",
                      who="owners, admins, members and developers",
                      tip="Delete the device's readings before and after a time range"),
    MaintenanceAction(key="move", label="&Move to project…", perm=Perm.RESET_DEVICE, who=MAINTAINERS,
                      verb="move devices", tip="Move the device (and its data) to another project of its organization"),
    MaintenanceAction(key="archive", label="&Archive…", perm=Perm.CREATE_DATABLOCK, who=MAINTAINERS,
                      verb="archive devices", tip="Move the device's data into a data block (an archive) and free it"),
)
ACTION = {action.key: action for action in ACTIONS}


def refusal(action: MaintenanceAction, access: Access | None, device: DeviceRecord | None) -> str | None:
    """Why the operator may not start ``action`` on ``device`` now, or None. Pure (Qt thread)."""
    if device is None:
        return "Select a device first."
    if access is None:
        return "Reading your role…"
    if not device.claimed:
        return "This device is not claimed into a project."
    if device.busy:
        return "This device is busy with a job. Wait for it to finish (see Jobs)."
    if access.is_staff or access.can(device.org_id, action.perm):
        return None
    return f"Your role in this organization may not {action.verb}; {action.who} may."


def may(access: Access | None, org_id: int | None, perm: Perm) -> bool:
    return access is not None and (access.is_staff or access.can(org_id, perm))


def access_reader(account: AccountRecord) -> Op[Access]:
    """The operator's Access, for enabling buttons; rebuilt at each screen refresh."""
    async def read(appliance: Appliance) -> Access:
        return await access_for(appliance, account)

    return read


# -- what a dialog shows before it asks ------------------------------------------------------------
@dataclass(frozen=True)
class DataRange:
    """The time range of a device's readings in the streams a trim cuts (its system streams aside)."""

    first: datetime
    last: datetime
    readings: int


@dataclass(frozen=True)
class DeviceFacts:
    device: DeviceRecord
    project_name: str
    readings: int | None  # every reading in its project's streams; None: the operator may not read data
    trim_range: DataRange | None  # None: no readings in the trimmed streams, or not readable
    move_targets: tuple[ProjectRecord, ...]  # other projects of its org the operator may claim into


async def _streams(appliance: Appliance, access: Access, device: DeviceRecord) -> list[StreamRecord]:
    _, streams = await appliance.stream_ids.stream_page(access, list_scope(access), StreamQuery(device=device.slug),
                                                        limit=STREAM_LIMIT)
    return [s for s in streams if s.project_gid == device.project_gid]


async def _extents(appliance: Appliance, access: Access, streams: list[StreamRecord]) -> tuple[int, DataRange | None]:
    """All readings of the streams, and the range of those a trim cuts."""
    found = await asyncio.gather(*(appliance.reading_arrays.extent(access, s.slug) for s in streams))
    total = sum(extent.readings for extent in found if extent is not None)
    cut = [e for s, e in zip(streams, found, strict=True) if e is not None and s.lid not in KEPT_LIDS]
    if not cut:
        return total, None
    return total, DataRange(min(e.first for e in cut), max(e.last for e in cut), sum(e.readings for e in cut))


def _move_targets(access: Access, device: DeviceRecord, projects: list[ProjectRecord]) -> list[ProjectRecord]:
    """The server offers the other projects of the device's org; claiming into one needs can_claim_devices."""
    return [p for p in projects if p.org_id == device.org_id and p.gid != device.project_gid
            and not p.is_template and may(access, p.org_id, Perm.CLAIM_DEVICES)]


def facts_reader(account: AccountRecord, slug: str) -> Op[DeviceFacts]:
    async def read(appliance: Appliance) -> DeviceFacts:
        access = await access_for(appliance, account)
        device = await appliance.devices.get(access, slug)
        _, every = await appliance.projects.page(access, list_scope(access), limit=PROJECT_LIMIT)
        projects = _move_targets(access, device, every)
        name = next((p.name for p in every if p.gid == device.project_gid), "")
        try:
            readings, span = await _extents(appliance, access, await _streams(appliance, access, device))
        except (PermissionDenied, NotFound):
            return DeviceFacts(device, name, None, None, tuple(projects))
        return DeviceFacts(device, name, readings, span, tuple(projects))

    return read


@dataclass(frozen=True)
class TrimPreview:
    before: int  # readings strictly before the start, deleted
    after: int  # readings strictly after the end, deleted
    kept: int


def trim_previewer(account: AccountRecord, slug: str, start: datetime | None, end: datetime | None) -> Op[TrimPreview]:
    """How many readings a trim would delete on each side (whole seconds, as the service trims)."""
    async def count(appliance: Appliance) -> TrimPreview:
        access = await access_for(appliance, account)
        device = await appliance.devices.get(access, slug)
        streams = [s for s in await _streams(appliance, access, device) if s.lid not in KEPT_LIDS]
        arrays = appliance.reading_arrays
        before = sum(await asyncio.gather(*(arrays.count(access, s.slug, None, start) for s in streams))) \
            if start is not None else 0
        after = sum(await asyncio.gather(*(arrays.count(access, s.slug, end + ONE_US, None) for s in streams))) \
            if end is not None else 0
        total = sum(await asyncio.gather(*(arrays.count(access, s.slug, None, None) for s in streams)))
        return TrimPreview(before, after, total - before - after)

    return count


# -- starting the jobs: each returns the job's pid ---------------------------------------------------
def iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def unclaim_starter(account: AccountRecord, slug: str, *, label: str, clean_streams: bool) -> Op[str]:
    async def start(appliance: Appliance) -> str:
        access = await access_for(appliance, account)
        body: dict[str, object] = {"clean_streams": clean_streams}
        if label.strip():
            body["label"] = label.strip()
        return str((await appliance.devices.unclaim(access, slug, body))["pid"])

    return start


def reset_starter(account: AccountRecord, slug: str, *, full: bool, keep_properties: bool,
                  keep_notes_and_locations: bool) -> Op[str]:
    async def start(appliance: Appliance) -> str:
        access = await access_for(appliance, account)
        body = {"full": full, "include_properties": not keep_properties,
                "include_notes_and_locations": not keep_notes_and_locations}
        return str((await appliance.maintenance.reset(access, slug, body))["pid"])

    return start


def trim_starter(account: AccountRecord, slug: str, start: datetime | None, end: datetime | None) -> Op[str]:
    async def run(appliance: Appliance) -> str:
        access = await access_for(appliance, account)
        body = {name: text for name, text in (("start", iso(start)), ("end", iso(end))) if text is not None}
        return str((await appliance.maintenance.trim(access, slug, body))["pid"])

    return run


def move_starter(account: AccountRecord, slug: str, project: str, *, move_data: bool) -> Op[str]:
    async def start(appliance: Appliance) -> str:
        access = await access_for(appliance, account)
        result = await appliance.maintenance.move(access, slug, {"project": project, "move_data": move_data})
        return str(result["pid"])

    return start


def archive_starter(account: AccountRecord, slug: str, *, title: str, description: str, unclaim: bool) -> Op[str]:
    async def start(appliance: Appliance) -> str:
        access = await access_for(appliance, account)
        body = {"device": slug, "title": title.strip(), "description": description.strip(),
                "on_complete": {"device": {"unclaim": unclaim}}}
        block, pid = await appliance.datablocks.create(access, body)
        LOGGER.info("archive of %s into %s started from the GUI (pid %s)", slug, block.slug, pid)
        return pid

    return start


def finished_job(pid: str) -> Op[JobRecord]:
    """The job once it ended, for the closing message (its result: what was deleted or moved)."""
    async def read(appliance: Appliance) -> JobRecord:
        return await appliance.jobs.get(pid)

    return read
