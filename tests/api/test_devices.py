"""Device registration, listing with the server's filters, reading, editing, status and health."""

from __future__ import annotations

from typing import Any

from appliance.app import Appliance
from appliance.slugs import DeviceSlug
from tests.api.registry_support import (
    CLAIMED,
    INACTIVE,
    SG,
    SPARE,
    TEMPLATE,
    Registry,
    build_registry,
    snapshot,
)

DEVICE_FIELDS = {"id", "slug", "gid", "label", "active", "external_id", "sg", "template", "org", "project", "lat",
                 "lon", "state", "busy", "created_on", "claimed_by", "claimed_on"}
D = DeviceSlug(CLAIMED).slug


async def _slugs(reg: Registry, query: str, who: str = "a0") -> list[str]:
    status, body = await reg.call("GET", f"/device/{query}", who)
    assert status == 200, body
    return [d["slug"][-4:] for d in body["results"]]


async def test_device_fields_are_the_servers(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, device = await reg.call("GET", f"/device/{D}/", "m1")
    assert status == 200 and set(device) == DEVICE_FIELDS
    assert device | {"created_on": None, "claimed_on": None} == {
        "id": 16, "slug": D, "gid": "0000-0000-0000-0010", "label": "Meter 16", "active": True, "external_id": "",
        "sg": SG, "template": TEMPLATE, "org": "acme-corp", "project": reg.project.uuid, "lat": None, "lon": None,
        "state": "N1", "busy": False, "created_on": None, "claimed_by": "acme-a0", "claimed_on": None}
    assert device["created_on"].endswith("Z") and device["claimed_on"].endswith("Z")


async def test_list_filters(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await reg.device(INACTIVE, org="acme-corp", active=False, external_id="ext-12")
    await reg.device(0x13, org="acme-corp", external_id="ext-13")
    assert await _slugs(reg, "") == ["0010", "0013"]
    assert await _slugs(reg, "?all=1") == ["0010", "0012", "0013"]
    assert await _slugs(reg, f"?project={reg.project.uuid}") == ["0010"]
    assert await _slugs(reg, "?project=p--0001") == ["0010"]
    assert await _slugs(reg, "?project=junk") == []
    assert await _slugs(reg, f"?project={reg.other_project.uuid}") == []
    assert await _slugs(reg, "?claimed=true") == ["0010"]
    assert await _slugs(reg, "?claimed=false&all=1") == ["0012", "0013"]
    assert await _slugs(reg, "?external_id=ext-13") == ["0013"]
    assert await _slugs(reg, "?org__slug=acme-corp&all=1") == ["0010", "0012", "0013"]
    assert await _slugs(reg, "?org__slug=other-org") == []
    assert await _slugs(reg, f"?sg={SG}") == ["0010", "0013"]
    assert await _slugs(reg, f"?dt={TEMPLATE}&project=p--0001") == ["0010"]
    assert (await reg.call("GET", "/device/?sg=no-such-sg", "a0"))[0] == 404
    assert (await reg.call("GET", "/device/?dt=no-such-dt", "a0"))[0] == 404


async def test_list_pages_of_1000_up_to_10000(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    staff = await reg.access("staff")
    await appliance.devices.create(staff, [{"id": n, "org": "acme-corp"} for n in range(0x100, 0x100 + 1500)])
    status, body = await reg.call("GET", "/device/", "a0")
    assert status == 200 and body["count"] == 1501 and len(body["results"]) == 1000
    assert body["next"].endswith("page=2") and body["previous"] is None
    second = (await reg.call("GET", "/device/?page=2", "a0"))[1]
    assert len(second["results"]) == 501 and second["next"] is None
    assert len((await reg.call("GET", "/device/?page_size=20000", "a0"))[1]["results"]) == 1501
    assert len((await reg.call("GET", "/device/?page_size=7", "a0"))[1]["results"]) == 7
    assert (await reg.call("GET", "/device/?page=9", "a0"))[0] == 404


async def test_lookups_accept_padded_and_block_slugs(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    for slug in ("d--0010", "d--0000-0010", "d--0000-0000-0010", D, "b--0001-0000-0000-0010",
                 "d--0002-0000-0000-0010"):
        status, body = await reg.call("GET", f"/device/{slug}/", "a0")
        assert status == 200 and body["slug"] == D, slug
    for slug in ("d--xyz", "0010", "16", "d--0000-0000-0000-0000-0010", "p--0001", "D--0010", "b--0010"):
        assert (await reg.call("GET", f"/device/{slug}/", "a0"))[0] == 404, slug
    assert (await reg.call("GET", f"/device/{DeviceSlug(SPARE).slug}/", "a0"))[0] == 404  # unassigned: staff only
    assert (await reg.call("GET", f"/device/{DeviceSlug(SPARE).slug}/", "staff"))[0] == 200


async def test_create_one_a_list_a_range_and_a_csv(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, one = await reg.call("POST", "/device/", "a1", {"org": "acme-corp", "sg": SG, "label": "auto id",
                                                            "lat": "45.123456789", "lon": -122.5})
    assert status == 201 and one["id"] == 0x21 and one["org"] == "acme-corp" and one["project"] is None
    assert (one["lat"], one["lon"]) == ("45.123457", "-122.500000")
    status, many = await reg.call("POST", "/device/", "staff", [{"id": 0x40}, {"id": "d--0041"}, {"id": "0x42"}])
    assert status == 201 and [d["slug"][-4:] for d in many["results"]] == ["0040", "0041", "0042"]
    assert many["results"][0]["org"] is None
    status, ranged = await reg.call("POST", "/device/range/", "d1", {"first": 0x50, "count": 3, "org": "acme-corp",
                                                                     "template": TEMPLATE, "label": "Unit {id}"})
    assert status == 201 and ranged["count"] == 3
    assert [d["label"] for d in ranged["results"]] == ["Unit 0050", "Unit 0051", "Unit 0052"]
    csv_text = "id,label,external_id,sg\n96,first,e1,water-meter-v1-1-0\n0x61,second,,\n"
    status, body = await reg.call("POST", "/device/csv/", "staff", data=csv_text)
    assert status == 201 and [(d["id"], d["label"], d["external_id"], d["sg"]) for d in body["results"]] == [
        (96, "first", "e1", SG), (97, "second", "", None)]
    status, claimed = await reg.call("POST", "/device/", "a0", {"id": 0x70, "project": reg.project.uuid, "sg": SG})
    assert status == 201 and claimed["project"] == reg.project.uuid and claimed["claimed_by"] == "acme-a0"
    streams = (await reg.call("GET", "/stream/?device=d--0070", "a0"))[1]
    assert streams["count"] == 3


def _bad_registrations(reg: Registry) -> list[tuple[str, str, Any, int]]:
    return [
        ("/device/", "staff", {"id": CLAIMED}, 409),
        ("/device/", "staff", [{"id": 0x80}, {"id": 0x80}], 409),
        ("/device/", "staff", [{"id": 0x80}, {"id": CLAIMED}], 409),
        ("/device/", "staff", [{"id": 0x80}, {"id": "nope"}], 400),
        ("/device/", "staff", {"id": 0x80, "sg": "no-such-sg"}, 400),
        ("/device/", "staff", {"id": 0x80, "template": "no-such-template"}, 400),
        ("/device/", "staff", {"id": 0x80, "colour": "red"}, 400),
        ("/device/", "staff", {"id": 0x80, "label": 5}, 400),
        ("/device/", "staff", {"id": 0x80, "lat": 91}, 400),
        ("/device/", "staff", {"id": 1 << 48}, 400),
        ("/device/", "staff", {"id": "b--0001-0000-0000-0080"}, 400),
        ("/device/", "staff", {"id": True}, 400),
        ("/device/", "staff", "just text", 400),
        ("/device/", "staff", [], 400),
        ("/device/", "staff", {"id": 0x80, "org": "no-such-org"}, 404),
        ("/device/", "a0", {"id": 0x80}, 403),  # no org: staff only
        ("/device/", "a0", {"id": 0x80, "org": "other-org"}, 404),
        ("/device/", "a0", {"id": 0x80, "project": reg.other_project.uuid}, 404),
        ("/device/", "staff", {"id": 0x80, "org": "acme-corp", "project": reg.other_project.uuid}, 400),
        ("/device/range/", "staff", {"first": 0x80, "count": 10001}, 400),
        ("/device/range/", "staff", {"first": 0x80, "last": 0x7F}, 400),
        ("/device/range/", "staff", {"first": 0x80}, 400),
        ("/device/range/", "staff", {"first": 0x80, "last": 0x90, "count": 3}, 400),
        ("/device/range/", "staff", {"first": 0x08, "last": 0x12}, 409),
    ]


async def test_bad_registrations_store_nothing(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    cases = _bad_registrations(reg)
    for path, who, body, want in cases:
        before = await snapshot(appliance)
        status, _ = await reg.call("POST", path, who, body)
        assert status == want, (path, who, body, status)
        assert await snapshot(appliance) == before, (path, body)
    for csv_text, want in (("id,label\n128,ok\nxyz,bad\n", 400), ("id,colour\n128,red\n", 400),
                           ("id\n128\n16\n", 409), ("", 400), ("id,label\n128,a,extra\n", 400)):
        before = await snapshot(appliance)
        assert (await reg.call("POST", "/device/csv/", "staff", data=csv_text))[0] == want, csv_text
        assert await snapshot(appliance) == before
    resp = await api.post("/api/v1/device/", data=b"{not json", headers=reg.headers("staff"))
    assert resp.status == 400 and "error" in await resp.json()


async def test_patch(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, device = await reg.call("PATCH", f"/device/{D}/", "m1", {"label": "Kitchen", "lat": 1.5, "lon": 2})
    assert status == 200 and (device["label"], device["lat"], device["lon"]) == ("Kitchen", "1.500000", "2.000000")
    status, device = await reg.call("PATCH", f"/device/{D}/", "m1", {"state": "N0"})
    assert (device["state"], device["active"]) == ("N0", False)
    assert await _slugs(reg, "") == []  # inactive devices leave the default list
    status, device = await reg.call("PATCH", f"/device/{D}/", "a0", {"state": "N1", "sg": None, "template": None})
    assert (device["active"], device["sg"], device["template"]) == (True, None, None)
    status, device = await reg.call("PATCH", f"/device/{D}/", "a0", {"sg": SG, "external_id": "x-1"})
    assert (device["sg"], device["external_id"]) == (SG, "x-1")
    # a GET body sent back is accepted: server-written fields are ignored
    status, again = await reg.call("PUT", f"/device/{D}/", "a0", device)
    assert status == 200 and again == device
    for body in ({"label": 7}, {"state": "B0"}, {"state": "X"}, {"lat": "north"}, {"sg": "no-such-sg"},
                 {"project": reg.other_project.uuid}, {"project": None}, {"colour": "red"}, {"active": "maybe"},
                 {"external_id": "x" * 25}, {"label": "x" * 101}):
        before = await snapshot(appliance)
        assert (await reg.call("PATCH", f"/device/{D}/", "a0", body))[0] == 400, body
        assert await snapshot(appliance) == before
    assert (await reg.call("PATCH", f"/device/{D}/", "a0", {"project": reg.project.uuid}))[0] == 200


async def test_status_and_health(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("GET", f"/device/{D}/status/", "r1")
    assert status == 200 and body == {"alert": "DSBL", "last_report_ts": None, "last_known_id": 0,
                                      "last_known_state": "UNK", "health_check_enabled": False,
                                      "health_check_period": 7200, "notification_recipients": []}
    recipients = ["email:ops@example.com", "user:acme-a0", "org:admin", "org:all", "staff:all"]
    status, body = await reg.call("PATCH", f"/device/{D}/health/", "m1", {
        "health_check_enabled": True, "health_check_period": 3600, "notification_recipients": recipients})
    assert status == 200 and body == {"health_check_enabled": True, "health_check_period": 3600,
                                      "notification_recipients": recipients}
    status, body = await reg.call("GET", f"/device/{D}/health/", "r1")
    assert body["alert"] == "UNK" and body["health_check_period"] == 3600
    for bad in ({"health_check_period": 0}, {"health_check_period": "hourly"}, {"health_check_enabled": "yes please"},
                {"notification_recipients": "ops@example.com"}, {"notification_recipients": ["ops@example.com"]},
                {"notification_recipients": ["org:everyone"]}, {"notification_recipients": [5]},
                {"alarm": True}):
        before = await snapshot(appliance)
        assert (await reg.call("PATCH", f"/device/{D}/health/", "a0", bad))[0] == 400, bad
        assert await snapshot(appliance) == before


async def test_delete_is_staff_only(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    status, body = await reg.call("DELETE", f"/device/{D}/", "a0")
    assert status == 403 and body["error"] == "Restricted Access. Contact Arch"
    assert (await reg.call("DELETE", f"/device/{D}/", "staff"))[0] == 204
    assert (await reg.call("GET", f"/device/{D}/", "staff"))[0] == 404
    assert (await reg.call("GET", "/stream/?device=" + D, "a0"))[1]["count"] == 0
