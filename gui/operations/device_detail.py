"""Everything the device detail dialog shows, read in one trip before it opens, and its edits: a note,
the health check, the data mask.

Each tab's read is guarded on its own: a tab the operator's role may not read (or of an unclaimed
device) says so instead of failing the whole dialog. The operator's Access travels with the detail
so the dialog enables only the edits the services would accept.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Generic, TypeVar

from appliance.app import Appliance
from appliance.errors import NotFound, PermissionDenied
from appliance.services.accounts import AccountRecord
from appliance.services.config_attributes import AttributeRecord, ConfigAttributes
from appliance.services.data_mask import TIME_FORMAT
from appliance.services.devices_records import DeviceRecord, DeviceStatusRecord
from appliance.services.locations import LocationRecord, LocationService
from appliance.services.notes import NoteRecord, NoteService
from appliance.services.ota_records import RequestRecord, VersionRecord
from appliance.services.permissions import Access
from appliance.services.properties import Properties, PropertyRecord
from appliance.services.streamers import StreamerRecord
from appliance.services.streams import StreamQuery
from appliance.services.streams_records import StreamRecord
from appliance.slugs import DeviceScriptSlug, DeviceSlug
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.devices import project_names
from gui.operations.projects import org_names

STREAM_LIMIT = 1000
STREAMER_LIMIT = 100
VERSION_LIMIT = 500
TAB_LIMIT = 1000  # rows read for each of the properties, attributes, notes and locations tabs

R = TypeVar("R")


@dataclass(frozen=True)
class TabRows(Generic[R]):
    """One read-only tab's rows, or why the operator cannot see them (``refused``)."""

    rows: tuple[R, ...] = ()
    count: int = 0
    refused: str = ""


@dataclass(frozen=True)
class DeviceServices:
    """The services the API builds in its views' setup(); the Appliance does not own them yet."""

    properties: Properties
    attributes: ConfigAttributes
    notes: NoteService
    locations: LocationService


def services_of(appliance: Appliance) -> DeviceServices:
    metadata = appliance.metadata
    notes = NoteService(metadata)
    return DeviceServices(Properties(metadata), ConfigAttributes(metadata), notes,
                          LocationService(metadata, notes, appliance.streams))


def target_of(device_id: int) -> str:
    return DeviceSlug(device_id).slug


def refused_text(error: PermissionDenied | NotFound, what: str) -> str:
    if isinstance(error, PermissionDenied):
        return f"Your role in this organization may not read {what}."
    return f"This device is not claimed into an organization, so it has no {what}."


async def _tab(read: Callable[[], Awaitable[tuple[int, list[R]]]], what: str) -> TabRows[R]:
    try:
        count, rows = await read()
    except (PermissionDenied, NotFound) as err:
        return TabRows(refused=refused_text(err, what))
    return TabRows(tuple(rows), count)


async def read_notes(services: DeviceServices, access: Access, target: str) -> TabRows[NoteRecord]:
    return await _tab(lambda: services.notes.list(access, target, start=None, end=None, lastn=None, offset=0,
                                                  limit=TAB_LIMIT), "notes")


@dataclass(frozen=True)
class Deployment:
    """An OTA deployment request that still applies to the device, with its script's name."""

    request: RequestRecord
    script: str


@dataclass(frozen=True)
class Versions:
    """OS (5c08) and app (5c09) versions: the current ones, the history (newest first), and the
    released deployments whose criteria the device still meets and has not confirmed."""

    current: tuple[VersionRecord, ...] = ()
    history: tuple[VersionRecord, ...] = ()
    deployments: tuple[Deployment, ...] = ()
    refused: str = ""


@dataclass(frozen=True)
class Mask:
    """The device's data mask: reads asking for it see only [start, end); both None: no mask."""

    start: datetime | None = None
    end: datetime | None = None
    refused: str = ""

    @property
    def is_set(self) -> bool:
        return self.start is not None or self.end is not None


@dataclass(frozen=True)
class DeviceDetail:
    device: DeviceRecord
    project_name: str
    org_name: str
    status: DeviceStatusRecord
    streams: tuple[StreamRecord, ...]
    streamers: tuple[StreamerRecord, ...]
    properties: TabRows[PropertyRecord] = field(default_factory=TabRows)
    attributes: TabRows[AttributeRecord] = field(default_factory=TabRows)
    notes: TabRows[NoteRecord] = field(default_factory=TabRows)
    locations: TabRows[LocationRecord] = field(default_factory=TabRows)
    versions: Versions = field(default_factory=Versions)
    mask: Mask = field(default_factory=Mask)
    access: Access = field(default_factory=Access)


