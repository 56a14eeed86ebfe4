"""/api/v1/auth/: sign-in with the same answers as iotile.cloud (login returns user fields,
``token`` and ``jwt``; the JWT endpoints answer ``{"token": ...}``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from appliance.api.auth import principal, public
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.urls import API
from appliance.errors import ValidationError
from appliance.services.accounts import AccountRecord

if TYPE_CHECKING:
    from appliance.app import Appliance


def account_json(account: AccountRecord) -> dict[str, Any]:
    return {
        "id": account.id,
        "email": account.email,
        "username": account.username,
        "slug": account.slug,
        "name": account.name,
        "is_staff": account.is_staff,
        "is_active": account.is_active,
        "time_zone": account.time_zone,
        "created_at": account.created_on,
        "last_login": account.last_login,
    }


async def _credentials(request: web.Request) -> AccountRecord:
    data = await json_object(request)
    email = data.get("email") or data.get("username")
    if not email:
        raise ValidationError("email: this field is required", key="missing_field", detail={"email": "required"})
    password = require_str(data, "password")
    return await request.app[APPLIANCE].accounts.authenticate(email, password)


def _issue_jwt(appliance: Appliance, account: AccountRecord) -> str:
    return appliance.jwt.issue(account.id, account.username, account.email)


def setup(app: web.Application) -> None:
    app.router.add_post(f"{API}/auth/login/", login)
    app.router.add_post(f"{API}/auth/logout/", logout)
    app.router.add_get(f"{API}/auth/user-info/", user_info)
    app.router.add_post(f"{API}/auth/token/", drf_token)
    app.router.add_post(f"{API}/auth/api-jwt-auth/", jwt_auth)
    app.router.add_post(f"{API}/auth/api-jwt-refresh/", jwt_refresh)
    app.router.add_post(f"{API}/auth/api-jwt-verify/", jwt_verify)


@public
async def login(request: web.Request) -> web.Response:
    appliance = request.app[APPLIANCE]
    account = await _credentials(request)
    body = account_json(account)
    body["token"] = await appliance.accounts.issue_token(account.id)
    body["jwt"] = _issue_jwt(appliance, account)
    return respond(body)


async def logout(request: web.Request) -> web.Response:
    who = principal(request)
    if who.account is not None:
        await request.app[APPLIANCE].accounts.revoke_tokens(who.account.id)
    return web.Response(status=204)


async def user_info(request: web.Request) -> web.Response:
    who = principal(request)
    if who.account is None:
        raise ValidationError("this credential does not belong to a user", key="no_user")
    return respond(account_json(who.account))


@public
async def drf_token(request: web.Request) -> web.Response:
    account = await _credentials(request)
    return respond({"token": await request.app[APPLIANCE].accounts.issue_token(account.id)})


@public
async def jwt_auth(request: web.Request) -> web.Response:
    account = await _credentials(request)
    return respond({"token": _issue_jwt(request.app[APPLIANCE], account)})


@public
async def jwt_refresh(request: web.Request) -> web.Response:
    appliance = request.app[APPLIANCE]
    token = require_str(await json_object(request), "token", max_length=4096)
    claims, new_token = appliance.jwt.refresh(token)
    await appliance.authenticator.from_header(f"jwt {new_token}")  # the account must still be active
    return respond({"token": new_token})


@public
async def jwt_verify(request: web.Request) -> web.Response:
    token = require_str(await json_object(request), "token", max_length=4096)
    await request.app[APPLIANCE].authenticator.from_header(f"jwt {token}")
    return respond({"token": token})
