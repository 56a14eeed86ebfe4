"""Helpers for the org/account API tests: callers, the expected-status rule, DB snapshots."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from storage.metadata import Account, AuthAPIKey, Invitation, Org, OrgMembership
from tests.support.world import World

CALLERS = ("anonymous", "a0", "a1", "m1", "r1", "d1", "staff", "other", "outsider", "apikey")
USERS = ("a0", "a1", "m1", "r1", "d1", "staff", "other", "outsider")
MEMBERS = frozenset({"a0", "a1", "m1", "r1", "d1", "staff"})
MANAGERS = frozenset({"a0", "a1", "d1", "staff"})  # can_manage_users == can_manage_org_and_projects here
OWNERS = frozenset({"a0", "staff"})
API = "/api/v1"


async def api_key_headers(world: World) -> dict[str, str]:
    _, key = await world.appliance.apikeys.create(world.org.id, "test key", created_by_id=world.users["a0"].id)
    return {"Authorization": f"Api-Key {key}"}


def expected_status(who: str, allowed: Iterable[str], ok: int, *, org_scoped: bool = True) -> int:
    """iotile.cloud's rule: 401 anonymous, 403 machine keys and members lacking the permission,
    404 for people outside the org (its objects do not exist for them)."""
    if who == "anonymous":
        return 401
    if who == "apikey":
        return 403
    if who in allowed:
        return ok
    if org_scoped and who not in MEMBERS:
        return 404
    return 403


class Caller:
    """Sends one request as a named caller of the world and returns (status, JSON body)."""

    def __init__(self, api: Any, world: World, apikey: dict[str, str]) -> None:
        self.api, self.world, self.apikey = api, world, apikey

    def headers(self, who: str) -> dict[str, str]:
        return self.apikey if who == "apikey" else self.world.headers(who)

    async def __call__(self, method: str, path: str, who: str, body: Any = None) -> tuple[int, Any]:
        kwargs: dict[str, Any] = {"headers": self.headers(who)}
        if body is not None:
            kwargs["json"] = body
        resp = await self.api.request(method, f"{API}{path}", **kwargs)
        data = await resp.json() if resp.content_type == "application/json" else None
        if resp.status >= 400:
            assert isinstance(data, dict) and data.get("error"), (method, path, who, resp.status, data)
        return resp.status, data


def _snapshot(session: Session) -> dict[str, Any]:
    def rows(*columns: Any) -> list[tuple[Any, ...]]:
        return sorted(tuple(r) for r in session.execute(select(*columns)))

    return {
        "orgs": rows(Org.id, Org.name, Org.slug, Org.about),
        "members": rows(OrgMembership.org_id, OrgMembership.account_id, OrgMembership.role, OrgMembership.is_active),
        "invitations": rows(Invitation.email, Invitation.role, Invitation.token_hash, Invitation.accepted,
                            Invitation.sent_on),
        "keys": rows(AuthAPIKey.prefix, AuthAPIKey.name, AuthAPIKey.revoked),
        "accounts": rows(Account.email, Account.username, Account.name, Account.time_zone, Account.is_active,
                         Account.is_staff, Account.password_hash),
        "account_count": session.scalar(select(func.count(Account.id))),
    }


async def snapshot(appliance: Appliance) -> dict[str, Any]:
    """Everything these endpoints can change, to assert that a refused request changed nothing."""
    return await asyncio.wrap_future(appliance.metadata.read(_snapshot))


async def db_write(appliance: Appliance, fn: Callable[[Session], Any]) -> Any:
    return await asyncio.wrap_future(appliance.metadata.write(fn))
