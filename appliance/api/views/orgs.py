"""/api/v1/org/: orgs by slug (iotile.cloud's APIOrgViewSet); members, invitations and API keys are
registered from here and live in views/orgs_*.py."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views import orgs_apikeys, orgs_invitations, orgs_members
from appliance.api.views.orgs_common import (
    membership_json,
    only_fields,
    optional_text,
    org_in_path,
    org_json,
    publish_change,
    query_flag,
    user_of,
)
from appliance.errors import ValidationError
from appliance.services.permissions import Perm, permissions_of

WRITABLE = ("name", "about")
READ_ONLY = ("id", "slug", "ot", "created_on", "created_by", "avatar", "domain_names")
SEARCH_MAX = 100


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/org/", org_list)
    app.router.add_post(f"{API}/org/", org_create)
    app.router.add_get(f"{API}/org/{{slug}}/", org_detail)
    app.router.add_patch(f"{API}/org/{{slug}}/", org_update)
    app.router.add_put(f"{API}/org/{{slug}}/", org_update)
    app.router.add_delete(f"{API}/org/{{slug}}/", org_delete)
    app.router.add_get(f"{API}/org/{{slug}}/extra/", org_extra)
    orgs_members.setup(app)
    orgs_invitations.setup(app)
    orgs_apikeys.setup(app)


def _created_by_filter(request: web.Request) -> int | None:
    raw = request.query.get("created_by", "")
    if not raw:
        return None
    if not raw.isdigit() or len(raw) > 18:
        raise ValidationError("created_by: expected an account id", key="invalid_filter",
                              detail={"created_by": "invalid"})
    return int(raw)


async def org_list(request: web.Request) -> web.Response:
    """The caller's orgs; staff see every org with ``?staff=1`` (as iotile.cloud)."""
    user = user_of(request)
    orgs = request.app[APPLIANCE].orgs
    org_ids = None if user.is_staff and query_flag(request, "staff") else await orgs.member_org_ids(user.id)
    search = request.query.get("search", "")[:SEARCH_MAX] or None
    page = page_of(request)
    count, found = await orgs.page(org_ids, search=search, created_by_id=_created_by_filter(request),
                                   offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [org_json(o) for o in found]))


async def org_create(request: web.Request) -> web.Response:
    """Any signed-in person may create an org and becomes its owner (a0)."""
    user = user_of(request)
    data = await json_object(request)
    only_fields(data, WRITABLE, READ_ONLY)
    if "name" not in data:
        raise ValidationError("name: this field is required", key="missing_field", detail={"name": "required"})
    org = await request.app[APPLIANCE].orgs.create(data["name"], created_by_id=user.id,
                                                   about=optional_text(data, "about") or "")
    publish_change(request, orgs=True, org=org.slug)
    return respond(org_json(org), status=201)


async def org_detail(request: web.Request) -> web.Response:
    _, _, org = await org_in_path(request)
    return respond(org_json(org))


async def org_update(request: web.Request) -> web.Response:
    """PATCH changes what it names, PUT needs the name; a new name gives a new slug (as iotile.cloud)."""
    _, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_ORG_AND_PROJECTS, "org")
    data = await json_object(request)
    only_fields(data, WRITABLE, READ_ONLY)
    if request.method == "PUT" and "name" not in data:
        raise ValidationError("name: this field is required", key="missing_field", detail={"name": "required"})
    name = data.get("name")
    if name is not None and not isinstance(name, str):
        raise ValidationError("name: expected text", key="wrong_type", detail={"name": "not a string"})
    updated = await request.app[APPLIANCE].orgs.update(org.id, name=name, about=optional_text(data, "about"))
    publish_change(request, orgs=True, org=updated.slug)
    return respond(org_json(updated))


async def org_delete(request: web.Request) -> web.Response:
    """Owners and staff (can_delete_org); refused (409) while the org holds projects or devices."""
    _, access, org = await org_in_path(request)
    access.require(org.id, Perm.DELETE_ORG, "org")
    await request.app[APPLIANCE].orgs.delete(org.id)
    publish_change(request, orgs=True, org=org.slug)
    return web.Response(status=204)


async def org_extra(request: web.Request) -> web.Response:
    """iotile.cloud's OrgExtraInfoSerializer, plus ``permissions``: what the caller may do here
    (staff hold every permission even where they are not members)."""
    user, access, org = await org_in_path(request)
    appliance = request.app[APPLIANCE]
    extra = await appliance.orgs.extra_info(org)
    member = await appliance.orgs.members.of_account(org.id, user.id)
    body: dict[str, Any] = org_json(org)
    body["counts"] = {**extra.counts, "reports": 0}
    body["current_member"] = membership_json(member) if member else {}
    role = access.role_in(org.id)
    body["permissions"] = permissions_of(role or "")
    return respond(body)
