"""Everything the device detail dialog shows, read in one trip before it opens."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Generic, TypeVar

from appliance.app import Appliance
from appliance.errors import NotFound, PermissionDenied
from appliance.services.accounts import AccountRecord
from appliance.services.config_attributes import AttributeRecord, ConfigAttributes
from appliance.services.devices_records import DeviceRecord, DeviceStatusRecord
from appliance.services.locations import LocationRecord, LocationService
from appliance.services.notes import NoteRecord, NoteService
from appliance.services.permissions import Access
from appliance.services.properties import Properties, PropertyRecord
from appliance.services.streamers import StreamerRecord
from appliance.services.streams import StreamQuery
from appliance.services.streams_records import StreamRecord
from appliance.slugs import DeviceSlug
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.devices import project_names
from gui.operations.projects import org_names

STREAM_LIMIT = 1000
STREAMER_LIMIT = 100
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
    return DeviceServices(Properties(metadata), ConfigAttributes(metadata), notes, LocationService(metadata, notes, appliance.streams))


def target_of(device_id: int) -> str:
    return DeviceSlug(device_id).slug


async def _tab(read: Callable[[], Awaitable[tuple[int, list[R]]]], what: str) -> TabRows[R]:
    try:
        count, rows = await read()
    except PermissionDenied:
        return TabRows(refused=f"Your role in this organization may not read {what}.")
    except NotFound:
        return TabRows(refused=f"This device is not claimed into an organization, so it has no {what}.")
    return TabRows(tuple(rows), count)


async def read_notes(services: DeviceServices, access: Access, target: str) -> TabRows[NoteRecord]:
    return await _tab(lambda: services.notes.list(access, target, start=None, end=None, lastn=None, offset=0,
                                                  limit=TAB_LIMIT), "notes")


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
                            await read_notes(services, access, target), locations)

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
