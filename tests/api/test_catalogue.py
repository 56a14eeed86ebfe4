"""/api/v1/ catalogue reads: iotile.cloud's shapes and its permission table (Api-Key included)."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app import Appliance
from appliance.errors import AuthenticationError
from appliance.services.auth import Principal
from tests.support.world import World, build_world

API = "/api/v1"
API_KEY = "acme-test-key.0123456789"
CALLERS = ("a0", "a1", "m1", "r1", "d1", "staff", "outsider", "other", "anonymous", "api-key")
USERS = ("a0", "a1", "m1", "r1", "d1", "staff", "outsider", "other")

OPEN_READS = [f"{API}/vartype/", f"{API}/vartype/temp/", f"{API}/dt/", f"{API}/dt/pod-1mae1-v2-v2-7-0/",
              f"{API}/dt/pod-1mae1-v2-v2-7-0/slot/", f"{API}/sg/", f"{API}/sg/shipping-v2-3-0/"]
USER_READS = [f"{API}/component/", f"{API}/component/btc1-4-0-0/"]
NEW_VAR_TYPE = {"name": "Lux", "available_input_units": [{"unit_full": "Lux", "m": 1, "d": 1}]}
WRITES: list[tuple[str, str, Any]] = [
    ("POST", f"{API}/vartype/", NEW_VAR_TYPE),
    ("PUT", f"{API}/vartype/lux/", {"name": "Lux", "storage_units_full": "lx"}),
    ("PATCH", f"{API}/vartype/temp/", {"storage_units_full": "K"}),
    ("DELETE", f"{API}/vartype/battery-voltage/", None),
    ("POST", f"{API}/component/", {"external_sku": "Tile-X", "type": "SEN"}),
    ("PATCH", f"{API}/component/btc1-4-0-0/", {"description": "x"}),
    ("DELETE", f"{API}/component/tile-x-0-0-0/", None),
    ("POST", f"{API}/dt/", {"external_sku": "New POD"}),
    ("PATCH", f"{API}/dt/water-meter-pod-v1-0-0/", {"family": "x"}),
    ("DELETE", f"{API}/dt/generic-virtual-device-v1-0-0/", None),
    ("POST", f"{API}/dt/water-meter-pod-v1-0-0/slot/", {"number": 2, "component": "tile-a1-1-0-0"}),
    ("POST", f"{API}/sg/", {"name": "New Graph"}),
    ("PUT", f"{API}/sg/water-meter-v1-1-0/", {"name": "Water Meter", "major_version": 1, "minor_version": 1}),
    ("PATCH", f"{API}/sg/water-meter-v1-1-0/", {"description": "x"}),
    ("DELETE", f"{API}/sg/single-temp-sensor-v1-1-1/", None),
    ("POST", f"{API}/vartemplate/", {"sg": "water-meter-v1-1-0", "lid_hex": "5003", "var_type": "default"}),
    ("PATCH", f"{API}/vartemplate/1/", {"label": "x"}),
    ("PUT", f"{API}/vartemplate/1/", {"sg": "water-meter-v1-1-0", "lid_hex": "5004", "var_type": "default"}),
    ("DELETE", f"{API}/vartemplate/1/", None),
    ("GET", f"{API}/catalogue/export/", None),
    ("POST", f"{API}/catalogue/import/", {"var_types": [NEW_VAR_TYPE]}),
]


@pytest.fixture
async def world(appliance: Appliance) -> World:
    await appliance.catalogue.ensure_defaults()
    world = await build_world(appliance)
    org_id = world.org.id

    async def api_key(key: str) -> Principal:
        # The org Api-Key scheme as the apikeys service resolves it: no account, the key's org.
        if key != API_KEY:
            raise AuthenticationError("Invalid API key.", key="bad_api_key")
        return Principal("api-key", None, org_id=org_id)

    appliance.authenticator.register("api-key", api_key)
    return world


def headers(world: World, who: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {API_KEY}"} if who == "api-key" else world.headers(who)


@pytest.mark.parametrize("who", CALLERS)
async def test_read_permissions(api: Any, world: World, who: str) -> None:
    for path in OPEN_READS + USER_READS:
        resp = await api.get(path, headers=headers(world, who))
        expected = 401 if who == "anonymous" else 403 if who == "api-key" and path in USER_READS else 200
        assert resp.status == expected, (who, path, await resp.text())
        if expected != 200:
            assert "error" in await resp.json()


@pytest.mark.parametrize("who", [w for w in CALLERS if w != "staff"])
async def test_only_staff_write(api: Any, appliance: Appliance, world: World, who: str) -> None:
    before = await appliance.catalogue.export_json()
    for method, path, body in WRITES:
        resp = await api.request(method, path, json=body, headers=headers(world, who))
        assert resp.status == (401 if who == "anonymous" else 403), (who, method, path, await resp.text())
        assert "error" in await resp.json()
    assert await appliance.catalogue.export_json() == before


async def test_staff_may_write_everything(api: Any, appliance: Appliance, world: World) -> None:
    for method, path, body in WRITES:
        resp = await api.request(method, path, json=body, headers=world.headers("staff"))
        assert 200 <= resp.status < 300, (method, path, await resp.text())


async def test_var_type_is_the_real_serializer(api: Any, world: World) -> None:
    body = await (await api.get(f"{API}/vartype/temp/", headers=world.headers("r1"))).json()
    assert set(body) == {"name", "slug", "available_input_units", "available_output_units", "stream_data_type",
                         "decoder", "schema", "storage_units_full", "storage_units_short"}
    assert (body["name"], body["stream_data_type"], body["storage_units_full"]) == ("Temp", "D0", "Kelvin")
    assert body["storage_units_short"] == "" and body["decoder"] is None and body["schema"] is None
    celsius = next(u for u in body["available_output_units"] if u["slug"] == "out--temp--celsius")
    assert celsius == {"slug": "out--temp--celsius", "unit_full": "Celsius", "unit_short": "C", "m": 1, "d": 1,
                       "o": -273.15, "decimal_places": 1, "derived_units": {}}
    pod = next(u for u in body["available_input_units"] if u["slug"] == "in--temp--pod1-m")
    assert pod == {"slug": "in--temp--pod1-m", "unit_full": "POD1-M", "unit_short": "C", "m": 1, "d": 100,
                   "o": 273.15}
    slugs = [u["slug"] for u in body["available_input_units"]]
    assert slugs == sorted(slugs)

    encoded = await (await api.get(f"{API}/vartype/accelerometer-event/", headers=world.headers("r1"))).json()
    assert encoded["stream_data_type"] == "E1"
    assert set(encoded["decoder"]) == {"id", "raw_packet_format", "packet_info"}
    assert encoded["decoder"]["raw_packet_format"] == "<LLLL"
    assert set(encoded["schema"]) == {"id", "keys", "display_order"}


async def test_device_template_is_the_real_serializer(api: Any, world: World) -> None:
    body = await (await api.get(f"{API}/dt/pod-1mae1-v2-v2-7-0/", headers=headers(world, "api-key"))).json()
    assert set(body) == {"id", "external_sku", "internal_sku", "family", "slug", "org", "version", "os_tag",
                         "os_version", "hw_tag", "hw_version", "slots", "created_on", "released_on"}
    assert body["external_sku"] == "POD-1M[ae1] v2" and body["family"] == "POD-1M"
    assert (body["version"], body["os_tag"], body["os_version"]) == ("v2.7.0", 2050, "v2.7")
    assert (body["hw_tag"], body["hw_version"], body["released_on"]) == (8195, "v1", "2020-11-25")
    assert body["slots"] == [{"number": 0, "component": "btc1-4-0-0", "hw_tag": 0},
                             {"number": 2, "component": "tile-a1-1-0-0", "hw_tag": 0},
                             {"number": 4, "component": "tile-e1-1-0-0", "hw_tag": 0}]
    assert body["created_on"].endswith("Z")
    slots = await (await api.get(f"{API}/dt/pod-1mae1-v2-v2-7-0/slot/", headers=world.headers("m1"))).json()
    assert slots["count"] == 3 and slots["results"] == body["slots"]


async def test_sensor_graph_is_the_real_serializer(api: Any, world: World) -> None:
    body = await (await api.get(f"{API}/sg/shipping-v2-3-0/", headers=headers(world, "api-key"))).json()
    assert set(body) == {"id", "name", "slug", "org", "project_template", "variable_templates",
                         "display_widget_templates", "ui_extra", "report_processing_engine_ver", "major_version",
                         "minor_version", "patch_version", "version", "app_tag", "app_version", "created_on"}
    assert (body["name"], body["version"], body["report_processing_engine_ver"]) == ("Shipping", "v2.3.0", 2)
    assert (body["app_tag"], body["app_version"]) == (2049, "v1.3")
    by_lid = {v["lid_hex"]: v for v in body["variable_templates"]}
    assert {"5020", "5021", "5022", "5023", "5a07", "5a08", "0e00", "0e01"} <= set(by_lid)
    assert by_lid["5023"] == {"id": by_lid["5023"]["id"], "label": "Temperature", "lid_hex": "5023",
                              "derived_lid_hex": "", "var_type": "temp", "default_input_unit": "in--temp--pod1-m",
                              "default_output_unit": "out--temp--celsius", "ctype": "int", "m": 1, "d": 1, "o": 0.0,
                              "app_only": False, "web_only": True}
    assert by_lid["5020"]["var_type"] == "pod-1m-accelerometer" and by_lid["5020"]["default_input_unit"] is None


async def test_lists_filters_and_pagination(api: Any, world: World) -> None:
    member = world.headers("m1")
    page = await (await api.get(f"{API}/vartype/?page_size=5", headers=member)).json()
    assert page["count"] == 21 and len(page["results"]) == 5 and "page=2" in page["next"]
    assert page["previous"] is None
    found = await (await api.get(f"{API}/vartype/?search=water", headers=member)).json()
    assert [v["slug"] for v in found["results"]] == ["water-meter-flow", "water-meter-volume"]
    graphs = await (await api.get(f"{API}/sg/?slug=water-meter-v1-1-0", headers=member)).json()
    assert graphs["count"] == 1 and graphs["results"][0]["variable_templates"][0]["lid_hex"] == "100b"
    assert (await (await api.get(f"{API}/sg/?org__slug=acme-corp", headers=member)).json())["count"] == 0
    assert (await (await api.get(f"{API}/dt/", headers=member)).json())["count"] == 5
    assert (await api.get(f"{API}/vartype/?page=9", headers=member)).status == 404


@pytest.mark.parametrize("path", [f"{API}/vartype/nope/", f"{API}/vartype/%20temp/", f"{API}/vartype/TEMP/",
                                  f"{API}/dt/pod-1mae1-v2-v2-7-0%20/", f"{API}/sg/shipping/",
                                  f"{API}/component/btc1/", f"{API}/dt/nope/slot/"])
async def test_unknown_and_padded_slugs_are_404(api: Any, world: World, path: str) -> None:
    resp = await api.get(path, headers=world.headers("m1"))
    assert resp.status == 404 and "error" in await resp.json()


async def test_inactive_templates_and_graphs(api: Any, world: World) -> None:
    staff, member = world.headers("staff"), world.headers("m1")
    slug = "water-meter-pod-v1-0-0"
    assert (await api.patch(f"{API}/dt/{slug}/", json={"active": False}, headers=staff)).status == 200
    assert (await api.patch(f"{API}/sg/water-meter-v1-1-0/", json={"active": False}, headers=staff)).status == 200
    assert (await api.get(f"{API}/dt/{slug}/", headers=member)).status == 404
    assert (await api.get(f"{API}/dt/{slug}/", headers=staff)).status == 200
    listed = await (await api.get(f"{API}/dt/", headers=member)).json()
    assert slug not in [t["slug"] for t in listed["results"]]
    everything = await (await api.get(f"{API}/dt/?staff=1", headers=staff)).json()
    assert slug in [t["slug"] for t in everything["results"]]
    # a retired graph stays readable by slug (devices keep pointing at it) but leaves the list
    assert (await api.get(f"{API}/sg/water-meter-v1-1-0/", headers=member)).status == 200
    graphs = await (await api.get(f"{API}/sg/", headers=member)).json()
    assert "water-meter-v1-1-0" not in [g["slug"] for g in graphs["results"]]