def detail_reader(account: AccountRecord, slug: str) -> Op[DeviceDetail]:
    async def read(appliance: Appliance) -> DeviceDetail:
        access = await access_for(appliance, account)
        device = await appliance.devices.get(access, slug)
        status = await appliance.devices.status(access, slug)
        _, streams = await appliance.stream_ids.stream_page(access, list_scope(access), StreamQuery(device=slug),
                                                            limit=STREAM_LIMIT)
        _, streamers = await appliance.streamers.page(access, device.id, 0, STREAMER_LIMIT)
        projects = await project_names(appliance, access)
        orgs = await org_names(appliance, access)
        services, target = services_of(appliance), target_of(device.id)
        properties = await _tab(lambda: services.properties.page(access, target, 0, TAB_LIMIT), "device properties")
        attributes = await _tab(lambda: services.attributes.page(access, target, None, 0, TAB_LIMIT),
                                "configuration attributes")
        locations = await _tab(lambda: services.locations.list(access, target, start=None, end=None, offset=0,
                                                               limit=TAB_LIMIT), "device locations")
        return DeviceDetail(device, projects.get(device.project_gid or 0, ""), orgs.get(device.org_id or 0, ""),
                            status, tuple(streams), tuple(streamers), properties, attributes,
                            await read_notes(services, access, target), locations,
                            await read_versions(appliance, access, slug), await read_mask(appliance, access, slug),
                            access)

    return read


def note_adder(account: AccountRecord, device_id: int, text: str) -> Op[TabRows[NoteRecord]]:
    """Post a user note on the device (timed now), then read its notes again."""
    async def add(appliance: Appliance) -> TabRows[NoteRecord]:
        access = await access_for(appliance, account)
        services, target = services_of(appliance), target_of(device_id)
        await services.notes.add(access, target, timestamp=datetime.now(timezone.utc), note=text,
                                 created_by_id=account.id)
        return await read_notes(services, access, target)

    return add


async def _script_name(appliance: Appliance, access: Access, script_id: int) -> str:
    slug = DeviceScriptSlug(script_id).slug
    try:
        script = await appliance.ota.scripts.get(access, slug)
    except (PermissionDenied, NotFound):
        return slug
    major, minor, patch = script.version
    return f"{script.name} v{major}.{minor}.{patch}"


async def read_versions(appliance: Appliance, access: Access, slug: str) -> Versions:
    try:
        ota = await appliance.ota.device(access, slug)
        _, history = await appliance.ota.versions.page(access, list_scope(access), device=slug, kind=None,
                                                       latest=False, offset=0, limit=VERSION_LIMIT)
    except (PermissionDenied, NotFound) as err:
        return Versions(refused=refused_text(err, "versions") if isinstance(err, PermissionDenied) else
                        "This device is not claimed (or is switched off), so it has no versions to show.")
    deployments = [Deployment(r, await _script_name(appliance, access, r.script_id)) for r in ota.deployments]
    newest = sorted(history, key=lambda v: (v.updated_ts, v.id), reverse=True)
    return Versions(tuple(ota.versions), tuple(newest), tuple(deployments))


def _moment(text: str | None) -> datetime | None:
    return None if text is None else datetime.strptime(text, TIME_FORMAT).replace(tzinfo=timezone.utc)


def _mask_of(payload: dict[str, Any]) -> Mask:
    return Mask(_moment(payload.get("start")), _moment(payload.get("end")))


async def read_mask(appliance: Appliance, access: Access, slug: str) -> Mask:
    try:
        return _mask_of(await appliance.maintenance.mask(access, slug))
    except (PermissionDenied, NotFound) as err:
        return Mask(refused=refused_text(err, "data mask"))


def mask_setter(account: AccountRecord, slug: str, start: datetime | None, end: datetime | None) -> Op[Mask]:
    """Set the mask (whole seconds, UTC, as the API takes it), then read it back."""
    async def change(appliance: Appliance) -> Mask:
        access = await access_for(appliance, account)
        body = {name: moment.astimezone(timezone.utc).strftime(TIME_FORMAT)
                for name, moment in (("start", start), ("end", end)) if moment is not None}
        await appliance.maintenance.set_mask(access, slug, body)
        return await read_mask(appliance, access, slug)

    return change


def mask_clearer(account: AccountRecord, slug: str) -> Op[Mask]:
    async def clear(appliance: Appliance) -> Mask:
        access = await access_for(appliance, account)
        await appliance.maintenance.clear_mask(access, slug)
        return await read_mask(appliance, access, slug)

    return clear


def health_setter(account: AccountRecord, slug: str, *, enabled: bool, period: int) -> Op[DeviceStatusRecord]:
    """Switch the health check on or off and set its period (seconds; the service takes 60 and up)."""
    async def change(appliance: Appliance) -> DeviceStatusRecord:
        access = await access_for(appliance, account)
        return await appliance.devices.set_health(access, slug, {"health_check_enabled": enabled,
                                                                 "health_check_period": period})

    return change
