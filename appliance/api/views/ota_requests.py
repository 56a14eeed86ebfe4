"""/api/v1/ota/request/, ota/action/, ota/version/ and ota/device/<slug>/, as iotile.cloud's OTA API.

iotile-ext-cloud's OTA updater reads ``ota/device/<slug>/``, fetches ``ota/script/<slug>/file/`` and
posts ``ota/action/`` {deployment, device, attempt_successful, last_attempt_on}. Differences from
the server are listed in docs/api/ota.md.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.auth import principal
from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access, flag, list_scope
from appliance.services.ota import Ota
from appliance.slugs import DeviceSlug


def setup(app: web.Application) -> None:
    add = app.router
    add.add_get(f"{API}/ota/request/", request_list)
    add.add_post(f"{API}/ota/request/", request_create)
    add.add_get(f"{API}/ota/request/{{id}}/", request_detail)
    add.add_patch(f"{API}/ota/request/{{id}}/", request_update)
    add.add_put(f"{API}/ota/request/{{id}}/", request_update)
    add.add_delete(f"{API}/ota/request/{{id}}/", request_delete)
    add.add_get(f"{API}/ota/request/{{id}}/devices/", request_devices)
    add.add_get(f"{API}/ota/action/", action_list)
    add.add_post(f"{API}/ota/action/", action_create)
    add.add_get(f"{API}/ota/action/{{id}}/", action_detail)
    add.add_patch(f"{API}/ota/action/{{id}}/", action_update)
    add.add_put(f"{API}/ota/action/{{id}}/", action_update)
    add.add_delete(f"{API}/ota/action/{{id}}/", action_delete)
    add.add_get(f"{API}/ota/version/", version_list)
    add.add_post(f"{API}/ota/version/", version_create)
    add.add_get(f"{API}/ota/version/{{id}}/", version_detail)
    add.add_delete(f"{API}/ota/version/{{id}}/", version_delete)
    add.add_get(f"{API}/ota/device/{{slug}}/", device_detail)


def ota(request: web.Request) -> Ota:
    return request.app[APPLIANCE].ota


def staff_mode(request: web.Request) -> bool:
    """The server's ``?staff=1`` switch for the staff-only writes."""
    return principal(request).is_staff and flag(request, "staff")


def _created_by(request: web.Request) -> int | None:
    account = principal(request).account
    return account.id if account else None


async def request_list(request: web.Request) -> web.Response:
    """``?fleet=g--a,g--b``, ``?org=a,b``, ``?scope=global|<g-- slug>|<org slug>``."""
    access = await caller_access(request)
    page = page_of(request)
    query = request.query
    count, rows = await ota(request).requests.page(
        access, await list_scope(request, access), fleet=query.get("fleet") or None, org=query.get("org") or None,
        within=query.get("scope") or None, offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def request_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await ota(request).requests.create(access, await json_object(request), created_by_id=_created_by(request))
    return respond(record.as_json(), status=201)


async def request_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond((await ota(request).requests.get(access, request.match_info["id"])).as_json())


async def request_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await ota(request).requests.update(access, request.match_info["id"], await json_object(request))
    return respond(record.as_json())


async def request_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await ota(request).requests.delete(access, request.match_info["id"])
    return web.Response(status=204)


async def request_devices(request: web.Request) -> web.Response:
    """The devices the request reaches now: ``{id, slug, sg, template, versions}``."""
    access = await caller_access(request)
    page = page_of(request)
    count, rows = await ota(request).requests.devices(access, request.match_info["id"], offset=page.offset,
                                                      limit=page.size)
    results: list[dict[str, Any]] = [
        {"id": device_id, "slug": DeviceSlug(device_id).slug, "sg": sg, "template": template,
         "versions": [v.short_json() for v in versions]}
        for device_id, sg, template, versions in rows]
    return respond(paginated(request, page, count, results))


async def action_list(request: web.Request) -> web.Response:
    """``?request=<id>`` and ``?device=<d-- slug>``."""
    access = await caller_access(request)
    page = page_of(request)
    count, rows = await ota(request).actions.page(
        access, await list_scope(request, access), request=request.query.get("request") or None,
        device=request.query.get("device") or None, offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def action_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await ota(request).actions.create(access, await json_object(request))
    return respond(record.as_json(), status=201)


async def action_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond((await ota(request).actions.get(access, request.match_info["id"])).as_json())


async def action_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await ota(request).actions.update(access, request.match_info["id"], await json_object(request),
                                               staff_mode=staff_mode(request))
    return respond(record.as_json())


async def action_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await ota(request).actions.delete(access, request.match_info["id"], staff_mode=staff_mode(request))
    return web.Response(status=204)


async def version_list(request: web.Request) -> web.Response:
    """``?device=``, ``?type=os|app``, ``?latest=1`` (the current version of each type)."""
    access = await caller_access(request)
    page = page_of(request)
    count, rows = await ota(request).versions.page(
        access, await list_scope(request, access), device=request.query.get("device") or None,
        kind=request.query.get("type") or None, latest=flag(request, "latest"), offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def version_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    record = await ota(request).versions.create(access, await json_object(request), staff_mode=staff_mode(request))
    return respond(record.as_json(), status=201)


async def version_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond((await ota(request).versions.get(access, request.match_info["id"])).as_json())


async def version_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await ota(request).versions.delete(access, request.match_info["id"], staff_mode=staff_mode(request))
    return web.Response(status=204)


async def device_detail(request: web.Request) -> web.Response:
    """What applies to one device now: ``{slug, template, sg, deployments, actions, versions}``."""
    access = await caller_access(request)
    return respond((await ota(request).device(access, request.match_info["slug"])).as_json())
