"""Invitations: ``org/<slug>/invite/`` and ``pending/`` as iotile.cloud; resend, delete and accepting
through the API are additions (iotile.cloud accepts through its web sign-up pages).

Accepting takes the token in the body (or, for the link's GET, in the query string): never in the
path, which the error log records.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from appliance.api.auth import public
from appliance.api.bodies import json_object
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE, PRINCIPAL
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.orgs_common import (
    invitation_link_base,
    membership_json,
    only_fields,
    optional_text,
    org_in_path,
    org_json,
    publish_change,
    user_of,
)
from appliance.errors import PermissionDenied, ValidationError
from appliance.services.accounts import AccountRecord
from appliance.services.invitations import InvitationRecord, IssuedInvitation
from appliance.services.permissions import DEFAULT_ROLE, ROLE_NAMES, Perm

if TYPE_CHECKING:
    pass

ACCEPT_FIELDS = ("token", "password", "name", "username")


def setup(app: web.Application) -> None:
    app.router.add_post(f"{API}/org/{{slug}}/invite/", invite)
    app.router.add_get(f"{API}/org/{{slug}}/pending/", pending)
    app.router.add_post(f"{API}/org/{{slug}}/invitation/{{id}}/resend/", resend)
    app.router.add_delete(f"{API}/org/{{slug}}/invitation/{{id}}/", delete)
    app.router.add_get(f"{API}/invitation/accept/", accept_info)
    app.router.add_post(f"{API}/invitation/accept/", accept)


def invitation_json(inv: InvitationRecord) -> dict[str, Any]:
    """iotile.cloud's PendingInvitationsSerializer (email, sent_on, sent_by) plus what a UI needs."""
    return {
        "id": inv.uuid,
        "email": inv.email,
        "org": inv.org_slug,
        "role": inv.role,
        "role_name": ROLE_NAMES.get(inv.role, inv.role),
        "sent_on": inv.sent_on,
        "sent_by": inv.sent_by_slug,
        "accepted": inv.accepted,
        "expires_on": inv.expires_on,
        "expired": inv.expired(),
    }


def _issued_json(issued: IssuedInvitation) -> dict[str, Any]:
    """The only answer that shows the token: it is stored hashed."""
    return {**invitation_json(issued.invitation), "token": issued.token, "accept_url": issued.accept_url,
            "email_sent": issued.email_sent}


async def invite(request: web.Request) -> web.Response:
    """{email, role=m1}: a new invitation, or a fresh token and date for a pending one. 201."""
    user, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_USERS, "org")
    data = await json_object(request)
    only_fields(data, ("email", "role"))
    if "email" not in data:
        raise ValidationError("email: this field is required", key="missing_field", detail={"email": "required"})
    appliance = request.app[APPLIANCE]
    issued = await appliance.invitations.invite(
        org.id, data["email"], data.get("role", DEFAULT_ROLE), sent_by=user, actor_role=access.role_in(org.id) or "",
        link_base=invitation_link_base(request), mailer=await appliance.current_mailer())
    publish_change(request, orgs=True, org=org.slug)
    return respond(_issued_json(issued), status=201)


async def pending(request: web.Request) -> web.Response:
    _, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_USERS, "org")
    page = page_of(request)
    count, found = await request.app[APPLIANCE].invitations.page_pending(org.id, offset=page.offset,
                                                                         limit=page.size)
    return respond(paginated(request, page, count, [invitation_json(i) for i in found]))


async def resend(request: web.Request) -> web.Response:
    """New token (the old link stops working), new date, e-mailed again when SMTP is on."""
    user, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_USERS, "org")
    appliance = request.app[APPLIANCE]
    issued = await appliance.invitations.resend(org.id, request.match_info["id"], sent_by=user,
                                                link_base=invitation_link_base(request),
                                                mailer=await appliance.current_mailer())
    publish_change(request, orgs=True, org=org.slug)
    return respond(_issued_json(issued))


async def delete(request: web.Request) -> web.Response:
    _, access, org = await org_in_path(request)
    access.require(org.id, Perm.MANAGE_USERS, "org")
    await request.app[APPLIANCE].invitations.delete(org.id, request.match_info["id"])
    publish_change(request, orgs=True, org=org.slug)
    return web.Response(status=204)


def _caller(request: web.Request) -> AccountRecord | None:
    """Accepting is public (a new invitee has no account yet); a machine credential is refused."""
    who = request.get(PRINCIPAL)
    if who is None:
        return None
    if who.account is None or who.device_id is not None:
        raise PermissionDenied("sign in as a person to accept an invitation", key="user_required")
    return user_of(request)


@public
async def accept_info(request: web.Request) -> web.Response:
    """What the link in the e-mail opens: the invitation, and whether to sign in or pick a password."""
    _caller(request)
    invitation, has_account = await request.app[APPLIANCE].invitations.lookup(request.query.get("token"))
    return respond({**invitation_json(invitation), "org_name": invitation.org_name, "account_exists": has_account})


@public
async def accept(request: web.Request) -> web.Response:
    """{token} signed in as the invited address, or {token, password, name?, username?} to create
    that account. 201 when an account was created, else 200."""
    account = _caller(request)
    data = await json_object(request)
    only_fields(data, ACCEPT_FIELDS)
    token = data.get("token") or request.query.get("token")
    password = optional_text(data, "password")
    result = await request.app[APPLIANCE].invitations.accept(
        token, account=account, password=password, name=optional_text(data, "name") or "",
        username=optional_text(data, "username"))
    org = await request.app[APPLIANCE].orgs.by_slug(result.invitation.org_slug)
    publish_change(request, orgs=True, accounts=result.created_account, org=org.slug)
    body = {"org": org_json(org), "membership": membership_json(result.membership)}
    return respond(body, status=201 if result.created_account else 200)
