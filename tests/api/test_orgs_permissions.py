"""Every org, member, invitation and API-key endpoint × every caller of the world, table-driven.

Expected statuses follow iotile.cloud's matrix: 401 anonymous, 403 an org Api-Key and members lacking the
permission, 404 people outside the org, 2xx the rest. Refused requests must change nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from appliance.app import Appliance
from tests.api.orgs_support import (
    CALLERS,
    MANAGERS,
    MEMBERS,
    OWNERS,
    USERS,
    Caller,
    api_key_headers,
    expected_status,
    snapshot,
)
from tests.support.world import World, build_world

ORG = "/org/acme-corp"
Body = Callable[[str], Any]


@dataclass(frozen=True)
class Row:
    name: str
    method: str
    path: str
    allowed: frozenset[str]
    ok: int = 200
    body: Body | None = None
    org_scoped: bool = True


def _same(value: Any) -> Body:
    return lambda who: value


ROWS = (
    Row("org list", "GET", "/org/", frozenset(USERS), org_scoped=False),
    Row("org create", "POST", "/org/", frozenset(USERS), 201, lambda who: {"name": f"Org of {who}"}, False),
    Row("org detail", "GET", f"{ORG}/", MEMBERS),
    Row("org patch", "PATCH", f"{ORG}/", MANAGERS, body=_same({"about": "Widgets"})),
    Row("org put", "PUT", f"{ORG}/", MANAGERS, body=_same({"name": "Acme Corp", "about": "Widgets"})),
    Row("org extra", "GET", f"{ORG}/extra/", MEMBERS),
    Row("members", "GET", f"{ORG}/members/", MANAGERS),
    Row("membership", "GET", f"{ORG}/membership/", MEMBERS),
    Row("member detail", "GET", f"{ORG}/members/acme-r1/", MANAGERS | {"r1"}),
    Row("member patch", "PATCH", f"{ORG}/members/acme-m1/", MANAGERS, body=_same({"role": "m1"})),
    Row("register", "POST", f"{ORG}/register/", MANAGERS, 201, lambda who: {"user": f"spare-{who}", "role": "r1"}),
    Row("invite", "POST", f"{ORG}/invite/", MANAGERS, 201, lambda who: {"email": f"{who}-guest@example.com"}),
    Row("pending", "GET", f"{ORG}/pending/", MANAGERS),
    Row("apikey list", "GET", f"{ORG}/apikeys/", MANAGERS),
    Row("apikey create", "POST", f"{ORG}/apikeys/", MANAGERS, 201, lambda who: {"name": f"key of {who}"}),
)


async def _spares(world: World) -> None:
    """Accounts for ``register`` to add (refused callers never get as far as looking theirs up)."""
    for who in MANAGERS:
        await world.appliance.accounts.create(f"spare-{who}@example.com", "spare-password", username=f"spare-{who}")


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_endpoint_for_every_caller(api: Any, appliance: Appliance, row: Row) -> None:
    world = await build_world(appliance)
    if row.name == "register":
        await _spares(world)
    call = Caller(api, world, await api_key_headers(world))
    for who in CALLERS:
        want = expected_status(who, row.allowed, row.ok, org_scoped=row.org_scoped)
        before = await snapshot(appliance)
        status, _ = await call(row.method, row.path, who, row.body(who) if row.body else None)
        assert status == want, f"{row.name} as {who}: {status}, expected {want}"
        if status >= 400:
            assert await snapshot(appliance) == before, f"{row.name} as {who} changed something"


async def test_org_delete(api: Any, appliance: Appliance) -> None:
    """Owners and staff only (can_delete_org); everyone else is refused and the org stays."""
    world = await build_world(appliance)
    call = Caller(api, world, await api_key_headers(world))
    for who in ("anonymous", "apikey", "a1", "m1", "r1", "d1", "other", "outsider"):
        before = await snapshot(appliance)
        status, _ = await call("DELETE", f"{ORG}/", who)
        assert status == expected_status(who, OWNERS, 204), who
        assert await snapshot(appliance) == before
    assert (await call("DELETE", f"{ORG}/", "a0"))[0] == 204
    assert (await call("GET", f"{ORG}/", "staff"))[0] == 404
    assert (await call("DELETE", "/org/other-org/", "staff"))[0] == 204
    assert (await call("GET", "/org/", "other"))[1]["count"] == 0


async def test_member_remove(api: Any, appliance: Appliance) -> None:
    world = await build_world(appliance)
    call = Caller(api, world, await api_key_headers(world))
    for who in CALLERS:
        spare = await appliance.accounts.create(f"gone-{who}@example.com", "spare-password", username=f"gone-{who}")
        await appliance.orgs.add_member(world.org.id, spare.id, "m1")
        before = await snapshot(appliance)
        status, _ = await call("DELETE", f"{ORG}/members/gone-{who}/", who)
        assert status == expected_status(who, MANAGERS, 204), who
        if status != 204:
            assert await snapshot(appliance) == before
        else:
            assert await appliance.orgs.members.of_account(world.org.id, spare.id) is None


async def test_a_member_may_leave_but_not_remove_others(api: Any, appliance: Appliance) -> None:
    world = await build_world(appliance)
    call = Caller(api, world, {})
    assert (await call("DELETE", f"{ORG}/members/acme-m1/", "r1"))[0] == 403
    assert (await call("GET", f"{ORG}/members/acme-m1/", "r1"))[0] == 403
    assert (await call("DELETE", f"{ORG}/members/acme-r1/", "r1"))[0] == 204
    assert (await call("GET", f"{ORG}/", "r1"))[0] == 404
    assert (await call("PATCH", f"{ORG}/members/acme-m1/", "m1", {"role": "a1"}))[0] == 403


async def test_invitation_resend_and_delete(api: Any, appliance: Appliance) -> None:
    world = await build_world(appliance)
    call = Caller(api, world, await api_key_headers(world))
    for who in CALLERS:
        status, body = await call("POST", f"{ORG}/invite/", "a0", {"email": f"for-{who}@example.com"})
        assert status == 201
        for method, path, ok in (("POST", f"{ORG}/invitation/{body['id']}/resend/", 200),
                                 ("DELETE", f"{ORG}/invitation/{body['id']}/", 204)):
            before = await snapshot(appliance)
            status, _ = await call(method, path, who)
            assert status == expected_status(who, MANAGERS, ok), (method, who)
            if status >= 400:
                assert await snapshot(appliance) == before


async def test_apikey_detail_rename_revoke_delete(api: Any, appliance: Appliance) -> None:
    world = await build_world(appliance)
    call = Caller(api, world, await api_key_headers(world))
    for who in CALLERS:
        record, _ = await appliance.apikeys.create(world.org.id, f"for {who}", created_by_id=None)
        base = f"{ORG}/apikeys/{record.prefix}/"
        for method, path, body, ok in (("GET", base, None, 200), ("PATCH", base, {"name": "renamed"}, 200),
                                       ("POST", f"{base}revoke/", None, 200), ("DELETE", base, None, 204)):
            before = await snapshot(appliance)
            status, _ = await call(method, path, who, body)
            assert status == expected_status(who, MANAGERS, ok), (method, path, who)
            if status >= 400:
                assert await snapshot(appliance) == before


async def test_objects_of_another_org_are_404_even_for_their_admins(api: Any, appliance: Appliance) -> None:
    """The owner of Other Org is an admin there, not in Acme: Acme's members and keys do not exist for them."""
    world = await build_world(appliance)
    call = Caller(api, world, {})
    record, _ = await appliance.apikeys.create(world.org.id, "acme", created_by_id=None)
    assert (await call("GET", f"/org/other-org/apikeys/{record.prefix}/", "other"))[0] == 404
    assert (await call("GET", "/org/other-org/members/acme-m1/", "other"))[0] == 404
    invited = (await call("POST", f"{ORG}/invite/", "a0", {"email": "x@example.com"}))[1]
    assert (await call("DELETE", f"/org/other-org/invitation/{invited['id']}/", "other"))[0] == 404
    assert (await call("GET", f"{ORG}/pending/", "a0"))[1]["count"] == 1
