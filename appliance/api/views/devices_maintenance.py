"""/api/v1/device/<slug>/reset/, trim/, move/ (jobs answering 202 with their pid) and mask/.

Differences from iotile.cloud are listed in docs/api/devices.md.
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access
from appliance.services.device_maintenance import DeviceMaintenance

MAINTENANCE: web.AppKey[DeviceMaintenance] = web.AppKey("device_maintenance", DeviceMaintenance)


def setup(app: web.Application) -> None:
    app[MAINTENANCE] = app[APPLIANCE].maintenance  # the Appliance owns it: the GUI uses the same one
    app.router.add_post(f"{API}/device/{{slug}}/reset/", device_reset)
    app.router.add_post(f"{API}/device/{{slug}}/trim/", device_trim)
    app.router.add_post(f"{API}/device/{{slug}}/move/", device_move)
    app.router.add_get(f"{API}/device/{{slug}}/mask/", device_mask)
    app.router.add_patch(f"{API}/device/{{slug}}/mask/", device_mask_set)
    app.router.add_delete(f"{API}/device/{{slug}}/mask/", device_mask_clear)


async def device_reset(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    return respond(await request.app[MAINTENANCE].reset(access, request.match_info["slug"], body), status=202)


async def device_trim(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    return respond(await request.app[MAINTENANCE].trim(access, request.match_info["slug"], body), status=202)


async def device_move(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    return respond(await request.app[MAINTENANCE].move(access, request.match_info["slug"], body), status=202)


async def device_mask(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(await request.app[MAINTENANCE].mask(access, request.match_info["slug"]))


async def device_mask_set(request: web.Request) -> web.Response:
    """202 with the stored payload ``{start, end, events, data}``, as the server answers."""
    access = await caller_access(request)
    body = await json_object(request)
    return respond(await request.app[MAINTENANCE].set_mask(access, request.match_info["slug"], body), status=202)


async def device_mask_clear(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[MAINTENANCE].clear_mask(access, request.match_info["slug"])
    return web.Response(status=204)
