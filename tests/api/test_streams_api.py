"""Variables and streams: fields, filters, create/edit/delete, units, m/d/o, raw value formats."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, StreamSlug, VariableSlug
from storage.metadata import DataBlock
from tests.api.registry_support import (
    CELSIUS_IN,
    CLAIMED,
    GALLONS,
    INACTIVE,
    LITERS,
    WATER,
    Registry,
    build_registry,
    db_write,
    snapshot,
)

V = VariableSlug(1, 0x5001).slug
S = StreamSlug(1, CLAIMED, 0x5001).slug
VARIABLE_FIELDS = {"id", "name", "lid", "var_type", "input_unit", "output_unit", "derived_variable", "project", "org",
                   "about", "created_on", "raw_value_format", "units", "multiplication_factor", "division_factor",
                   "offset", "decimal_places", "mdo_label", "web_only", "app_only", "slug"}
STREAM_FIELDS = {"id", "project_id", "project", "device", "block", "data_label", "variable", "var_type", "data_type",
                 "var_name", "var_lid", "input_unit", "output_unit", "derived_stream", "raw_value_format", "mdo_type",
                 "mdo_label", "multiplication_factor", "division_factor", "offset", "org", "created_on", "slug",
                 "enabled"}


async def _slugs(reg: Registry, path: str, who: str = "a0") -> list[str]:
    status, body = await reg.call("GET", path, who)
    assert status == 200, body
    return [item["slug"] for item in body["results"]]


async def test_variable_and_stream_fields(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, var = await reg.call("GET", f"/variable/{V}/", "r1")
    assert status == 200 and set(var) == VARIABLE_FIELDS
    assert (var["slug"], var["lid"], var["name"], var["var_type"], var["project"], var["org"]) == (
        V, 0x5001, "Water Volume", WATER, reg.project.uuid, "acme-corp")
    assert var["input_unit"] == {"slug": GALLONS, "unit_full": "Gallons", "unit_short": "g", "m": 3785, "d": 1000,
                                 "o": 0.0}
    status, stream = await reg.call("GET", f"/stream/{S}/", "m1")
    assert status == 200 and set(stream) == STREAM_FIELDS
    assert stream | {"id": None, "created_on": None} == {
        "id": None, "project_id": reg.project.uuid, "project": "p--0000-0001", "device": DeviceSlug(CLAIMED).slug,
        "block": None, "data_label": "", "variable": V, "var_type": WATER, "data_type": "D0",
        "var_name": "Water Volume", "var_lid": 0x5001, "input_unit": var["input_unit"], "output_unit": None,
        "derived_stream": None, "raw_value_format": "<L", "mdo_type": "S", "mdo_label": "",
        "multiplication_factor": 1, "division_factor": 1, "offset": 0.0, "org": "acme-corp", "created_on": None,
        "slug": S, "enabled": True}
    for padded in ("v--0001--5001", "v--1--5001"):
        assert (await reg.call("GET", f"/variable/{padded}/", "r1"))[1]["slug"] == V
    assert (await reg.call("GET", "/stream/s--0001--0010--5001/", "m1"))[1]["slug"] == S
    for junk in ("v--xyz--1", "v--0000-0001", "s--1--2", "5001", "v--0000-0002--5001"):
        assert (await reg.call("GET", f"/variable/{junk}/", "a0"))[0] == 404, junk
        assert (await reg.call("GET", f"/stream/{junk}/", "a0"))[0] == 404, junk


async def test_list_filters(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await reg.device(INACTIVE, project=reg.project.uuid, active=False)
    lids = ["5001", "5002", "5a07"]
    live = [f"s--0000-0001--0000-0000-0000-0010--{lid}" for lid in lids]
    dead = [f"s--0000-0001--0000-0000-0000-0012--{lid}" for lid in lids]
    assert await _slugs(reg, "/variable/") == [f"v--0000-0001--{lid}" for lid in lids]
    assert await _slugs(reg, f"/variable/?project={reg.project.uuid}") == await _slugs(reg, "/variable/?project=p--1")
    assert await _slugs(reg, "/variable/?project=junk") == []
    assert await _slugs(reg, "/variable/?org=acme-corp&search=Temp") == ["v--0000-0001--5002"]
    assert (await reg.call("GET", "/variable/?org=no-such-org", "a0"))[0] == 404
    assert await _slugs(reg, "/stream/") == live
    assert await _slugs(reg, "/stream/?all=1") == live + dead
    assert await _slugs(reg, "/stream/?device=d--0012") == dead
    assert await _slugs(reg, f"/stream/?project={reg.project.uuid}&all=1") == live + dead
    assert await _slugs(reg, f"/stream/?variable={V}&all=1") == [live[0], dead[0]]
    assert await _slugs(reg, "/stream/?org__slug=acme-corp") == live
    assert await _slugs(reg, "/stream/?archived=1") == []
    assert await _slugs(reg, "/stream/?virtual=1") == []
    assert (await reg.call("GET", "/stream/?device=p--0001", "a0"))[0] == 403  # the server's "Illegal Device ID"
    assert (await reg.call("GET", "/stream/?block=b--0001-0000-0000-0010", "a0"))[0] == 404
    assert (await reg.call("GET", "/stream/?variable=v--0000-0002--5001", "a0"))[0] == 404  # another org's
    assert (await reg.call("PATCH", f"/stream/{S}/", "a0", {"enabled": False}))[0] == 200
    assert await _slugs(reg, "/stream/?enabled=false") == [live[0]]
    assert await _slugs(reg, "/stream/?enabled=true") == live[1:]


async def test_archived_streams_are_listed_by_block(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)

    def archive(session: Session) -> None:
        from storage.metadata import StreamId

        block = DataBlock(org_id=reg.world.org.id, title="trip 1", device_id=CLAIMED, block=1)
        session.add(block)
        session.flush()
        session.add(StreamId(project_gid=0, device_gid=(1 << 48) | CLAIMED, var_lid=0x5001, org_id=reg.world.org.id,
                             device_id=CLAIMED, block_id=block.id))

    await db_write(appliance, archive)
    archived = "s--0000-0000--0001-0000-0000-0010--5001"
    assert await _slugs(reg, "/stream/?block=b--0001-0000-0000-0010") == [archived]
    assert await _slugs(reg, "/stream/?archived=1") == [archived]
    assert await _slugs(reg, "/stream/?device=b--0001-0000-0000-0010") == [archived]
    assert await _slugs(reg, "/stream/?device=d--0001-0000-0000-0010") == [archived]
    status, stream = await reg.call("GET", f"/stream/{archived}/", "a0")
    assert stream["block"] == "b--0001-0000-0000-0010" and stream["project"] == "p--0000-0000"


async def test_variable_create_and_edit(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, var = await reg.call("POST", "/variable/", "d1", {
        "name": "Flow", "lid": "5010", "project": reg.project.slug, "var_type": WATER, "input_unit": GALLONS,
        "output_unit": LITERS, "multiplication_factor": 2, "division_factor": 3, "offset": 1.5, "units": "l/s",
        "raw_value_format": "<l", "decimal_places": 3, "mdo_label": "ignored", "app_only": True})
    assert status == 201 and var["slug"] == "v--0000-0001--5010" and var["lid"] == 0x5010
    assert (var["multiplication_factor"], var["division_factor"], var["offset"], var["raw_value_format"]) == (
        2, 3, 1.5, "<l")
    assert var["output_unit"]["decimal_places"] == 1 and var["app_only"] is True and var["mdo_label"] == ""
    status, var = await reg.call("PATCH", f"/variable/{var['slug']}/", "m1", {"raw_value_format": "<f",
                                                                             "output_unit": None, "name": "Rate"})
    assert status == 200 and (var["raw_value_format"], var["output_unit"], var["name"]) == ("<f", None, "Rate")
    status, same = await reg.call("PUT", f"/variable/{var['slug']}/", "m1", var)  # a GET body sent back
    assert status == 200 and same == var


async def test_variable_bad_input_changes_nothing(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    base = {"name": "Flow", "lid": 0x5010, "project": reg.project.uuid}
    creates = [({**base, "lid": 0x5001}, 409), ({**base, "lid": "xyz"}, 400), ({**base, "lid": 0x10000}, 400),
               ({**base, "name": ""}, 400), ({**base, "name": ["Flow"]}, 400),
               ({**base, "raw_value_format": "<Q"}, 400),
               ({**base, "raw_value_format": "L"}, 400), ({**base, "raw_value_format": "<LL"}, 400),
               ({**base, "division_factor": 0}, 400), ({**base, "multiplication_factor": 1.5}, 400),
               ({**base, "var_type": "nope"}, 400), ({**base, "input_unit": "nope"}, 400),
               ({**base, "var_type": WATER, "input_unit": CELSIUS_IN}, 400), ({**base, "colour": 1}, 400),
               ({**base, "project": reg.other_project.uuid}, 404), ({**base, "project": "junk"}, 400),
               ({"name": "Flow", "lid": 1}, 400)]
    for body, want in creates:
        before = await snapshot(appliance)
        assert (await reg.call("POST", "/variable/", "d1", body))[0] == want, body
        assert await snapshot(appliance) == before
    for body in ({"lid": 0x5002}, {"project": reg.other_project.uuid}, {"decimal_places": -1},
                 {"input_unit": CELSIUS_IN}, {"raw_value_format": "auto2"}, {"units": 5}):
        before = await snapshot(appliance)
        assert (await reg.call("PATCH", f"/variable/{V}/", "staff", body))[0] == 400, body
        assert await snapshot(appliance) == before
    for fmt in ("<L", "<l", "<f", "<H", "<h", ">i", "!B", "auto"):
        assert (await reg.call("PATCH", f"/variable/{V}/", "a0", {"raw_value_format": fmt}))[0] == 200, fmt


async def test_stream_create_edit_and_delete(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    staff = await reg.access("staff")
    var = await appliance.stream_ids.create_variable(staff, {"name": "Derived", "lid": 0x6000,
                                                             "project": reg.project.uuid, "var_type": WATER})
    status, virtual = await reg.call("POST", "/stream/", "d1", {"variable": var.slug, "data_label": "Total"})
    assert status == 201 and virtual["slug"] == "s--0000-0001--0000-0000-0000-0000--6000"
    assert virtual["device"] is None and virtual["data_label"] == "Total"
    status, on_device = await reg.call("POST", "/stream/", "d1", {"variable": var.slug, "device": "d--0010",
                                                                  "data_type": "E0"})
    assert status == 201 and on_device["slug"] == "s--0000-0001--0000-0000-0000-0010--6000"
    assert on_device["data_type"] == "E0"
    status, edited = await reg.call("PATCH", f"/stream/{S}/", "m1", {
        "enabled": False, "mdo_type": "V", "multiplication_factor": 10, "division_factor": 4, "offset": -2,
        "data_label": "Main meter", "input_unit": None, "output_unit": LITERS, "raw_value_format": "<l"})
    assert status == 200 and edited["enabled"] is False and edited["mdo_type"] == "V"
    assert (edited["multiplication_factor"], edited["division_factor"], edited["offset"]) == (10, 4, -2.0)
    assert edited["input_unit"] is None and edited["output_unit"]["slug"] == LITERS
    status, edited = await reg.call("PATCH", f"/stream/{S}/", "m1", {"enabled": True, "multiplication_factor": None})
    assert edited["enabled"] is True and edited["multiplication_factor"] is None
    assert (await reg.call("DELETE", f"/stream/{on_device['slug']}/", "a0"))[0] == 400
    assert (await reg.call("DELETE", f"/stream/{on_device['slug']}/", "staff"))[0] == 204
    assert (await reg.call("GET", f"/stream/{on_device['slug']}/", "staff"))[0] == 404
    assert (await reg.call("DELETE", f"/variable/{var.slug}/", "staff"))[0] == 204
    assert (await reg.call("GET", f"/stream/{virtual['slug']}/", "staff"))[1]["variable"] == var.slug


async def test_stream_bad_input_changes_nothing(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    other_var = VariableSlug(2, 0x5001).slug
    creates = [({"variable": V, "device": "d--0010"}, 409), ({"variable": V}, 201),
               ({"variable": V, "device": "d--0011"}, 404),  # not in the variable's project
               ({"variable": V, "device": "d--0999"}, 404), ({"variable": other_var}, 404),
               ({"variable": "v--junk"}, 404), ({"device": "d--0010"}, 400), ({"variable": V, "colour": 1}, 400),
               ({"variable": V, "data_type": "ZZ"}, 400), ({"variable": 5001}, 400)]
    for body, want in creates:
        before = await snapshot(appliance)
        status, _ = await reg.call("POST", "/stream/", "d1", body)
        assert status == want, (body, status)
        if status != 201:
            assert await snapshot(appliance) == before
    for body in ({"division_factor": 0}, {"mdo_type": "X"}, {"enabled": "sometimes"}, {"input_unit": CELSIUS_IN},
                 {"output_unit": "nope"}, {"raw_value_format": "<d"}, {"data_label": "x" * 101}, {"colour": 1},
                 {"offset": "a lot"}):
        before = await snapshot(appliance)
        assert (await reg.call("PATCH", f"/stream/{S}/", "staff", body))[0] == 400, body
        assert await snapshot(appliance) == before
