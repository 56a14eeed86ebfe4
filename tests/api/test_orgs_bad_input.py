"""Bad input to the org, member, invitation and API-key endpoints: a JSON error, and nothing changed."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app import Appliance
from storage.metadata import Project
from tests.api.orgs_support import API, Caller, db_write, snapshot
from tests.support.world import World, build_world

ORG = "/org/acme-corp"

BAD = [
    # (path, method, body, status)
    ("/org/", "POST", {}, 400),
    ("/org/", "POST", {"name": ""}, 400),
    ("/org/", "POST", {"name": "   "}, 400),
    ("/org/", "POST", {"name": "!!!"}, 400),
    ("/org/", "POST", {"name": 5}, 400),
    ("/org/", "POST", {"name": ["Acme"]}, 400),
    ("/org/", "POST", {"name": "x" * 51}, 400),
    ("/org/", "POST", {"name": "Two\nLines"}, 400),
    ("/org/", "POST", {"name": "New Org", "about": "x" * 10_001}, 400),
    ("/org/", "POST", {"name": "New Org", "about": 7}, 400),
    ("/org/", "POST", {"name": "New Org", "colour": "red"}, 400),
    ("/org/", "POST", {"name": "Acme Corp"}, 409),
    ("/org/", "POST", {"name": "ACME CORP"}, 409),
    ("/org/", "POST", {"name": "Acme--Corp"}, 409),
    ("/org/", "POST", {"name": " acme corp "}, 409),
    (f"{ORG}/", "PATCH", {"name": "Other Org"}, 409),
    (f"{ORG}/", "PATCH", {"name": ""}, 400),
    (f"{ORG}/", "PATCH", {"name": None, "about": 3}, 400),
    (f"{ORG}/", "PATCH", {"slogan": "x"}, 400),
    (f"{ORG}/", "PUT", {"about": "no name"}, 400),
    (f"{ORG}/invite/", "POST", {}, 400),
    (f"{ORG}/invite/", "POST", {"email": "not-an-email"}, 400),
    (f"{ORG}/invite/", "POST", {"email": "a b@example.com"}, 400),
    (f"{ORG}/invite/", "POST", {"email": "x" * 250 + "@example.com"}, 400),
    (f"{ORG}/invite/", "POST", {"email": 42}, 400),
    (f"{ORG}/invite/", "POST", {"email": "new@example.com", "role": "s0"}, 400),
    (f"{ORG}/invite/", "POST", {"email": "new@example.com", "role": "owner"}, 400),
    (f"{ORG}/invite/", "POST", {"email": "new@example.com", "role": 1}, 400),
    (f"{ORG}/invite/", "POST", {"email": "new@example.com", "org": "other-org"}, 400),
    (f"{ORG}/invite/", "POST", {"email": "M1@acme.example"}, 400),
    (f"{ORG}/register/", "POST", {"user": "no-such-user"}, 400),
    (f"{ORG}/register/", "POST", {"user": "acme-m1"}, 400),
    (f"{ORG}/register/", "POST", {"user": "outsider", "role": "x1"}, 400),
    (f"{ORG}/register/", "POST", {"user": 12}, 400),
    (f"{ORG}/register/", "POST", {}, 400),
    (f"{ORG}/members/acme-m1/", "PATCH", {"role": "boss"}, 400),
    (f"{ORG}/members/acme-m1/", "PATCH", {"is_active": "maybe"}, 400),
    (f"{ORG}/members/acme-m1/", "PATCH", {"role": "m1", "email": "x@y.z"}, 400),
    (f"{ORG}/members/outsider/", "PATCH", {"role": "m1"}, 404),
    (f"{ORG}/members/nobody/", "DELETE", None, 404),
    (f"{ORG}/invitation/00000000-0000-0000-0000-000000000000/", "DELETE", None, 404),
    (f"{ORG}/invitation/not-a-uuid/resend/", "POST", None, 404),
    (f"{ORG}/apikeys/", "POST", {}, 400),
    (f"{ORG}/apikeys/", "POST", {"name": ""}, 400),
    (f"{ORG}/apikeys/", "POST", {"name": "k" * 51}, 400),
    (f"{ORG}/apikeys/", "POST", {"name": "k", "expiry_date": "tomorrow"}, 400),
    (f"{ORG}/apikeys/", "POST", {"name": "k", "expiry_date": "2001-01-01T00:00:00Z"}, 400),
    (f"{ORG}/apikeys/", "POST", {"name": "k", "expiry_date": 17}, 400),
    (f"{ORG}/apikeys/", "POST", {"name": "k", "revoked": False, "scope": "all"}, 400),
    (f"{ORG}/apikeys/NOPE1234/", "PATCH", {"name": "x"}, 404),
    (f"{ORG}/apikeys/NOPE1234/revoke/", "POST", None, 404),
]


@pytest.fixture
async def world(appliance: Appliance) -> World:
    return await build_world(appliance)


GROUPS = ("invit", "register", "members", "apikeys", "org")


def group_of(path: str) -> str:
    return next(g for g in GROUPS if g in path)


@pytest.mark.parametrize("group", GROUPS)
async def test_refused_whole(api: Any, appliance: Appliance, world: World, group: str) -> None:
    """One world per group (building one hashes eight passwords); every case must change nothing."""
    call = Caller(api, world, {})
    for path, method, body, status in [c for c in BAD if group_of(c[0]) == group]:
        before = await snapshot(appliance)
        got, data = await call(method, path, "a0", body)
        assert got == status, (method, path, body, data)
        assert await snapshot(appliance) == before, (method, path, body)


async def test_malformed_json(api: Any, appliance: Appliance, world: World) -> None:
    before = await snapshot(appliance)
    for path in ("/org/", f"{ORG}/invite/", f"{ORG}/apikeys/", f"{ORG}/register/", f"{ORG}/members/acme-m1/"):
        for raw in (b"{", b"[1, 2]", b'"text"', b"\xff\xfe", b'{"name": "A"} trailing', b"null"):
            method = "PATCH" if "members" in path else "POST"
            resp = await api.request(method, f"{API}{path}", data=raw,
                                     headers={**world.headers("a0"), "Content-Type": "application/json"})
            assert resp.status == 400, (path, raw)
            assert (await resp.json())["error"]
    assert await snapshot(appliance) == before


async def test_oversized_body_is_413(api: Any, appliance: Appliance, world: World) -> None:
    limit = int(appliance.settings["server.max_json_bytes"])
    before = await snapshot(appliance)
    resp = await api.post(f"{API}/org/", data=b'{"about": "' + b"x" * limit + b'"}',
                          headers={**world.headers("a0"), "Content-Type": "application/json"})
    assert resp.status == 413
    assert await snapshot(appliance) == before


async def test_padded_and_wrong_slugs_are_404(api: Any, world: World) -> None:
    for slug in ("%20acme-corp", "acme-corp%20", "ACME-CORP", "acme_corp", "acme-corp-", "x" * 300):
        for path in (f"/org/{slug}/", f"/org/{slug}/extra/", f"/org/{slug}/members/"):
            status, _ = await Caller(api, world, {})("GET", path, "staff")
            assert status == 404, path


async def test_rename_changes_the_slug_and_keeps_members(api: Any, world: World) -> None:
    call = Caller(api, world, {})
    status, body = await call("PATCH", f"{ORG}/", "a1", {"name": "Acmé Widgets", "slug": "ignored"})
    assert status == 200 and body["slug"] == "acme-widgets" and body["name"] == "Acmé Widgets"
    assert (await call("GET", f"{ORG}/", "m1"))[0] == 404
    assert (await call("GET", "/org/acme-widgets/membership/", "m1"))[1]["role"] == "m1"
    status, body = await call("PUT", "/org/acme-widgets/", "a0", {**body, "name": "Acme Corp"})
    assert status == 200 and body["slug"] == "acme-corp"


async def test_org_with_projects_cannot_be_deleted(api: Any, appliance: Appliance, world: World) -> None:
    await db_write(appliance, lambda s: s.add(Project(uuid="1f0c5a4e-0000-4000-8000-000000000001",
                                                      name="Line 1", org_id=world.org.id)))
    before = await snapshot(appliance)
    status, body = await Caller(api, world, {})("DELETE", f"{ORG}/", "a0")
    assert status == 409 and "1 projects" in body["error"]
    assert await snapshot(appliance) == before
