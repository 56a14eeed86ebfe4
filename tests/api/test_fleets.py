"""Fleets over real HTTP: every endpoint × every caller, the filters, and bad input that must change nothing."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.services.fleets import FleetService
from appliance.slugs import DeviceSlug, FleetSlug
from storage.metadata import DeploymentRequest, DeviceScript, Fleet, FleetMembership
from tests.api.registry_support import (
    CALLERS,
    CLAIMED,
    MEMBERS,
    OTHER_DEVICE,
    SPARE,
    Registry,
    build_registry,
    db_read,
    db_write,
    expected,
)

DEVELOPERS = frozenset({"d1", "staff"})  # can_manage_ota
EVERYONE = frozenset(CALLERS) - {"anonymous", "apikey"}
CLAIMED_SLUG = DeviceSlug(CLAIMED).slug
_names = itertools.count()


def _snapshot(session: Session) -> dict[str, Any]:
    return {
        "fleets": sorted(tuple(r) for r in session.execute(
            select(Fleet.id, Fleet.name, Fleet.org_id, Fleet.description, Fleet.is_network))),
        "members": sorted(tuple(r) for r in session.execute(
            select(FleetMembership.fleet_id, FleetMembership.device_id, FleetMembership.always_on,
                   FleetMembership.is_access_point))),
        "requests": sorted(session.scalars(select(DeploymentRequest.id))),
    }


async def snapshot(appliance: Appliance) -> dict[str, Any]:
    return await db_read(appliance, _snapshot)


async def new_fleet(reg: Registry, *, who: str = "d1", members: tuple[int, ...] = (), **fields: Any) -> str:
    """A fleet made through the service as a Developer (staff for ``who="other"``: the other org has no
    Developer), with ``members`` registered."""
    service = FleetService(reg.appliance.metadata)
    access = await reg.access("staff" if who == "other" else who)
    org = reg.world.other_org.slug if who == "other" else reg.world.org.slug
    record = await service.create(access, {"name": f"Fleet {next(_names)}", "org": org, **fields},
                                  created_by_id=reg.world.users[who].id)
    for device in members:
        await service.register(access, record.slug, {"device": DeviceSlug(device).slug})
    return record.slug


@pytest.fixture
async def reg(api: Any, appliance: Appliance) -> Registry:
    return await build_registry(appliance, api)


async def _fixed_fleet(reg: Registry, who: str) -> tuple[str, Any]:
    return f"/fleet/{await new_fleet(reg, members=(CLAIMED,))}/", None


async def _fresh(reg: Registry, who: str) -> tuple[str, Any]:
    return f"/fleet/{await new_fleet(reg)}/", None


async def _devices(reg: Registry, who: str) -> tuple[str, Any]:
    return f"/fleet/{await new_fleet(reg, members=(CLAIMED,))}/devices/", None


async def _register(reg: Registry, who: str) -> tuple[str, Any]:
    return f"/fleet/{await new_fleet(reg)}/register/", {"device": CLAIMED_SLUG, "is_access_point": True}


async def _deregister(reg: Registry, who: str) -> tuple[str, Any]:
    return f"/fleet/{await new_fleet(reg, members=(CLAIMED,))}/deregister/", {"device": CLAIMED_SLUG}


async def _create(reg: Registry, who: str) -> tuple[str, Any]:
    return "/fleet/", {"name": f"New fleet {next(_names)}", "org": reg.world.org.slug, "is_network": True}


async def _list(reg: Registry, who: str) -> tuple[str, Any]:
    return "/fleet/", None


def _with(prepare: Any, body: Any) -> Any:
    async def wrapped(reg: Registry, who: str) -> tuple[str, Any]:
        return (await prepare(reg, who))[0], body

    return wrapped


async def _put(reg: Registry, who: str) -> tuple[str, Any]:
    return (await _fresh(reg, who))[0], {"name": f"Renamed {next(_names)}", "is_network": True}


# name, method, prepare, allowed, ok status, org scoped
ROWS = (
    ("list", "GET", _list, EVERYONE, 200, False),
    ("create", "POST", _create, DEVELOPERS, 201, True),
    ("detail", "GET", _fixed_fleet, MEMBERS, 200, True),
    ("patch", "PATCH", _with(_fresh, {"description": "Line 2"}), DEVELOPERS, 200, True),
    ("put", "PUT", _put, DEVELOPERS, 200, True),
    ("delete", "DELETE", _fresh, DEVELOPERS, 204, True),
    ("devices", "GET", _devices, MEMBERS, 200, True),
    ("register", "POST", _register, DEVELOPERS, 201, True),
    ("deregister", "POST", _deregister, DEVELOPERS, 202, True),
)


@pytest.mark.parametrize("row", ROWS, ids=[r[0] for r in ROWS])
async def test_fleet_endpoint_for_every_caller(reg: Registry, row: tuple[Any, ...]) -> None:
    name, method, prepare, allowed, ok, scoped = row
    for who in CALLERS:
        path, body = await prepare(reg, who)
        before = await snapshot(reg.appliance)
        status, _ = await reg.call(method, path, who, body)
        assert status == expected(who, allowed, ok, org_scoped=scoped), f"{name} as {who}: {status}"
        if status >= 400:
            assert await snapshot(reg.appliance) == before, f"{name} as {who} changed something"


async def test_create_read_and_members(reg: Registry) -> None:
    status, fleet = await reg.call("POST", "/fleet/", "d1", {"name": "Gateways", "org": reg.world.org.slug,
                                                             "description": "Hall A", "is_network": True})
    assert status == 201
    assert fleet["slug"] == FleetSlug(fleet["id"]).slug and fleet["slug"].startswith("g--0000-0000-")
    assert (fleet["name"], fleet["org"], fleet["description"], fleet["is_network"]) == \
        ("Gateways", reg.world.org.slug, "Hall A", True)
    assert fleet["created_by"] == reg.world.users["d1"].slug
    status, member = await reg.call("POST", f"/fleet/{fleet['slug']}/register/", "d1",
                                    {"device": CLAIMED_SLUG, "always_on": True, "is_access_point": True})
    assert (status, member) == (201, {"device": CLAIMED_SLUG, "always_on": True, "is_access_point": True})
    status, page = await reg.call("GET", f"/fleet/{fleet['slug']}/devices/", "r1")
    assert page["count"] == 1 and page["results"] == [member]
    status, page = await reg.call("GET", f"/fleet/?device={CLAIMED_SLUG}", "m1")
    assert [f["slug"] for f in page["results"]] == [fleet["slug"]]
    status, page = await reg.call("GET", f"/fleet/?device={CLAIMED_SLUG}&is_network=0", "m1")
    assert page["count"] == 0
    status, changed = await reg.call("PATCH", f"/fleet/{fleet['slug']}/", "d1", {"name": "Gateways 2"})
    assert (status, changed["name"], changed["description"]) == (200, "Gateways 2", "Hall A")
    status, gone = await reg.call("POST", f"/fleet/{fleet['slug']}/deregister/", "d1", {"device": CLAIMED_SLUG})
    assert (status, gone) == (202, member)
    assert (await reg.call("GET", f"/fleet/{fleet['slug']}/devices/", "r1"))[1]["count"] == 0


async def test_lists_are_scoped_to_the_callers_orgs(reg: Registry) -> None:
    mine = await new_fleet(reg, members=(CLAIMED,))
    theirs = await new_fleet(reg, who="other", members=(OTHER_DEVICE,))
    seen = {who: [f["slug"] for f in (await reg.call("GET", "/fleet/", who))[1]["results"]]
            for who in ("a0", "r1", "other", "outsider", "staff")}
    assert seen == {"a0": [mine], "r1": [mine], "other": [theirs], "outsider": [], "staff": []}
    assert [f["slug"] for f in (await reg.call("GET", "/fleet/?staff=1", "staff"))[1]["results"]] == [mine, theirs]
    assert (await reg.call("GET", f"/fleet/?org={reg.world.other_org.slug}", "a0"))[0] == 404
    assert (await reg.call("GET", "/fleet/?org=no-such-org", "a0"))[0] == 404
    assert (await reg.call("GET", f"/fleet/?device={DeviceSlug(OTHER_DEVICE).slug}", "a0"))[0] == 404
    assert (await reg.call("GET", f"/fleet/?org={reg.world.org.slug}", "a0"))[1]["count"] == 1
    assert (await reg.call("GET", f"/fleet/{theirs}/devices/", "a0"))[0] == 404


BAD_BODIES = (
    ("other org's device", "register", {"device": DeviceSlug(OTHER_DEVICE).slug}, 400),
    ("unclaimed device", "register", {"device": DeviceSlug(SPARE).slug}, 400),
    ("unknown device", "register", {"device": "d--0000-0000-0000-0fff"}, 400),
    ("padded device slug", "register", {"device": f" {CLAIMED_SLUG}"}, 400),
    ("device as a number", "register", {"device": CLAIMED}, 400),
    ("flag not a bool", "register", {"device": CLAIMED_SLUG, "always_on": "maybe"}, 400),
    ("unknown field", "register", {"device": CLAIMED_SLUG, "colour": "red"}, 400),
    ("no device", "register", {}, 400),
    ("duplicate registration", "register", {"device": CLAIMED_SLUG}, 400),
    ("not a member", "deregister", {"device": DeviceSlug(SPARE).slug}, 400),
)


@pytest.mark.parametrize("case", BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
async def test_bad_membership_input_changes_nothing(reg: Registry, case: tuple[Any, ...]) -> None:
    _, action, body, status = case
    fleet = await new_fleet(reg, members=(CLAIMED,) if case[0] == "duplicate registration" else ())
    before = await snapshot(reg.appliance)
    got, payload = await reg.call("POST", f"/fleet/{fleet}/{action}/", "d1", body)
    assert got == status, payload
    assert await snapshot(reg.appliance) == before


async def test_bad_fleet_input_changes_nothing(reg: Registry) -> None:
    fleet = await new_fleet(reg, name="Taken")
    before = await snapshot(reg.appliance)
    org = reg.world.org.slug
    cases = [
        ("POST", "/fleet/", {"name": "Taken", "org": org}, 400),
        ("POST", "/fleet/", {"name": "", "org": org}, 400),
        ("POST", "/fleet/", {"name": "x" * 51, "org": org}, 400),
        ("POST", "/fleet/", {"name": "No org"}, 400),
        ("POST", "/fleet/", {"name": "Elsewhere", "org": reg.world.other_org.slug}, 404),
        ("POST", "/fleet/", {"name": "Typo", "org": org, "is_netwrk": True}, 400),
        ("POST", "/fleet/", ["not", "an", "object"], 400),
        ("PATCH", f"/fleet/{fleet}/", {"org": reg.world.other_org.slug}, 400),
        ("PATCH", f"/fleet/{fleet}/", {"is_network": "sometimes"}, 400),
        ("GET", "/fleet/g--0000-0000-00001/", None, 400),
        ("GET", "/fleet/g--0000-0000-0fff/", None, 404),
        ("GET", "/fleet/?is_network=perhaps", None, 400),
        ("GET", "/fleet/?device=d--nope", None, 400),
    ]
    for method, path, body, status in cases:
        got, payload = await reg.call(method, path, "d1", body)
        assert got == status, (method, path, body, payload)
    got, payload = await reg.call("POST", "/fleet/", "d1", data="{not json")
    assert got == 400 and payload["error"]
    assert await snapshot(reg.appliance) == before


async def test_deleting_a_fleet_deletes_its_requests_not_widens_them(reg: Registry, appliance: Appliance) -> None:
    fleet = await new_fleet(reg, members=(CLAIMED,))

    def add_request(session: Session) -> None:
        script = DeviceScript(name="s", org_id=reg.world.org.id)
        session.add(script)
        session.flush()
        session.add(DeploymentRequest(script_id=script.id, org_id=reg.world.org.id, fleet_id=FleetSlug.parse(fleet).id))

    await db_write(appliance, add_request)
    assert (await snapshot(appliance))["requests"]
    assert (await reg.call("DELETE", f"/fleet/{fleet}/", "d1"))[0] == 204
    assert (await snapshot(appliance))["requests"] == []
