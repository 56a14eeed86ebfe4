"""Everything the device detail dialog shows, read in one trip before it opens."""

from __future__ import annotations

from dataclasses import dataclass

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.devices_records import DeviceRecord, DeviceStatusRecord
from appliance.services.streamers import StreamerRecord
from appliance.services.streams import StreamQuery
from appliance.services.streams_records import StreamRecord
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.devices import project_names
from gui.operations.projects import org_names

STREAM_LIMIT = 1000
STREAMER_LIMIT = 100


@dataclass(frozen=True)
class DeviceDetail:
    device: DeviceRecord
    project_name: str
    org_name: str
    status: DeviceStatusRecord
    streams: tuple[StreamRecord, ...]
    streamers: tuple[StreamerRecord, ...]


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
        return DeviceDetail(device, projects.get(device.project_gid or 0, ""), orgs.get(device.org_id or 0, ""),
                            status, tuple(streams), tuple(streamers))

    return read
