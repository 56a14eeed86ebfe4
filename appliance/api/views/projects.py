"""/api/v1/project/: projects by UUID (or p-- slug), their extra counts, and project/new/."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.devices_common import caller_access, list_scope
from appliance.services.projects import ProjectRecord
from appliance.services.property_filters import parse_property_filter


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/project/", project_list)
    app.router.add_post(f"{API}/project/", project_create)
    app.router.add_post(f"{API}/project/new/", project_new)
    app.router.add_get(f"{API}/project/{{id}}/", project_detail)
    app.router.add_patch(f"{API}/project/{{id}}/", project_update)
    app.router.add_put(f"{API}/project/{{id}}/", project_update)
    app.router.add_delete(f"{API}/project/{{id}}/", project_delete)
    app.router.add_get(f"{API}/project/{{id}}/extra/", project_extra)


def project_json(project: ProjectRecord) -> dict[str, Any]:
    """iotile.cloud's ProjectSerializer: ``id`` is the UUID, ``gid`` the bare hex of the slug."""
    return {
        "id": project.uuid,
        "name": project.name,
        "slug": project.slug,
        "gid": project.slug[3:],
        "org": project.org_slug,
        "about": project.about,
        "project_template": project.project_template,
        "created_on": project.created_on,
        "created_by": project.created_by,
    }


async def project_list(request: web.Request) -> web.Response:
    access = await caller_access(request)
    page = page_of(request)
    query = request.query
    count, projects = await request.app[APPLIANCE].projects.page(
        access, await list_scope(request, access), org_slug=query.get("org__slug") or query.get("org") or None,
        name=query.get("name") or None, offset=page.offset, limit=page.size,
        prop=parse_property_filter(query.get("property")))
    return respond(paginated(request, page, count, [project_json(p) for p in projects]))


async def project_create(request: web.Request) -> web.Response:
    access = await caller_access(request)
    project = await request.app[APPLIANCE].projects.create(access, await json_object(request))
    return respond(project_json(project), status=201)


async def project_new(request: web.Request) -> web.Response:
    """The server answers only ``{"id": <uuid>}`` here."""
    access = await caller_access(request)
    project = await request.app[APPLIANCE].projects.create_new(access, await json_object(request))
    return respond({"id": project.uuid}, status=201)


async def project_detail(request: web.Request) -> web.Response:
    access = await caller_access(request)
    project = await request.app[APPLIANCE].projects.get(access, request.match_info["id"])
    return respond(project_json(project))


async def project_update(request: web.Request) -> web.Response:
    access = await caller_access(request)
    body = await json_object(request)
    project = await request.app[APPLIANCE].projects.update(access, request.match_info["id"], body)
    return respond(project_json(project))


async def project_delete(request: web.Request) -> web.Response:
    access = await caller_access(request)
    await request.app[APPLIANCE].projects.delete(access, request.match_info["id"])
    return web.Response(status=204)


async def project_extra(request: web.Request) -> web.Response:
    access = await caller_access(request)
    project, counts = await request.app[APPLIANCE].projects.extra_info(access, request.match_info["id"])
    return respond({**project_json(project), "counts": counts})
