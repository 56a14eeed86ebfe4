"""?property=name and ?property=name__value on the project and device lists.

The device list matches DEVICE properties (iotile.cloud's looks among project-property targets and
so never finds a device); values compare as the property's type prints them."""

from __future__ import annotations

from typing import Any

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, ProjectSlug
from tests.support.devices import ClaimedDevice, claimed_device
from tests.support.world import World, build_world

API = "/api/v1"
D1, D2, D3, BIG, OTHER = 0x101, 0x102, 0x103, 0x1234_5678_9ABC, 0x201


class Lists:
    def __init__(self, api: Any, world: World, devices: dict[int, ClaimedDevice]) -> None:
        self.api, self.world, self.devices = api, world, devices

    async def call(self, method: str, path: str, who: str = "a0", body: Any = None) -> tuple[int, Any]:
        resp = await self.api.request(method, API + path, json=body, headers=self.world.headers(who))
        return resp.status, await resp.json()

    async def prop(self, target: str, name: str, **value: Any) -> None:
        status, body = await self.call("POST", "/property/", "staff", {"target": target, "name": name, **value})
        assert status == 201, body

    def project(self, device: int) -> str:
        return ProjectSlug(self.devices[device].project_gid).slug

    async def devices_with(self, query: str, who: str = "a0") -> list[int]:
        status, body = await self.call("GET", f"/device/?{query}", who)
        assert status == 200, body
        assert body["count"] == len(body["results"])
        return [DeviceSlug.parse(d["slug"]).id for d in body["results"]]

    async def projects_with(self, query: str, who: str = "a0") -> list[str]:
        status, body = await self.call("GET", f"/project/?{query}", who)
        assert status == 200, body
        assert body["count"] == len(body["results"])
        return sorted(p["slug"] for p in body["results"])


async def _lists(api: Any, appliance: Appliance) -> Lists:
    world = await build_world(appliance)
    devices = {d: await claimed_device(appliance, world.org.id, d) for d in (D1, D2, D3, BIG)}
    devices[OTHER] = await claimed_device(appliance, world.other_org.id, OTHER)
    w = Lists(api, world, devices)
    for device, site, count, active in ((D1, "north", 7, True), (D2, "south", 70, False), (BIG, "north", 1, True)):
        target = DeviceSlug(device).slug
        await w.prop(target, "site", str_value=site)
        await w.prop(target, "count", int_value=count)
        await w.prop(target, "active", bool_value=active)
    await w.prop(DeviceSlug(D1).slug, "code", str_value="007")
    await w.prop(DeviceSlug(D2).slug, "flag", str_value="true")
    await w.prop(DeviceSlug(OTHER).slug, "site", str_value="north")
    await w.prop(w.project(D1), "region", str_value="emea")
    await w.prop(w.project(D2), "region", str_value="apac")
    await w.prop(w.project(D2), "priority", int_value=3)
    await w.prop(w.project(D2), "public", bool_value=True)
    await w.prop(w.project(D3), "site", str_value="north")  # a project property named like device ones
    return w


async def test_device_list_property_filter(api: Any, appliance: Appliance) -> None:
    w = await _lists(api, appliance)
    cases = {
        "property=site": [D1, D2, BIG],
        "property=site__north": [D1, BIG],  # not D3, whose *project* has site=north
        "property=count__7": [D1], "property=count__007": [D1], "property=count__%2B7": [D1],
        "property=count__70": [D2], "property=count__7.0": [], "property=count__seven": [],
        "property=active__true": [D1, BIG], "property=active__True": [D1, BIG], "property=active__FALSE": [D2],
        "property=code__007": [D1], "property=code__7": [],  # a str property compares its exact text
        "property=flag__true": [D2], "property=flag__True": [],
        "property=nothing": [], "property=site__east": [], "property=site__": [], "property=": [D1, D2, D3, BIG],
        "property=region": [],  # project properties are not device properties
    }
    for query, devices in cases.items():
        assert await w.devices_with(query) == devices, query
    assert await w.devices_with("property=site__north", "other") == [OTHER]
    assert await w.devices_with("property=site__north&staff=1", "staff") == [D1, OTHER, BIG]  # by id
    assert await w.devices_with("property=site__north", "outsider") == []


async def test_device_property_filter_combines(api: Any, appliance: Appliance) -> None:
    w = await _lists(api, appliance)
    project_of_d1 = w.devices[D1].project_gid
    assert await w.devices_with(f"property=site&project={ProjectSlug(project_of_d1).slug}") == [D1]
    assert await w.devices_with(f"property=site__south&project={ProjectSlug(project_of_d1).slug}") == []
    assert await w.devices_with(f"property=active__true&org__slug={w.world.org.slug}") == [D1, BIG]
    assert await w.devices_with("property=site&claimed=true") == [D1, D2, BIG]
    status, _ = await w.call("PATCH", f"/device/{DeviceSlug(BIG).slug}/", "a0", {"active": False})
    assert status == 200
    assert await w.devices_with("property=site__north") == [D1]
    assert await w.devices_with("property=site__north&all=1") == [D1, BIG]
    status, body = await w.call("GET", "/device/?property=site&page_size=2")
    assert status == 200 and body["count"] == 2 and body["next"] is None
    status, body = await w.call("GET", "/device/?property=site&all=1&page_size=2&page=2")
    assert body["count"] == 3 and [d["slug"] for d in body["results"]] == [DeviceSlug(BIG).slug]
    assert body["previous"] is not None and body["next"] is None


async def test_project_list_property_filter(api: Any, appliance: Appliance) -> None:
    w = await _lists(api, appliance)
    p1, p2, p3 = w.project(D1), w.project(D2), w.project(D3)
    cases = {
        "property=region": sorted([p1, p2]), "property=region__emea": [p1], "property=region__EMEA": [],
        "property=priority__3": [p2], "property=priority__03": [p2], "property=priority__4": [],
        "property=public__true": [p2], "property=public__false": [],
        "property=site": [p3],  # device properties are not project properties
        "property=count": [], "property=nothing": [],
    }
    for query, projects in cases.items():
        assert await w.projects_with(query) == projects, query
    _, listed = await w.call("GET", "/project/?property=region__emea")
    name = listed["results"][0]["name"]
    assert await w.projects_with(f"property=region&name={name}") == [p1]
    assert await w.projects_with(f"property=region__apac&name={name}") == []
    assert await w.projects_with(f"property=region&org__slug={w.world.org.slug}") == sorted([p1, p2])
    assert await w.projects_with("property=region", "other") == []
    assert await w.projects_with("property=region&staff=1", "staff") == sorted([p1, p2])
    status, body = await w.call("GET", "/project/?property=region&page_size=1")
    assert status == 200 and body["count"] == 2 and len(body["results"]) == 1 and body["next"]
