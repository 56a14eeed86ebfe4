"""/api/v1/production/device/: the org Api-Key's door (iotile.cloud's manufacturing data API).

The server's is read-only plus ``create_virtual``; the appliance also lets the key register devices
into its org (one, a list, a range or a CSV), since a site's own production line has no Arch staff.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal
from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.devices_common import (
    DEVICE_PAGE,
    DEVICE_PAGE_MAX,
    create_from,
    created,
    csv_text,
    device_json,
    device_query,
    flag,
)
from appliance.errors import PermissionDenied
from appliance.services.devices_records import DeviceRecord
from appliance.services.permissions import Access

BASE = f"{API}/production/device"


def setup(app: web.Application) -> None:
    app.router.add_get(f"{BASE}/", production_list)
    app.router.add_post(f"{BASE}/", production_create)
    app.router.add_post(f"{BASE}/range/", production_create_range)
    app.router.add_post(f"{BASE}/csv/", production_create_csv)
    app.router.add_post(f"{BASE}/create_virtual/", production_create_virtual)
    app.router.add_get(f"{BASE}/{{slug}}/", production_detail)


async def key_access(request: web.Request) -> tuple[int, Access]:
    """Only an org Api-Key gets in (HasAuthAPIKey); people use /device/."""
    who = principal(request)
    if who.account is not None or who.org_id is None:
        raise PermissionDenied("this endpoint needs an org API key (Authorization: Api-Key <key>)",
                               key="api_key_required")
    return who.org_id, await access_of(request)


def production_json(device: DeviceRecord, keys: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """ManufacturingDataSerializer: no org, project or claimer, only whether it is claimed."""
    data: dict[str, Any] = {"id": device.id, "slug": device.slug, "gid": device.gid,
                            "created_on": device.created_on, "template": device.template, "sg": device.sg,
                            "claimed": device.claimed}
    if keys is not None:
        data["keys"] = keys
    return data


async def production_list(request: web.Request) -> web.Response:
    """The key's org's devices (active or not); ``?keys=1`` adds their downloadable keys."""
    org_id, _ = await key_access(request)
    page = page_of(request, default_size=DEVICE_PAGE, max_size=DEVICE_PAGE_MAX)
    devices = request.app[APPLIANCE].devices
    count, found = await devices.org_page(org_id, device_query(request, include_inactive=True),
                                          offset=page.offset, limit=page.size)
    if flag(request, "keys"):
        keys = await devices.keys_of([d.id for d in found])
        results = [production_json(d, keys.get(d.id, [])) for d in found]
    else:
        results = [production_json(d) for d in found]
    return respond(paginated(request, page, count, results))


async def production_detail(request: web.Request) -> web.Response:
    org_id, access = await key_access(request)
    return respond(production_json(await request.app[APPLIANCE].devices.get(access, request.match_info["slug"])))


async def production_create(request: web.Request) -> web.Response:
    _, access = await key_access(request)
    return await create_from(request, access)


async def production_create_range(request: web.Request) -> web.Response:
    _, access = await key_access(request)
    return created(await request.app[APPLIANCE].devices.create_range(access, await json_object(request)), False)


async def production_create_csv(request: web.Request) -> web.Response:
    _, access = await key_access(request)
    return created(await request.app[APPLIANCE].devices.create_csv(access, await csv_text(request)), False)


async def production_create_virtual(request: web.Request) -> web.Response:
    """201 with a list of DeviceSerializer objects, as the server answers."""
    _, access = await key_access(request)
    devices = await request.app[APPLIANCE].devices.create_virtual(access, await json_object(request))
    return respond([device_json(d) for d in devices], status=201)
