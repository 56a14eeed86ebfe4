"""/api/v1/variable/ and /api/v1/stream/: stream variables (v--) and stream ids (s--)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access, flag, list_scope
from appliance.services.streams import StreamQuery
from appliance.services.streams_records import StreamRecord, UnitRecord, VariableRecord

VARIABLE_PAGE, VARIABLE_PAGE_MAX = 1000, 10_000  # LargeResultsSetPagination
STREAM_PAGE, STREAM_PAGE_MAX = 5000, 20_000  # SuperLargeResultsSetPagination


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/variable/", variable_list)
    app.router.add_post(f"{API}/variable/", variable_create)
    app.router.add_get(f"{API}/variable/{{slug}}/", variable_detail)
    app.router.add_patch(f"{API}/variable/{{slug}}/", variable_update)
    app.router.add_put(f"{API}/variable/{{slug}}/", variable_update)
    app.router.add_delete(f"{API}/variable/{{slug}}/", variable_delete)
    app.router.add_get(f"{API}/stream/", stream_list)
    app.router.add_post(f"{API}/stream/", stream_create)
    app.router.add_get(f"{API}/stream/{{slug}}/", stream_detail)
    app.router.add_patch(f"{API}/stream/{{slug}}/", stream_update)
    app.router.add_put(f"{API}/stream/{{slug}}/", stream_update)
    app.router.add_delete(f"{API}/stream/{{slug}}/", stream_delete)


def unit_json(unit: UnitRecord | None) -> dict[str, Any] | None:
    """VarTypeInputUnitSerializer / VarTypeOutputUnitSerializer, nested as the server nests them."""
    if unit is None:
        return None
    data: dict[str, Any] = {"slug": unit.slug, "unit_full": unit.unit_full, "unit_short": unit.unit_short,
                            "m": unit.m, "d": unit.d, "o": unit.o}
    if unit.decimal_places is not None:
        data.update(decimal_places=unit.decimal_places, derived_units=unit.derived_units or {})
    return data


def variable_json(var: VariableRecord) -> dict[str, Any]:
    """StreamVariableSerializer (``project`` is the project's UUID)."""
    return {
        "id": var.id, "name": var.name, "lid": var.lid, "var_type": var.var_type,
        "input_unit": unit_json(var.input_unit), "output_unit": unit_json(var.output_unit),
        "derived_variable": None, "project": var.project_uuid, "org": var.org, "about": var.about,
        "created_on": var.created_on, "raw_value_format": var.raw_value_format, "units": var.units,
        "multiplication_factor": var.multiplication_factor, "division_factor": var.division_factor,
        "offset": var.offset, "decimal_places": var.decimal_places, "mdo_label": "", "web_only": var.web_only,
        "app_only": var.app_only, "slug": var.slug,
    }


def stream_json(stream: StreamRecord) -> dict[str, Any]:
    """StreamIdSerializer: ``project`` and ``variable`` as slugs derived from the stream's slug."""
    return {
        "id": stream.id, "project_id": stream.project_uuid, "project": stream.project, "device": stream.device,
        "block": stream.block, "data_label": stream.data_label, "variable": stream.variable,
        "var_type": stream.var_type, "data_type": stream.data_type, "var_name": stream.var_name,
        "var_lid": stream.lid, "input_unit": unit_json(stream.input_unit),
        "output_unit": unit_json(stream.output_unit), "derived_stream": None,
        "raw_value_format": stream.raw_value_format, "mdo_type": stream.mdo_type, "mdo_label": "",
        "multiplication_factor": stream.multiplication_factor, "division_factor": stream.division_factor,
        "offset": stream.offset, "org": stream.org, "created_on": stream.created_on, "slug": stream.slug,
        "enabled": stream.enabled,
    }


async def variable_list(request: web.Request) -> web.Response:
    """``?project`` (UUID or p-- slug), ``?org`` (slug), ``?search`` (in the name)."""
    access = await caller_access(request)
    page = page_of(request, default_size=VARIABLE_PAGE, max_size=VARIABLE_PAGE_MAX)
    q = request.query
    count, variables = await request.app[APPLIANCE].stream_ids.variable_page(
        await list_scope(request, access), project=q.get("project") or None, org=q.get("org") or None,
        search=q.get("search") or None, offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [variable_json(v) for v in variables]))


async def variable_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    variable = await request.app[APPLIANCE].stream_ids.create_variable(access, await json_object(request))
    return respond(variable_json(variable), status=201)


async def variable_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(variable_json(await request.app[APPLIANCE].stream_ids.get_variable(
        access, request.match_info["slug"])))


async def variable_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    variable = await request.app[APPLIANCE].stream_ids.update_variable(access, request.match_info["slug"], body)
    return respond(variable_json(variable))


async def variable_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[APPLIANCE].stream_ids.delete_variable(access, request.match_info["slug"])
    return web.Response(status=204)


def stream_query(request: web.Request) -> StreamQuery:
    q = request.query
    return StreamQuery(project=q.get("project") or None, device=q.get("device") or q.get("device__slug") or None,
                       block=q.get("block") or None, variable=q.get("variable") or None,
                       org=q.get("org__slug") or q.get("org") or None, enabled=q.get("enabled") or None,
                       virtual=flag(request, "virtual"), archived=flag(request, "archived"),
                       include_all=flag(request, "all"))


async def stream_list(request: web.Request) -> web.Response:
    """Streams of active devices by default; ``?all=1`` adds inactive and archived ones, ``?archived=1``
    lists only archived ones, ``?virtual=1`` the projects' device-less streams."""
    access = await caller_access(request)
    page = page_of(request, default_size=STREAM_PAGE, max_size=STREAM_PAGE_MAX)
    count, streams = await request.app[APPLIANCE].stream_ids.stream_page(
        access, await list_scope(request, access), stream_query(request), offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [stream_json(s) for s in streams]))


async def stream_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    stream = await request.app[APPLIANCE].stream_ids.create_stream(access, await json_object(request))
    return respond(stream_json(stream), status=201)


async def stream_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    return respond(stream_json(await request.app[APPLIANCE].stream_ids.get_stream(access, request.match_info["slug"])))


async def stream_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    stream = await request.app[APPLIANCE].stream_ids.update_stream(access, request.match_info["slug"], body)
    return respond(stream_json(stream))


async def stream_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[APPLIANCE].stream_ids.delete_stream(access, request.match_info["slug"])
    return web.Response(status=204)
