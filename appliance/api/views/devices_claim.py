"""/api/v1/device/ claiming: claimable, claim, and unclaim (a job answering 202 with its pid)."""

from __future__ import annotations

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access


def setup(app: web.Application) -> None:
    app.router.add_post(f"{API}/device/claimable/", device_claimable)
    app.router.add_post(f"{API}/device/claim/", device_claim)
    app.router.add_post(f"{API}/device/{{slug}}/unclaim/", device_unclaim)


async def device_claimable(request: web.Request) -> web.Response:
    """202 ``{count, results: [{slug, claimable}]}``, as the server answers."""
    await caller_access(request)
    result = await request.app[APPLIANCE].devices.claimable(await json_object(request))
    return respond(result, status=202)


async def device_claim(request: web.Request) -> web.Response:
    """202 ``{claimed, device, project, project_id}``; the streams exist when it answers."""
    access = await caller_access(request)
    result = await request.app[APPLIANCE].devices.claim(access, await json_object(request))
    return respond(result, status=202)


async def device_unclaim(request: web.Request) -> web.Response:
    """202 ``{unclaimed, msg, pid}``: the server's answer plus the job's pid to follow at pid/."""
    access = await caller_access(request)
    body = await json_object(request)
    result = await request.app[APPLIANCE].devices.unclaim(access, request.match_info["slug"], body)
    return respond(result, status=202)
