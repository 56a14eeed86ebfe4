"""/api/v1/fleet/: fleets, their members, and register/deregister, as iotile.cloud's fleet API.

Differences from iotile.cloud are listed in docs/api/fleets.md (changing a fleet needs
``can_manage_ota`` here; the server let any member PATCH or DELETE one).
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.auth import principal
from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access, list_scope
from appliance.errors import ValidationError
from appliance.services.fleets import FleetService

FLEETS: web.AppKey[FleetService] = web.AppKey("fleets", FleetService)
_BOOLEANS = {"1": True, "true": True, "0": False, "false": False}


def setup(app: web.Application) -> None:
    app[FLEETS] = FleetService(app[APPLIANCE].metadata)
    app.router.add_get(f"{API}/fleet/", fleet_list)
    app.router.add_post(f"{API}/fleet/", fleet_create)
    app.router.add_get(f"{API}/fleet/{{slug}}/", fleet_detail)
    app.router.add_patch(f"{API}/fleet/{{slug}}/", fleet_update)
    app.router.add_put(f"{API}/fleet/{{slug}}/", fleet_update)
    app.router.add_delete(f"{API}/fleet/{{slug}}/", fleet_delete)
    app.router.add_get(f"{API}/fleet/{{slug}}/devices/", fleet_devices)
    app.router.add_post(f"{API}/fleet/{{slug}}/register/", fleet_register)
    app.router.add_post(f"{API}/fleet/{{slug}}/deregister/", fleet_deregister)


def query_bool(request: web.Request, name: str) -> bool | None:
    value = request.query.get(name)
    if value is None or value == "":
        return None
    if value.lower() not in _BOOLEANS:
        raise ValidationError(f"{name}: expected true or false", key="bad_bool")
    return _BOOLEANS[value.lower()]


async def fleet_list(request: web.Request) -> web.Response:
    """``?org=``, ``?device=`` (the fleets a device is in) and ``?is_network=``."""
    access = await caller_access(request)
    page = page_of(request)
    count, rows = await request.app[FLEETS].page(
        access, await list_scope(request, access), org=request.query.get("org") or None,
        device=request.query.get("device") or None, is_network=query_bool(request, "is_network"),
        offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def fleet_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    account = principal(request).account
    record = await request.app[FLEETS].create(access, await json_object(request),
                                              created_by_id=account.id if account else None)
    return respond(record.as_json(), status=201)


async def fleet_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond((await request.app[FLEETS].get(access, request.match_info["slug"])).as_json())


async def fleet_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await request.app[FLEETS].update(access, request.match_info["slug"], await json_object(request))
    return respond(record.as_json())


async def fleet_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[FLEETS].delete(access, request.match_info["slug"])
    return web.Response(status=204)


async def fleet_devices(request: web.Request) -> web.Response:
    access = await caller_access(request)
    page = page_of(request)
    count, rows = await request.app[FLEETS].members(access, request.match_info["slug"],
                                                    offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def fleet_register(request: web.Request) -> web.Response:
    """{device, always_on?, is_access_point?} -> 201 with the membership."""
    access = await caller_access(request)
    body = await json_object(request)
    member = await request.app[FLEETS].register(access, request.match_info["slug"], body)
    return respond(member.as_json(), status=201)


async def fleet_deregister(request: web.Request) -> web.Response:
    """{device} -> 202 with the membership removed."""
    access = await caller_access(request)
    body = await json_object(request)
    member = await request.app[FLEETS].deregister(access, request.match_info["slug"], body)
    return respond(member.as_json(), status=202)
