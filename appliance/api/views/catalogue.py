"""/api/v1/ the catalogue: var types, components, device templates, sensor graphs (docs/api/catalogue.md).

As on iotile.cloud: any signed-in user reads; an org's ``Api-Key`` reads ``vartype/``, ``dt/`` and
``sg/`` (not ``component/``); only staff write. Writes check staff before anything else, so a
non-staff caller learns nothing about which slugs exist.
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.jsonenc import respond
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views import catalogue_io, catalogue_templates
from appliance.api.views.catalogue_common import add_writes, catalogue, reader, slug_of
from appliance.api.views.catalogue_json import component_wire, var_type_wire
from appliance.services.catalogue_writes import COMPONENTS, VAR_TYPES


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/vartype/", var_type_list)
    app.router.add_get(f"{API}/vartype/{{slug}}/", var_type_detail)
    add_writes(app, "vartype", VAR_TYPES, var_type_wire)
    app.router.add_get(f"{API}/component/", component_list)
    app.router.add_get(f"{API}/component/{{slug}}/", component_detail)
    add_writes(app, "component", COMPONENTS, component_wire)
    catalogue_templates.setup(app)
    catalogue_io.setup(app)


# -- var types and components ---------------------------------------------------------------------

async def var_type_list(request: web.Request) -> web.Response:
    reader(request, api_key=True)
    page = page_of(request)
    count, records = await catalogue(request).var_types(search=request.query.get("search") or None,
                                                        offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [var_type_wire(r) for r in records]))


async def var_type_detail(request: web.Request) -> web.Response:
    reader(request, api_key=True)
    return respond(var_type_wire(await catalogue(request).var_type(slug_of(request))))


async def component_list(request: web.Request) -> web.Response:
    reader(request, api_key=False)
    page = page_of(request)
    count, records = await catalogue(request).components(offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [component_wire(r) for r in records]))


async def component_detail(request: web.Request) -> web.Response:
    reader(request, api_key=False)
    return respond(component_wire(await catalogue(request).component(slug_of(request))))
