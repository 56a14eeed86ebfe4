"""/api/v1/ catalogue writes by staff: create, replace, patch, delete, slots, vartemplate, import/export;
bad input answers 400/404/409 with a JSON error and leaves the catalogue exactly as it was."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app import Appliance
from appliance.services.catalogue_writes import SENSOR_GRAPHS
from tests.support.world import World, build_world

API = "/api/v1"
LUX = {"name": "Illuminance", "storage_units_full": "Lux", "stream_data_type": "D0",
       "available_input_units": [{"unit_full": "Lux", "unit_short": "lx", "m": 1, "d": 1}],
       "available_output_units": [{"unit_full": "Lux", "unit_short": "lx", "decimal_places": 0},
                                  {"unit_full": "Foot-candles", "unit_short": "fc", "m": 10, "d": 107}]}


@pytest.fixture
async def world(appliance: Appliance) -> World:
    await appliance.catalogue.ensure_defaults()
    return await build_world(appliance)


@pytest.fixture
def staff(world: World) -> dict[str, str]:
    return world.headers("staff")


async def unchanged_after(appliance: Appliance, api: Any, staff: dict[str, str], method: str, path: str,
                          status: int, **kwargs: Any) -> dict[str, Any]:
    before = await appliance.catalogue.export_json()
    resp = await api.request(method, path, headers=staff, **kwargs)
    body = await resp.json()
    assert resp.status == status, (method, path, body)
    assert "error" in body
    assert await appliance.catalogue.export_json() == before
    return dict(body)


async def test_var_type_create_patch_delete(api: Any, appliance: Appliance, staff: dict[str, str]) -> None:
    created = await api.post(f"{API}/vartype/", json=LUX, headers=staff)
    assert created.status == 201, await created.text()
    body = await created.json()
    assert body["slug"] == "illuminance"
    assert [u["slug"] for u in body["available_output_units"]] == ["out--illuminance--foot-candles",
                                                                   "out--illuminance--lux"]
    assert body["available_output_units"][0]["decimal_places"] == 0
    await unchanged_after(appliance, api, staff, "POST", f"{API}/vartype/", 409, json=LUX)

    patched = await api.patch(f"{API}/vartype/illuminance/", json={"storage_units_full": "lx"}, headers=staff)
    assert patched.status == 200 and (await patched.json())["storage_units_full"] == "lx"
    assert len((await patched.json())["available_output_units"]) == 2
    await unchanged_after(appliance, api, staff, "PATCH", f"{API}/vartype/illuminance/", 400,
                          json={"name": "Light"})

    assert (await api.delete(f"{API}/vartype/illuminance/", headers=staff)).status == 204
    assert (await api.get(f"{API}/vartype/illuminance/", headers=staff)).status == 404
    await unchanged_after(appliance, api, staff, "DELETE", f"{API}/vartype/illuminance/", 404)


@pytest.mark.parametrize("body", [
    {"name": 5}, {"name": ""}, {"name": "X", "colour": "red"}, {"name": "X", "stream_data_type": "Z9"},
    {"name": "X", "available_input_units": [{"unit_full": "A", "d": 0}]},
    {"name": "X", "available_input_units": [{"unit_full": "A", "m": 1.5}]},
    {"name": "X", "available_input_units": [{"unit_full": "A"}, {"unit_full": "a"}]},
    {"name": "X", "available_output_units": [{"unit_full": "A", "decimal_places": True}]},
    {"name": "X", "slug": "y"}, {"name": "X", "decoder": {"raw_packet_format": 3}},
    {"name": "X", "available_input_units": "Lux"}, {"name": "Temp"},
])
async def test_bad_var_types_are_refused(api: Any, appliance: Appliance, staff: dict[str, str], body: Any) -> None:
    status = 409 if body == {"name": "Temp"} else 400
    await unchanged_after(appliance, api, staff, "POST", f"{API}/vartype/", status, json=body)


@pytest.mark.parametrize("data", [b"{\"name\": ", b"[1, 2]", b"\"text\"", b"\xff\xfe"])
async def test_malformed_bodies(api: Any, appliance: Appliance, staff: dict[str, str], data: bytes) -> None:
    headers = {**staff, "Content-Type": "application/json"}
    for path in (f"{API}/vartype/", f"{API}/catalogue/import/"):
        await unchanged_after(appliance, api, headers, "POST", path, 400, data=data)


async def test_in_use_is_conflict(api: Any, appliance: Appliance, staff: dict[str, str]) -> None:
    await unchanged_after(appliance, api, staff, "DELETE", f"{API}/vartype/temp/", 409)
    await unchanged_after(appliance, api, staff, "DELETE", f"{API}/component/btc1-4-0-0/", 409)
    # dropping a unit a sensor graph's variable template uses
    await unchanged_after(appliance, api, staff, "PATCH", f"{API}/vartype/temp/", 409,
                          json={"available_output_units": []})


async def test_device_template_and_slots(api: Any, appliance: Appliance, staff: dict[str, str]) -> None:
    body = {"external_sku": "Pump POD", "family": "POD-1G", "major_version": 1, "os_tag": 2048,
            "os_major_version": 2, "os_minor_version": 3, "released_on": "2024-05-01",
            "slots": [{"number": 0, "component": "btc1-4-0-0"}]}
    created = await api.post(f"{API}/dt/", json=body, headers=staff)
    assert created.status == 201, await created.text()
    assert (await created.json())["slug"] == "pump-pod-v1-0-0" and (await created.json())["os_version"] == "v2.3"
    for bad in ({**body, "slots": [{"number": 0, "component": "nope"}]}, {**body, "os_tag": 1 << 20},
                {**body, "released_on": "2024-13-01"}, {**body, "external_sku": "Other", "org": "nope"},
                {**body, "slots": [{"number": 1, "component": "btc1-4-0-0"}, {"number": 1, "component": "x"}]}):
        await unchanged_after(appliance, api, staff, "POST", f"{API}/dt/", 400, json=bad)

    slot = await api.post(f"{API}/dt/pump-pod-v1-0-0/slot/", json={"number": 1, "component": "tile-g1-2-0-0"},
                          headers=staff)
    assert slot.status == 201 and await slot.json() == {"number": 1, "component": "tile-g1-2-0-0"}
    again = await api.post(f"{API}/dt/pump-pod-v1-0-0/slot/", json={"number": 1, "component": "tile-e1-1-0-0"},
                           headers=staff)
    assert again.status == 200
    await unchanged_after(appliance, api, staff, "POST", f"{API}/dt/pump-pod-v1-0-0/slot/", 400,
                          json={"number": 2, "component": "nope"})

    renamed = await api.patch(f"{API}/dt/pump-pod-v1-0-0/", json={"minor_version": 1}, headers=staff)
    assert renamed.status == 200
    assert (await renamed.json())["slug"] == "pump-pod-v1-1-0"
    assert [s["component"] for s in (await renamed.json())["slots"]] == ["btc1-4-0-0", "tile-e1-1-0-0"]
    await unchanged_after(appliance, api, staff, "PATCH", f"{API}/dt/pump-pod-v1-1-0/", 409,
                          json={"external_sku": "Water Meter POD", "minor_version": 0})
    assert (await api.delete(f"{API}/dt/pump-pod-v1-1-0/", headers=staff)).status == 204


PUMP = {"name": "Pump", "major_version": 1, "report_processing_engine_ver": 2, "app_tag": 3000,
        "app_major_version": 1, "app_minor_version": 2,
        "variable_templates": [{"label": "Flow", "lid_hex": "5001", "var_type": "water-meter-flow",
                                "default_input_unit": "in--water-meter-flow--liters",
                                "default_output_unit": "out--water-meter-flow--liters-per-min"}]}


async def test_sensor_graph_create_and_bad_input(api: Any, appliance: Appliance, staff: dict[str, str]) -> None:
    created = await api.post(f"{API}/sg/", json=PUMP, headers=staff)
    assert created.status == 201, await created.text()
    body = await created.json()
    assert (body["slug"], body["app_version"]) == ("pump-v1-0-0", "v1.2")
    wrong_unit = {**PUMP, "name": "Pump2", "variable_templates": [
        {**PUMP["variable_templates"][0], "default_input_unit": "in--water-meter-volume--liters"}]}
    for bad in (wrong_unit, {**PUMP, "name": "Pump3", "report_processing_engine_ver": 3},
                {**PUMP, "name": "Pump4", "variable_templates": [{"lid_hex": "50011", "var_type": "temp"}]},
                {**PUMP, "name": "Pump5", "variable_templates": [{"lid_hex": "5001", "var_type": "tmp"}]}):
        await unchanged_after(appliance, api, staff, "POST", f"{API}/sg/", 400, json=bad)
    await unchanged_after(appliance, api, staff, "POST", f"{API}/sg/", 409, json=PUMP)
    assert (await api.delete(f"{API}/sg/pump-v1-0-0/", headers=staff)).status == 204


async def test_variable_templates(api: Any, appliance: Appliance, staff: dict[str, str]) -> None:
    await appliance.catalogue.create(SENSOR_GRAPHS, PUMP)
    variable = {"sg": "pump-v1-0-0", "label": "Pressure", "lid_hex": "5021", "var_type": "pressure",
                "ctype": "int", "default_input_unit": "in--pressure--pod1-m"}
    made = await api.post(f"{API}/vartemplate/", json=variable, headers=staff)
    assert made.status == 201, await made.text()
    made_body = await made.json()
    assert made_body["sg"] == "pump-v1-0-0" and made_body["lid_hex"] == "5021" and made_body["ctype"] == "int"
    await unchanged_after(appliance, api, staff, "POST", f"{API}/vartemplate/", 409, json=variable)
    await unchanged_after(appliance, api, staff, "POST", f"{API}/vartemplate/", 400, json={**variable, "sg": "x"})
    url = f"{API}/vartemplate/{made_body['id']}/"
    patched = await (await api.patch(url, json={"m": 10, "d": 100}, headers=staff)).json()
    assert (patched["m"], patched["d"], patched["label"]) == (10, 100, "Pressure")
    await unchanged_after(appliance, api, staff, "PATCH", url, 409, json={"lid_hex": "5001"})
    await unchanged_after(appliance, api, staff, "PATCH", f"{API}/vartemplate/999999/", 404, json={"m": 2})
    await unchanged_after(appliance, api, staff, "PATCH", f"{API}/vartemplate/abc/", 404, json={"m": 2})

    record = await appliance.catalogue.graph("pump-v1-0-0")
    assert [(v.lid_hex, v.raw_value_format) for v in record.variable_templates] == [("5001", "<L"), ("5021", "<l")]
    assert (await api.delete(url, headers=staff)).status == 204
    assert len((await appliance.catalogue.graph("pump-v1-0-0")).variable_templates) == 1


async def test_export_and_import_endpoints(api: Any, appliance: Appliance, staff: dict[str, str]) -> None:
    exported = await (await api.get(f"{API}/catalogue/export/", headers=staff)).json()
    assert exported == await appliance.catalogue.export_json()
    download = await api.get(f"{API}/catalogue/export/?download=1", headers=staff)
    assert "catalogue.json" in download.headers["Content-Disposition"]

    exported["var_types"].append({"name": "Illuminance"})
    graph = next(g for g in exported["sensor_graphs"] if g["slug"] == "water-meter-v1-1-0")
    graph["description"] = "edited"
    imported = await api.post(f"{API}/catalogue/import/", json=exported, headers=staff)
    assert imported.status == 200, await imported.text()
    counts = await imported.json()
    assert counts["created"]["var_types"] == 1 and counts["updated"]["sensor_graphs"] == 5
    assert (await appliance.catalogue.graph("water-meter-v1-1-0")).description == "edited"

    refused = await unchanged_after(appliance, api, staff, "POST", f"{API}/catalogue/import/?existing=refuse", 409,
                                    json={"var_types": [{"name": "Illuminance"}]})
    assert "illuminance" in refused["error"]
    await unchanged_after(appliance, api, staff, "POST", f"{API}/catalogue/import/?existing=merge", 400,
                          json={"var_types": []})
    skipped = await (await api.post(f"{API}/catalogue/import/?existing=skip", json=exported, headers=staff)).json()
    assert skipped["skipped"]["var_types"] == 22 and sum(skipped["updated"].values()) == 0
    bad = await unchanged_after(appliance, api, staff, "POST", f"{API}/catalogue/import/", 400,
                                json={"var_types": [{"name": "New"}], "sensor_graphs": [
                                    {"name": "G", "variable_templates": [{"lid_hex": "5001", "var_type": "nope"}]}]})
    assert bad["detail"]["errors"] == ["sensor_graphs[0].variable_templates[0].var_type: unknown var type 'nope'"]
