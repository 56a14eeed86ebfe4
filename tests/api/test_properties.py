"""property/ and propertytemplate/: every endpoint × every caller, typed values, enforced templates;
refused requests change nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, ProjectSlug
from storage.metadata.models import GenericProperty, GenericPropertyTemplate
from tests.support.devices import claimed_device
from tests.support.world import World, build_world

API = "/api/v1"
CALLERS = ("anonymous", "a0", "a1", "m1", "r1", "d1", "staff", "other", "outsider")
READERS = frozenset({"a0", "a1", "m1", "d1", "staff"})  # can_read/modify_device_properties
PROJECT_WRITERS = frozenset({"a0", "a1", "d1", "staff"})  # can_manage_org_and_projects
ACME = frozenset({"a0", "a1", "m1", "r1", "d1", "staff"})
DEVICE = 0x100


def expected(who: str, allowed: frozenset[str], ok: int = 200, visible: frozenset[str] = ACME) -> int:
    if who == "anonymous":
        return 401
    if who in allowed:
        return ok
    return 403 if who in visible else 404


def count_props(appliance: Appliance) -> int:
    return appliance.metadata.read_sync(lambda s: s.scalar(select(func.count()).select_from(GenericProperty)) or 0)


async def setup(appliance: Appliance) -> tuple[World, str, str]:
    world = await build_world(appliance)
    dev = await claimed_device(appliance, world.org.id, DEVICE)
    return world, DeviceSlug(DEVICE).slug, ProjectSlug(dev.project_gid).slug


def add_prop(appliance: Appliance, target: str, name: str, kind: str = "str", text: str = "x") -> int:
    def run(s: Session) -> int:
        row = GenericProperty(target=target, name=name, type=kind, str_value=text)
        s.add(row)
        s.flush()
        return row.id
    return appliance.metadata.write_sync(run)


async def call(api: Any, world: World, who: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    resp = await api.request(method, API + path, json=body, headers=world.headers(who))
    data = await resp.json() if resp.status != 204 else None
    return resp.status, data


async def test_property_roles(appliance: Appliance, api: Any) -> None:
    world, device, project = await setup(appliance)
    pk = add_prop(appliance, device, "seen")
    for n, who in enumerate(CALLERS):
        cases = [
            ("GET", f"/property/?target={device}", None, READERS, 200),
            ("GET", f"/property/{pk}/", None, READERS, 200),
            ("POST", "/property/", {"target": device, "name": f"d{n}", "int_value": n}, READERS, 201),
            ("POST", "/property/", {"target": project, "name": f"p{n}", "str_value": "v"}, PROJECT_WRITERS, 201),
            ("PATCH", f"/property/{pk}/", {"bool_value": True}, READERS, 200),
            ("DELETE", f"/property/{add_prop(appliance, device, f'gone{n}')}/", None, READERS, 204),
        ]
        for method, path, body, allowed, ok in cases:
            status, data = await call(api, world, who, method, path, body)
            assert status == expected(who, allowed, ok), (who, method, path, data)
            if status >= 400:
                assert "error" in data
    names = appliance.metadata.read_sync(lambda s: set(s.scalars(select(GenericProperty.name))))
    assert {f"d{CALLERS.index(w)}" for w in READERS} | {f"p{CALLERS.index(w)}" for w in PROJECT_WRITERS} <= names
    assert not {f"d{CALLERS.index(w)}" for w in set(CALLERS) - READERS} & names
    assert not {f"gone{CALLERS.index(w)}" for w in READERS} & names


async def test_property_values_are_typed(appliance: Appliance, api: Any) -> None:
    world, device, _ = await setup(appliance)
    for body, value, kind in (({"int_value": 7}, 7, "int"), ({"bool_value": False}, False, "bool"),
                              ({"str_value": "blue"}, "blue", "str")):
        status, data = await call(api, world, "a0", "POST", "/property/", {"target": device, "name": kind, **body})
        assert status == 201 and data["value"] == value and data["type"] == kind, data
    status, data = await call(api, world, "m1", "GET", f"/property/?target={device}")
    assert status == 200 and data["count"] == 3
    assert {r["name"]: r["value"] for r in data["results"]} == {"int": 7, "bool": False, "str": "blue"}
    pk = next(r["id"] for r in data["results"] if r["name"] == "int")
    status, data = await call(api, world, "m1", "PATCH", f"/property/{pk}/", {"int_value": 9})
    assert status == 200 and data["value"] == 9


def bad_requests(device: str, pk: int) -> list[tuple[str, str, Any]]:
    base: dict[str, Any] = {"target": device, "name": "n"}
    return [
        ("POST", "/property/", {**base, "int_value": "abc"}),
        ("POST", "/property/", {**base, "int_value": True}),
        ("POST", "/property/", {**base, "bool_value": "maybe"}),
        ("POST", "/property/", {**base, "str_value": 12}),
        ("POST", "/property/", {**base, "str_value": "x" * 257}),
        ("POST", "/property/", {**base, "int_value": 1, "str_value": "1"}),
        ("POST", "/property/", base),
        ("POST", "/property/", {**base, "int_value": 1, "colour": "red"}),
        ("POST", "/property/", {"target": "d--zz", "name": "n", "int_value": 1}),
        ("POST", "/property/", {"target": " d--0000-0000-0000-0100", "name": "n", "int_value": 1}),
        ("POST", "/property/", {"target": "^acme-corp", "name": "n", "int_value": 1}),
        ("POST", "/property/", {"target": device, "name": "taken", "int_value": 2}),
        ("PATCH", f"/property/{pk}/", {"int_value": "x"}),
        ("PATCH", f"/property/{pk}/", {"name": "renamed", "int_value": 2}),
        ("GET", "/property/", None),
        ("GET", "/property/?target=^acme-corp", None),
    ]


async def test_property_bad_input_changes_nothing(appliance: Appliance, api: Any) -> None:
    world, device, _ = await setup(appliance)
    pk = add_prop(appliance, device, "taken", "int", "1")
    bad = bad_requests(device, pk)
    for method, path, body in bad:
        status, data = await call(api, world, "a0", method, path, body)
        assert status == 400 and "error" in data, (path, body, status, data)
    resp = await api.post(f"{API}/property/", data=b"{nope", headers={**world.headers("a0"),
                                                                        "Content-Type": "application/json"})
    assert resp.status == 400
    status, _ = await call(api, world, "a0", "GET", f"/property/?target={DeviceSlug(0x999).slug}")
    assert status == 404
    assert count_props(appliance) == 1
    assert (await call(api, world, "a0", "GET", f"/property/{pk}/"))[1]["value"] == 1


async def test_template_roles_and_enums(appliance: Appliance, api: Any) -> None:
    world, device, _ = await setup(appliance)
    body = {"org": world.org.slug, "name": "colour", "type": "str", "enums": ["red", "green"]}
    created: dict[str, Any] = {}
    for who in CALLERS:
        status, data = await call(api, world, who, "POST", "/propertytemplate/", body)
        assert status == expected(who, frozenset({"staff"}), 201, frozenset(CALLERS) - {"anonymous"}), (who, data)
        created = data if who == "staff" else created
    data = created
    pk = data["id"]
    assert data["enums"] == ["green", "red"] and data["org"] == world.org.slug
    for who in CALLERS:
        status, data = await call(api, world, who, "GET", f"/propertytemplate/{pk}/")
        assert status == expected(who, ACME), (who, data)
        status, data = await call(api, world, who, "GET", "/propertytemplate/")
        assert status == (401 if who == "anonymous" else 200)
        if status == 200:
            assert data["count"] == (1 if who in ACME else 0)
    await enums_are_enforced(api, world, appliance, device, pk)
    status, _ = await call(api, world, "staff", "POST", "/propertytemplate/", body)
    assert status == 400
    status, _ = await call(api, world, "staff", "DELETE", f"/propertytemplate/{pk}/")
    assert status == 204
    assert appliance.metadata.read_sync(lambda s: s.scalar(select(func.count()).select_from(
        GenericPropertyTemplate))) == 0


async def enums_are_enforced(api: Any, world: World, appliance: Appliance, device: str, pk: int) -> None:
    status, _ = await call(api, world, "a0", "POST", f"/propertytemplate/{pk}/enum/", {"value": "blue"})
    assert status == 403
    status, data = await call(api, world, "staff", "POST", f"/propertytemplate/{pk}/enum/", {"value": "blue"})
    assert status == 201
    status, data = await call(api, world, "r1", "GET", f"/propertytemplate/{pk}/enum/")
    assert status == 200 and [e["value"] for e in data["results"]] == ["blue", "green", "red"]
    for bad in ({"str_value": "purple"}, {"int_value": 3}):
        status, data = await call(api, world, "a0", "POST", "/property/", {"target": device, "name": "colour", **bad})
        assert status == 400 and "error" in data
    assert count_props(appliance) == 0
    status, data = await call(api, world, "a0", "POST", "/property/",
                              {"target": device, "name": "colour", "str_value": "blue"})
    assert status == 201
    status, _ = await call(api, world, "a0", "PATCH", f"/property/{data['id']}/", {"str_value": "pink"})
    assert status == 400
    assert (await call(api, world, "a0", "GET", f"/property/{data['id']}/"))[1]["value"] == "blue"
