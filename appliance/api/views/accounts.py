"""/api/v1/account/: iotile.cloud's AccountViewSet (by slug) on an appliance without public sign-up.

- Creating accounts is staff-only (iotile.cloud lets anybody sign up, then confirms the e-mail; an
  on-prem appliance has no mail loop to trust). Invited people create their own account by accepting
  the invitation (see orgs.md).
- A user sees and edits only themselves; staff see everyone (the list with ``?staff=1``, as
  iotile.cloud) and may set anyone's password, deactivate and re-activate accounts.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from appliance.api.auth import require_staff
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.api.views.auth import account_json
from appliance.api.views.orgs_common import (
    only_fields,
    optional_bool,
    optional_text,
    publish_change,
    query_flag,
    user_of,
)
from appliance.errors import NotFound, ValidationError
from appliance.services.accounts import AccountRecord

WRITABLE = ("name", "username", "time_zone")
READ_ONLY = ("id", "email", "slug", "is_staff", "is_active", "created_at", "updated_at", "last_login", "avatar",
             "tagline")
CREATE_FIELDS = ("email", "username", "name", "password", "confirm_password", "is_staff", "time_zone",
                 "verified_email", "tagline", "captcha_token")
SEARCH_MAX = 100


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/account/", account_list)
    app.router.add_post(f"{API}/account/", account_create)
    app.router.add_get(f"{API}/account/{{slug}}/", account_detail)
    app.router.add_patch(f"{API}/account/{{slug}}/", account_update)
    app.router.add_put(f"{API}/account/{{slug}}/", account_update)
    app.router.add_post(f"{API}/account/{{slug}}/set_password/", set_password)
    app.router.add_post(f"{API}/account/{{slug}}/deactivate/", deactivate)
    app.router.add_post(f"{API}/account/{{slug}}/activate/", activate)


async def _visible_account(request: web.Request) -> tuple[AccountRecord, AccountRecord]:
    """(caller, target): oneself, or anyone for staff; other accounts do not exist for users (404)."""
    user = user_of(request)
    slug = request.match_info["slug"]
    if slug == user.slug:
        return user, user
    if not user.is_staff:
        raise NotFound("account not found", key="account_not_found")
    return user, await request.app[APPLIANCE].accounts.by_slug(slug)


def _new_password(data: dict[str, Any]) -> str:
    password = require_str(data, "password", max_length=1024)
    confirm = data.get("confirm_password")
    if confirm is not None and confirm != password:
        raise ValidationError("Passwords did not match", key="password_mismatch",
                              detail={"confirm_password": "does not match"})
    return password


async def account_list(request: web.Request) -> web.Response:
    user = user_of(request)
    page = page_of(request)
    if not (user.is_staff and query_flag(request, "staff")):
        return respond(paginated(request, page, 1, [account_json(user)] if page.number == 1 else []))
    search = request.query.get("search", "")[:SEARCH_MAX] or None
    count, found = await request.app[APPLIANCE].accounts.page(search=search, offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [account_json(a) for a in found]))


async def account_create(request: web.Request) -> web.Response:
    """Staff: {email, password, confirm_password?, username?, name?, time_zone?, is_staff?} -> 201."""
    require_staff(request)
    user_of(request)
    data = await json_object(request)
    only_fields(data, CREATE_FIELDS)
    if "email" not in data:
        raise ValidationError("email: this field is required", key="missing_field", detail={"email": "required"})
    password = _new_password(data)
    account = await request.app[APPLIANCE].accounts.create(
        data["email"], password, username=optional_text(data, "username"), name=optional_text(data, "name") or "",
        is_staff=bool(optional_bool(data, "is_staff")), time_zone=optional_text(data, "time_zone") or "UTC")
    publish_change(request, accounts=True, account=account.slug)
    return respond(account_json(account), status=201)


async def account_detail(request: web.Request) -> web.Response:
    _, account = await _visible_account(request)
    return respond(account_json(account))


async def account_update(request: web.Request) -> web.Response:
    """name, username, time_zone; e-mail and slug stay (read-only fields sent back are ignored)."""
    _, account = await _visible_account(request)
    data = await json_object(request)
    only_fields(data, WRITABLE, READ_ONLY)
    updated = await request.app[APPLIANCE].accounts.update(
        account.id, name=optional_text(data, "name"), username=optional_text(data, "username"),
        time_zone=optional_text(data, "time_zone"))
    publish_change(request, accounts=True, account=updated.slug)
    return respond(account_json(updated))


async def set_password(request: web.Request) -> web.Response:
    """iotile.cloud's answer: 201 {"status": "password set"}. When staff set someone else's password,
    that account's ``Token`` keys are revoked."""
    caller, account = await _visible_account(request)
    data = await json_object(request)
    only_fields(data, ("password", "confirm_password"))
    await request.app[APPLIANCE].accounts.set_password(account.id, _new_password(data),
                                                       revoke_tokens=caller.id != account.id)
    publish_change(request, accounts=True, account=account.slug)
    return respond({"status": "password set"}, status=201)


async def deactivate(request: web.Request) -> web.Response:
    """Staff: the account can no longer sign in; its ``Token`` keys are revoked, JWTs are refused."""
    require_staff(request)
    _, account = await _visible_account(request)
    changed = await request.app[APPLIANCE].accounts.set_active(account.id, False)
    publish_change(request, accounts=True, account=account.slug)
    return respond(account_json(changed))


async def activate(request: web.Request) -> web.Response:
    require_staff(request)
    _, account = await _visible_account(request)
    changed = await request.app[APPLIANCE].accounts.set_active(account.id, True)
    publish_change(request, accounts=True, account=account.slug)
    return respond(account_json(changed))
