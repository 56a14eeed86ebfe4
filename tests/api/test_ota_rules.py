"""What the OTA API decides: which requests apply to a device, filters, one action per device, progress,
and how an upload's 5c08/5c09 readings confirm a deployment (through the real upload endpoint)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import aiohttp
import pytest
from iotile.core.hw.reports import IOTileReading, SignedListReport
from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.services.ota_criteria import KnownVersion, all_hold
from appliance.slugs import DeviceSlug
from storage.metadata import Device, DeviceTemplate, SensorGraph
from tests.api.registry_support import API, CLAIMED, db_read, db_write
from tests.api.test_ota_support import (
    APP_TAG,
    CLAIMED_SLUG,
    OtaWorld,
    blob_files,
    build_ota,
    new_fleet,
    new_request,
    new_script,
)


@pytest.fixture
async def ota(api: Any, appliance: Appliance) -> OtaWorld:
    return await build_ota(appliance, api)


async def applicable(ota: OtaWorld, who: str = "m1") -> list[int]:
    status, info = await ota.reg.call("GET", f"/ota/device/{CLAIMED_SLUG}/", who)
    assert status == 200
    return [d["id"] for d in info["deployments"]]


def test_criteria_compare_known_versions_and_let_unknown_pass() -> None:
    app = {"sg": KnownVersion(2049, 1, 2)}
    assert all_hold(["app_tag:eq:2049", "app_version:gte:1.2", "app_version:lt:1.3.0"], app)
    assert not all_hold(["app_version:gt:1.2"], app)
    assert not all_hold(["app_tag:eq:2050"], app)
    assert all_hold(["os_tag:eq:1024", "os_version:lt:0.1", "controller_hw_tag:eq:7"], app)  # not known
    assert all_hold(["app_version:lteq:1.2", "app_version:gteq:1.2", "app_version:eq:1.2.9"], app)
    assert all_hold([], {})


async def test_which_requests_apply_to_a_device(ota: OtaWorld) -> None:
    assert await applicable(ota) == [ota.request]  # the device is on the fleet, app tag 2049 v1.0
    other_fleet = await new_fleet(ota.reg)
    whole_org = await new_request(ota.reg, ota.script, criteria=("app_version:lt:2.0",))
    await new_request(ota.reg, ota.script, fleet=ota.fleet, criteria=("app_tag:eq:2050",))
    await new_request(ota.reg, ota.script, fleet=ota.fleet, criteria=("app_version:gte:1.1",))
    unknown_os = await new_request(ota.reg, ota.script, fleet=ota.fleet, criteria=("os_tag:eq:5",))
    await new_request(ota.reg, ota.script, fleet=other_fleet)
    await new_request(ota.reg, ota.script, fleet=ota.fleet, released=False)
    done = await new_request(ota.reg, ota.script, fleet=ota.fleet)
    finished = await ota.reg.call("PATCH", f"/ota/request/{done}/", "d1", {"completed_on": "2026-01-01T00:00:00Z"})
    assert finished[0] == 200
    assert sorted(await applicable(ota)) == sorted([ota.request, whole_org, unknown_os])
    _, info = await ota.reg.call("GET", f"/ota/device/{CLAIMED_SLUG}/", "r1")
    assert info["slug"] == CLAIMED_SLUG and info["sg"] and info["template"]
    assert info["versions"] == [{"type": "app", "tag": APP_TAG, "version": "v1.0", "streamer_local_id": None,
                                 "updated_ts": info["versions"][0]["updated_ts"]}]
    assert [a["id"] for a in info["actions"]] == [ota.action]


async def test_request_lists_filters_and_progress(ota: OtaWorld) -> None:
    draft = await new_request(ota.reg, ota.script, fleet=ota.fleet, released=False)
    listed = [r["id"] for r in (await ota.reg.call("GET", "/ota/request/", "m1"))[1]["results"]]
    assert sorted(listed) == sorted([ota.request, draft])
    for query in (f"fleet={ota.fleet}", f"org={ota.org}", f"scope={ota.fleet}", f"scope={ota.org}"):
        assert [r["id"] for r in (await ota.reg.call("GET", f"/ota/request/?{query}", "m1"))[1]["results"]] == \
            [ota.request], query
    assert (await ota.reg.call("GET", "/ota/request/?scope=global", "m1"))[1]["count"] == 0
    assert (await ota.reg.call("GET", f"/ota/request/?fleet={ota.fleet}", "outsider"))[0] == 404
    _, detail = await ota.reg.call("GET", f"/ota/request/{ota.request}/", "m1")
    assert detail["progress"] == {"targeted": 1, "attempted": 1, "successful": 0, "confirmed": 0}
    assert (detail["script"], detail["fleet"], detail["org"]) == (ota.script, ota.fleet, ota.org)
    _, devices = await ota.reg.call("GET", f"/ota/request/{ota.request}/devices/", "m1")
    reached = [(d["slug"], [v["version"] for v in d["versions"]]) for d in devices["results"]]
    assert reached == [(CLAIMED_SLUG, ["v1.0"])]
    mismatch = await new_request(ota.reg, ota.script, fleet=ota.fleet, criteria=("app_tag:eq:1",))
    assert (await ota.reg.call("GET", f"/ota/request/{mismatch}/devices/", "m1"))[1]["count"] == 0


async def test_one_action_per_device_and_request(ota: OtaWorld) -> None:
    body = {"deployment": ota.request, "device": CLAIMED_SLUG, "attempt_successful": True,
            "last_attempt_on": "2026-01-09T11:00:00Z", "log": "second try"}
    status, action = await ota.reg.call("POST", "/ota/action/", "r1", body)
    assert status == 201 and action["id"] == ota.action
    assert (action["attempt_successful"], action["device_confirmation"], action["log"]) == (True, False, "second try")
    assert action["last_attempt_on"] == "2026-01-09T11:00:00Z" and action["deployment"] == ota.request
    _, page = await ota.reg.call("GET", f"/ota/action/?request={ota.request}", "m1")
    assert page["count"] == 1
    _, page = await ota.reg.call("GET", f"/ota/action/?device={CLAIMED_SLUG}", "m1")
    assert [a["id"] for a in page["results"]] == [ota.action]
    status, action = await ota.reg.call("POST", "/ota/action/", "r1", {**body, "log": "third"})
    assert action["log"] == "second try\nthird"


async def test_versions_history_and_latest(ota: OtaWorld) -> None:
    staff = await ota.reg.access("staff")
    await ota.reg.appliance.ota.versions.create(staff, {
        "device": CLAIMED_SLUG, "type": "app", "tag": APP_TAG, "major_version": 2,
        "updated_ts": datetime.now(timezone.utc).isoformat()}, staff_mode=True)
    _, page = await ota.reg.call("GET", f"/ota/version/?device={CLAIMED_SLUG}", "m1")
    assert [v["version"] for v in page["results"]] == ["v1.0", "v2.0"]
    _, page = await ota.reg.call("GET", f"/ota/version/?device={CLAIMED_SLUG}&latest=1&type=app", "m1")
    assert [v["version"] for v in page["results"]] == ["v2.0"] and page["results"][0]["device"] == CLAIMED_SLUG
    assert (await ota.reg.call("POST", "/ota/version/", "staff", {"device": CLAIMED_SLUG, "type": "os", "tag": 1}))[0] \
        == 403  # staff need ?staff=1, as on the server


async def test_deleting_a_script_removes_its_file_and_requests(ota: OtaWorld) -> None:
    assert blob_files(ota.reg.appliance)
    assert (await ota.reg.call("DELETE", f"/ota/script/{ota.script}/", "d1"))[0] == 204
    assert blob_files(ota.reg.appliance) == []
    assert (await ota.reg.call("GET", f"/ota/request/{ota.request}/", "d1"))[0] == 404
    assert (await ota.reg.call("GET", f"/ota/action/{ota.action}/", "d1"))[0] == 404


def report(first_id: int, *readings: tuple[int, int], uptime: int = 100) -> bytes:
    items = [IOTileReading(uptime - 5 + i, stream, value, reading_id=first_id + i)
             for i, (stream, value) in enumerate(readings)]
    return bytes(SignedListReport.FromReadings(CLAIMED, items, report_id=first_id + len(items), selector=0x5FFF,
                                               streamer=1, sent_timestamp=uptime).encode())


async def upload(ota: OtaWorld, body: bytes, received: str) -> None:
    data = aiohttp.FormData()
    data.add_field("file", body, filename="report.bin")
    resp = await ota.reg.api.post(f"{API}/streamer/report/?timestamp={received}", data=data,
                                  headers=ota.reg.headers("r1"))
    assert resp.status == 201, await resp.text()


def app(tag: int, major: int, minor: int) -> tuple[int, int]:
    return 0x5C09, tag | (minor << 20) | (major << 26)


def _catalogue(session: Session) -> None:
    session.add(SensorGraph(name="App 3", slug="app-3-0", app_tag=77, app_major_version=3, app_minor_version=0,
                            major_version=3, report_processing_engine_ver=2))
    session.add(DeviceTemplate(external_sku="OS 9", slug="os-9", os_tag=9, os_major_version=1, os_minor_version=1))


async def test_an_update_without_a_reported_attempt_confirms_itself(ota: OtaWorld) -> None:
    """The first reading of a version confirms nothing; a later change confirms the request whose
    criteria the old version met (not the fleet's older request for app tag 2049)."""
    assert (await ota.reg.call("DELETE", f"/ota/version/{ota.version}/?staff=1", "staff"))[0] == 204
    request = await new_request(ota.reg, await new_script(ota.reg), criteria=("app_tag:eq:77", "app_version:lt:3.0"))
    await upload(ota, report(1, app(77, 2, 0)), "2026-01-01T00:00:00Z")
    assert (await ota.reg.call("GET", f"/ota/request/{request}/", "d1"))[1]["progress"]["confirmed"] == 0
    assert request in await applicable(ota)
    await db_write(ota.reg.appliance, _catalogue)
    await upload(ota, report(2, app(77, 3, 0), (0x5C08, 9 | (1 << 20) | (1 << 26))), "2026-01-01T01:00:00Z")
    _, detail = await ota.reg.call("GET", f"/ota/request/{request}/", "d1")
    assert detail["progress"] == {"targeted": 1, "attempted": 1, "successful": 1, "confirmed": 1}
    assert (await ota.reg.call("GET", f"/ota/request/{ota.request}/", "d1"))[1]["progress"]["confirmed"] == 0
    assert request not in await applicable(ota)
    device = await db_read(ota.reg.appliance, lambda s: s.scalar(select(Device).where(Device.id == CLAIMED)))
    sg, template = await db_read(ota.reg.appliance, lambda s: (s.get(SensorGraph, device.sg_id).slug,
                                                               s.get(DeviceTemplate, device.template_id).slug))
    assert (sg, template) == ("app-3-0", "os-9")  # the device follows its new firmware, as on the server
    _, info = await ota.reg.call("GET", f"/ota/device/{DeviceSlug(CLAIMED).slug}/", "m1")
    assert (info["sg"], info["template"]) == ("app-3-0", "os-9")


async def test_a_failing_version_hook_keeps_the_versions(ota: OtaWorld) -> None:
    """Ingest runs OTA's confirmation in the version rows' transaction; a hook that raises is
    rolled back alone and logged, and the reported version is still recorded."""
    def broken(session: Session, device_id: int, versions: Any) -> bool:
        raise RuntimeError("hook bug")

    ota.reg.appliance.ingest.version_hooks.insert(0, broken)
    await upload(ota, report(1, app(77, 4, 1)), "2026-01-01T00:00:00Z")
    _, versions = await ota.reg.call("GET", f"/ota/version/?device={DeviceSlug(CLAIMED).slug}&type=app", "m1")
    assert any((v["tag"], v["version"]) == (77, "v4.1") for v in versions["results"]), versions
