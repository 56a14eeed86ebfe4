"""/api/v1/device/: listing, registering, reading and editing devices, their status, health and keys.

Claiming lives in views/devices_claim.py and the Api-Key door in views/production.py; both are
registered from here.
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views import devices_claim, production
from appliance.api.views.devices_common import (
    DEVICE_PAGE,
    DEVICE_PAGE_MAX,
    caller_access,
    create_from,
    created,
    csv_text,
    device_json,
    device_query,
    flag,
    health_json,
    list_scope,
    status_json,
)


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/device/", device_list)
    app.router.add_post(f"{API}/device/", device_create)
    app.router.add_post(f"{API}/device/range/", device_create_range)
    app.router.add_post(f"{API}/device/csv/", device_create_csv)
    devices_claim.setup(app)
    app.router.add_get(f"{API}/device/{{slug}}/", device_detail)
    app.router.add_patch(f"{API}/device/{{slug}}/", device_update)
    app.router.add_put(f"{API}/device/{{slug}}/", device_update)
    app.router.add_delete(f"{API}/device/{{slug}}/", device_delete)
    app.router.add_get(f"{API}/device/{{slug}}/status/", device_status)
    app.router.add_get(f"{API}/device/{{slug}}/health/", device_health)
    app.router.add_patch(f"{API}/device/{{slug}}/health/", device_health_update)
    app.router.add_get(f"{API}/device/{{slug}}/key/", device_key)
    production.setup(app)


async def device_list(request: web.Request) -> web.Response:
    """``?all=1`` adds inactive devices; ``?staff=1`` lets staff see every device (as the server)."""
    access = await caller_access(request)
    page = page_of(request, default_size=DEVICE_PAGE, max_size=DEVICE_PAGE_MAX)
    count, devices = await request.app[APPLIANCE].devices.page(
        await list_scope(request, access), device_query(request, include_inactive=flag(request, "all")),
        offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [device_json(d) for d in devices]))


async def device_create(request: web.Request) -> web.Response:
    return await create_from(request, await caller_access(request))


async def device_create_range(request: web.Request) -> web.Response:
    access = await caller_access(request)
    devices = await request.app[APPLIANCE].devices.create_range(access, await json_object(request))
    return created(devices, False)


async def device_create_csv(request: web.Request) -> web.Response:
    access = await caller_access(request)
    devices = await request.app[APPLIANCE].devices.create_csv(access, await csv_text(request))
    return created(devices, False)


async def device_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(device_json(await request.app[APPLIANCE].devices.get(access, request.match_info["slug"])))


async def device_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    device = await request.app[APPLIANCE].devices.update(access, request.match_info["slug"], body)
    return respond(device_json(device))


async def device_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[APPLIANCE].devices.delete(access, request.match_info["slug"])
    return web.Response(status=204)


async def device_status(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(status_json(await request.app[APPLIANCE].devices.status(access, request.match_info["slug"])))


async def device_health(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(status_json(await request.app[APPLIANCE].devices.status(access, request.match_info["slug"])))


async def device_health_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    status = await request.app[APPLIANCE].devices.set_health(access, request.match_info["slug"], body)
    return respond(health_json(status))


async def device_key(request: web.Request) -> web.Response:
    """``?type=a-jwt`` (or a downloadable key type): 200 ``{"key"}``, 403 when there is none."""
    access = await caller_access(request)
    key = await request.app[APPLIANCE].devices.key(access, request.match_info["slug"],
                                                   request.query.get("type", ""))
    return respond({"key": key})
