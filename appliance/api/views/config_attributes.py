"""/api/v1/config/name/ and /api/v1/config/attr/: configuration attributes on slug targets.

Differences from iotile.cloud, on purpose: names must be ``:a:b`` with non-empty parts (the server
checks only the leading ':' and spaces); ``data`` must be a JSON object; every create, overwrite and
delete writes a system note on the target (the server only does it for devices with ``log_as_note``);
writing needs ``can_modify_device_properties`` on a device or block and ``can_manage_org_and_projects``
on a project or org (the server checks membership only); another org's target is 404, not 403.
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.access import access_of
from appliance.api.auth import principal, require_staff
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.properties import pk_of
from appliance.errors import ValidationError
from appliance.services.config_attributes import ConfigAttributes, validate_name, validate_tags

CONFIG: web.AppKey[ConfigAttributes] = web.AppKey("config_attributes", ConfigAttributes)
NAME_FIELDS = frozenset({"name", "description", "tags"})
ATTR_FIELDS = frozenset({"target", "name", "data", "log_as_note"})


def setup(app: web.Application) -> None:
    app[CONFIG] = ConfigAttributes(app[APPLIANCE].metadata)
    app.router.add_get(f"{API}/config/name/", name_list)
    app.router.add_post(f"{API}/config/name/", name_create)
    app.router.add_get(f"{API}/config/name/{{pk}}/", name_detail)
    app.router.add_delete(f"{API}/config/name/{{pk}}/", name_delete)
    app.router.add_get(f"{API}/config/attr/", attr_list)
    app.router.add_post(f"{API}/config/attr/", attr_create)
    app.router.add_get(f"{API}/config/attr/search/", attr_search)
    app.router.add_get(f"{API}/config/attr/{{pk}}/", attr_detail)
    app.router.add_put(f"{API}/config/attr/{{pk}}/", attr_no_update)
    app.router.add_patch(f"{API}/config/attr/{{pk}}/", attr_no_update)
    app.router.add_delete(f"{API}/config/attr/{{pk}}/", attr_delete)


def _known(body: dict[str, object], allowed: frozenset[str]) -> None:
    unknown = sorted(set(body) - allowed)
    if unknown:
        raise ValidationError(f"unknown fields: {', '.join(unknown)}", key="unknown_field")


async def name_list(request: web.Request) -> web.Response:
    principal(request)
    query = request.query
    rows = await request.app[CONFIG].names(query.get("search") or query.get("name_q") or None,
                                           query.get("tag") or None, query.get("name") or None)
    page = page_of(request)
    results = [r.as_json() for r in rows[page.offset:page.offset + page.size]]
    return respond(paginated(request, page, len(rows), results))


async def name_create(request: web.Request) -> web.Response:
    who = require_staff(request)
    body = await json_object(request)
    _known(body, NAME_FIELDS)
    name = validate_name(body.get("name"))
    description = body.get("description", "")
    if not isinstance(description, str):
        raise ValidationError("description: expected text", key="wrong_type")
    tags = validate_tags(body.get("tags", []))
    record = await request.app[CONFIG].create_name(name, description, tags, who.account.id if who.account else None)
    return respond(record.as_json(), status=201)


async def name_detail(request: web.Request) -> web.Response:
    principal(request)
    return respond((await request.app[CONFIG].name(pk_of(request))).as_json())


async def name_delete(request: web.Request) -> web.Response:
    require_staff(request)
    await request.app[CONFIG].delete_name(pk_of(request))
    return web.Response(status=204)


async def attr_list(request: web.Request) -> web.Response:
    target = request.query.get("target")
    if not target:
        raise ValidationError("target: this filter is required", key="target")
    page = page_of(request)
    count, rows = await request.app[CONFIG].page(await access_of(request), target,
                                                 request.query.get("name_q") or None, page.offset, page.size)
    return respond(paginated(request, page, count, [r.as_json() for r in rows]))


async def attr_create(request: web.Request) -> web.Response:
    body = await json_object(request)
    _known(body, ATTR_FIELDS)
    target, name = require_str(body, "target"), validate_name(body.get("name"))
    data = body.get("data")
    if not isinstance(data, dict):
        raise ValidationError("data: expected a JSON object", key="wrong_type")
    if not isinstance(body.get("log_as_note", False), bool):
        raise ValidationError("log_as_note: must be a valid boolean", key="wrong_type")
    record = await request.app[CONFIG].set(await access_of(request), target, name, data)
    return respond(record.as_json(), status=201)


async def attr_search(request: web.Request) -> web.Response:
    target, name = request.query.get("target"), request.query.get("name")
    if not target or not name:
        raise ValidationError("Missing target and/or name", key="missing")
    record = await request.app[CONFIG].search(await access_of(request), target, name)
    return respond(record.as_json())


async def attr_detail(request: web.Request) -> web.Response:
    record = await request.app[CONFIG].get(await access_of(request), pk_of(request))
    return respond(record.as_json())


async def attr_no_update(request: web.Request) -> web.Response:
    """As the real server: an attribute is overwritten by POSTing it again on its target."""
    principal(request)
    raise ValidationError("PUT and PATCH methods are not supported; use POST with the right target",
                          key="not_supported")


async def attr_delete(request: web.Request) -> web.Response:
    await request.app[CONFIG].delete(await access_of(request), pk_of(request))
    return web.Response(status=204)
