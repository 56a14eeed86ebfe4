"""/api/v1/ device templates (``dt/``, with ``slot/``), sensor graphs (``sg/``) and ``vartemplate/``."""

from __future__ import annotations

from aiohttp import web

from appliance.api.auth import require_staff
from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.catalogue_common import account_id, add_writes, catalogue, reader, slug_of, staff_listing
from appliance.api.views.catalogue_json import graph_wire, slot_wire, template_wire, variable_wire
from appliance.errors import NotFound
from appliance.services.catalogue_writes import DEVICE_TEMPLATES, SENSOR_GRAPHS


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/dt/", template_list)
    app.router.add_get(f"{API}/dt/{{slug}}/", template_detail)
    app.router.add_get(f"{API}/dt/{{slug}}/slot/", slot_list)
    app.router.add_post(f"{API}/dt/{{slug}}/slot/", slot_set)
    add_writes(app, "dt", DEVICE_TEMPLATES, template_wire)
    app.router.add_get(f"{API}/sg/", graph_list)
    app.router.add_get(f"{API}/sg/{{slug}}/", graph_detail)
    add_writes(app, "sg", SENSOR_GRAPHS, graph_wire)
    app.router.add_post(f"{API}/vartemplate/", variable_create)
    app.router.add_put(f"{API}/vartemplate/{{id}}/", variable_update)
    app.router.add_patch(f"{API}/vartemplate/{{id}}/", variable_update)
    app.router.add_delete(f"{API}/vartemplate/{{id}}/", variable_delete)


# -- device templates -----------------------------------------------------------------------------

async def template_list(request: web.Request) -> web.Response:
    who = reader(request, api_key=True)
    page = page_of(request)
    count, records = await catalogue(request).templates(
        include_inactive=staff_listing(request, who), org_slug=request.query.get("org__slug") or None,
        offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [template_wire(r) for r in records]))


async def template_detail(request: web.Request) -> web.Response:
    who = reader(request, api_key=True)
    record = await catalogue(request).template(slug_of(request), include_inactive=who.is_staff)
    return respond(template_wire(record))


async def slot_list(request: web.Request) -> web.Response:
    who = reader(request, api_key=True)
    record = await catalogue(request).template(slug_of(request), include_inactive=who.is_staff)
    page = page_of(request)
    slots = record.slots[page.offset:page.offset + page.size]
    return respond(paginated(request, page, len(record.slots), [slot_wire(s) for s in slots]))


async def slot_set(request: web.Request) -> web.Response:
    """iotile.cloud: 201 for a new slot number, 200 when the number's component is replaced."""
    require_staff(request)
    slot, created = await catalogue(request).add_slot(slug_of(request), await json_object(request))
    return respond({"number": slot.number, "component": slot.component}, status=201 if created else 200)


# -- sensor graphs --------------------------------------------------------------------------------

async def graph_list(request: web.Request) -> web.Response:
    who = reader(request, api_key=True)
    page = page_of(request)
    count, records = await catalogue(request).graphs(
        include_inactive=staff_listing(request, who), org_slug=request.query.get("org__slug") or None,
        slug=request.query.get("slug") or None, offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [graph_wire(r) for r in records]))


async def graph_detail(request: web.Request) -> web.Response:
    reader(request, api_key=True)
    return respond(graph_wire(await catalogue(request).graph(slug_of(request))))


# -- variable templates (staff only, as on iotile.cloud, which has no GET here) -------------------

def _variable_id(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound("variable template not found")
    return int(raw)


async def variable_create(request: web.Request) -> web.Response:
    who = require_staff(request)
    record = await catalogue(request).create_variable(await json_object(request), created_by_id=account_id(who))
    return respond(variable_wire(record, with_sg=True), status=201)


async def variable_update(request: web.Request) -> web.Response:
    require_staff(request)
    variable_id = _variable_id(request)
    record = await catalogue(request).replace_variable(variable_id, await json_object(request),
                                                       partial=request.method == "PATCH")
    return respond(variable_wire(record, with_sg=True))


async def variable_delete(request: web.Request) -> web.Response:
    require_staff(request)
    await catalogue(request).delete_variable(_variable_id(request))
    return web.Response(status=204)
