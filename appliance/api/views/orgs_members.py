"""/api/v1/org/<slug>/ members and memberships.

iotile.cloud has ``members/`` (can_manage_users), ``membership/`` (the caller's own) and ``register/``
(add an existing account). Changing a role or removing a member happens in its web UI only; here
it is ``org/<slug>/members/<user>/`` (GET, PATCH, DELETE), an addition. A member may leave an org
(DELETE of their own membership) without can_manage_users.
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.orgs_common import (
    membership_json,
    only_fields,
    optional_bool,
    org_in_path,
    publish_change,
    query_flag,
)
from appliance.services.memberships import MembershipRecord
from appliance.services.permissions import DEFAULT_ROLE, Perm

MEMBER_READ_ONLY = ("user", "user_details", "created_on", "is_org_admin", "permissions", "role_name")


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/org/{{slug}}/members/", member_list)
    app.router.add_get(f"{API}/org/{{slug}}/membership/", own_membership)
    app.router.add_post(f"{API}/org/{{slug}}/register/", register)
    app.router.add_get(f"{API}/org/{{slug}}/members/{{user}}/", member_detail)
    app.router.add_patch(f"{API}/org/{{slug}}/members/{{user}}/", member_update)
    app.router.add_delete(f"{API}/org/{{slug}}/members/{{user}}/", member_remove)


async def member_list(request: web.Request) -> web.Response:
    """Active members; ``?all=1`` adds disabled ones (as iotile.cloud)."""
    _, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_USERS, "org")
    page = page_of(request)
    count, members = await request.app[APPLIANCE].orgs.members.page(
        org.id, include_inactive=query_flag(request, "all"), offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [membership_json(m) for m in members]))


async def own_membership(request: web.Request) -> web.Response:
    """The caller's membership; staff who are not members get their implicit s0 role."""
    user, access, org = await org_in_path(request)
    member = await request.app[APPLIANCE].orgs.members.of_account(org.id, user.id)
    if member is None or (user.is_staff and not member.is_active):
        member = MembershipRecord(org.id, user, "s0", True, None)
    return respond(membership_json(member))


async def register(request: web.Request) -> web.Response:
    """iotile.cloud's ``register``: {user: <account slug>, role}; an existing member is a 400."""
    _, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_USERS, "org")
    data = await json_object(request)
    only_fields(data, ("user", "role"), MEMBER_READ_ONLY[1:])
    member = await request.app[APPLIANCE].orgs.members.register(
        org.id, require_str(data, "user", max_length=150), data.get("role", DEFAULT_ROLE),
        actor_role=access.role_in(org.id) or "")
    publish_change(request, orgs=True, org=org.slug)
    return respond(membership_json(member), status=201)


async def member_detail(request: web.Request) -> web.Response:
    user, access, org = await org_in_path(request)
    slug = request.match_info["user"]
    if slug != user.slug:
        access.require(org.id, Perm.MANAGE_USERS, "org")
    return respond(membership_json(await request.app[APPLIANCE].orgs.members.get(org.id, slug)))


async def member_update(request: web.Request) -> web.Response:
    """{role, is_active}; only owners touch owners, and the last owner stays an active owner."""
    _, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_USERS, "org")
    data = await json_object(request)
    only_fields(data, ("role", "is_active"), MEMBER_READ_ONLY)
    member = await request.app[APPLIANCE].orgs.members.change(
        org.id, request.match_info["user"], actor_role=access.role_in(org.id) or "",
        role=data.get("role"), is_active=optional_bool(data, "is_active"))
    publish_change(request, orgs=True, org=org.slug)
    return respond(membership_json(member))


async def member_remove(request: web.Request) -> web.Response:
    user, access, org = await org_in_path(request)
    slug = request.match_info["user"]
    if slug != user.slug:
        access.require(org.id, Perm.MANAGE_USERS, "org")
    await request.app[APPLIANCE].orgs.members.remove(org.id, slug, actor_role=access.role_in(org.id) or "")
    publish_change(request, orgs=True, org=org.slug)
    return web.Response(status=204)
