"""OTA end to end over real HTTP: a Developer publishes a script and a request on a fleet, a gateway
runs iotile-ext-cloud's own OtaUpdater steps (ota/device/, the script file, ota/action/), and the device
then uploads a signed report whose 5c09 reading carries the new app version."""

from __future__ import annotations

import time
from typing import Any

import pytest
import requests
from iotile.cloud.apps.ota_updater import OtaUpdater, _download_ota_script
from iotile.core.dev.semver import SemanticVersion
from iotile.core.hw.reports import IOTileReading, SignedListReport

from appliance.slugs import DeviceSlug
from tests.conftest import ThreadedAppliance
from tests.support.devices import claimed_device
from tests.support.iotile_clients import iotile_cloud
from tests.support.world import World, build_world

DEVICE = 0x4D2
SLUG = DeviceSlug(DEVICE).slug
OS_VERSION, APP_VERSION = 0x5C08, 0x5C09
APP_TAG, OS_TAG = 2049, 1025
SCRIPT = b"\x01TRUB update script\x00" + bytes(range(256)) * 8


def packed(tag: int, major: int, minor: int) -> int:
    """A 5c08/5c09 value: tag in the low 20 bits, then minor (6 bits) and major (6 bits)."""
    return tag | (minor << 20) | (major << 26)


def version_report(first_id: int, readings: list[tuple[int, int]], *, uptime: int = 1000) -> SignedListReport:
    """System readings taken just before the report was sent (``uptime`` seconds after boot)."""
    items = [IOTileReading(uptime - 10 + i, stream, value, reading_id=first_id + i)
             for i, (stream, value) in enumerate(readings)]
    return SignedListReport.FromReadings(DEVICE, items, report_id=first_id + len(items), selector=0x5FFF, streamer=1,
                                         sent_timestamp=uptime)


class Http:
    """Plain requests as one caller (the Developer's own calls; the gateway uses iotile-ext-cloud)."""

    def __init__(self, base: str, headers: dict[str, str]) -> None:
        self.base, self.headers = f"{base}/api/v1", headers

    def __call__(self, method: str, path: str, **kwargs: Any) -> Any:
        resp = requests.request(method, f"{self.base}{path}", headers=self.headers, timeout=30, **kwargs)
        assert resp.status_code < 400, (method, path, resp.status_code, resp.text)
        return resp.json() if resp.content else None


def gateway(url: str, token: str, app: tuple[int, str], os: tuple[int, str]) -> OtaUpdater:
    """iotile-ext-cloud's updater without a BLE connection: only its cloud-side steps are exercised."""
    updater = OtaUpdater.__new__(OtaUpdater)
    updater._cloud = iotile_cloud(url, token)
    updater.dev_slug = SLUG
    updater.app_info = (app[0], SemanticVersion.FromString(app[1]))
    updater.os_info = (os[0], SemanticVersion.FromString(os[1]))
    return updater


@pytest.fixture
def running(threaded_appliance: ThreadedAppliance) -> tuple[ThreadedAppliance, World]:
    world: World = threaded_appliance.call(build_world(threaded_appliance.appliance))
    threaded_appliance.call(claimed_device(threaded_appliance.appliance, world.org.id, DEVICE, lids=(0x5001,)))
    return threaded_appliance, world


def upload(running: ThreadedAppliance, world: World, report: SignedListReport) -> None:
    cloud = iotile_cloud(running.url, world.headers("r1")["Authorization"].split(" ", 1)[1])
    assert cloud.upload_report(report) == len(report.visible_readings)


def publish(dev: Http, world: World) -> tuple[str, int]:
    """Script (multipart with its file), fleet with the device, released request; (script slug, request id)."""
    script = dev("POST", "/ota/script/", data={"name": "App 2.0", "org": world.org.slug, "version": "2.0.0",
                                               "released": "true"}, files={"file": ("app-2.0.trub", SCRIPT)})
    fleet = dev("POST", "/fleet/", json={"name": "Line 1", "org": world.org.slug})
    dev("POST", f"/fleet/{fleet['slug']}/register/", json={"device": SLUG})
    request = dev("POST", "/ota/request/", json={
        "script": script["slug"], "org": world.org.slug, "fleet": fleet["slug"],
        "selection_criteria": [f"app_tag:eq:{APP_TAG}", "app_version:lt:2.0.0", f"os_tag:eq:{OS_TAG}"],
        "released_on": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() - 60))})
    return script["slug"], request["id"]


def test_ota_update_confirmed_by_the_devices_own_report(running: tuple[ThreadedAppliance, World]) -> None:
    app, world = running
    dev = Http(app.url, world.headers("d1"))
    upload(app, world, version_report(1, [(OS_VERSION, packed(OS_TAG, 1, 0)), (APP_VERSION, packed(APP_TAG, 1, 0))]))
    script, request_id = publish(dev, world)
    assert dev("GET", f"/ota/request/{request_id}/")["progress"] == \
        {"targeted": 1, "attempted": 0, "successful": 0, "confirmed": 0}

    token = world.headers("r1")["Authorization"].split(" ", 1)[1]
    updater = gateway(app.url, token, (APP_TAG, "1.0.0"), (OS_TAG, "1.0.0"))
    found = updater.check_cloud_for_script()
    assert found and found[0] == request_id
    assert _download_ota_script(found[1], False) == SCRIPT
    updater._inform_cloud(request_id, SLUG, True)
    assert dev("GET", f"/ota/request/{request_id}/")["progress"] == \
        {"targeted": 1, "attempted": 1, "successful": 1, "confirmed": 0}
    assert [d["id"] for d in dev("GET", f"/ota/device/{SLUG}/")["deployments"]] == [request_id]

    time.sleep(1.1)  # the updated device reports (after its reboot) strictly later than the old version
    upload(app, world, version_report(3, [(APP_VERSION, packed(APP_TAG, 2, 0))], uptime=20))
    detail = dev("GET", f"/ota/request/{request_id}/")
    assert detail["progress"] == {"targeted": 1, "attempted": 1, "successful": 1, "confirmed": 1}
    info = dev("GET", f"/ota/device/{SLUG}/")
    assert info["deployments"] == []
    assert [(a["deployment"], a["device_confirmation"]) for a in info["actions"]] == [(request_id, True)]
    assert {(v["type"], v["tag"], v["version"]) for v in info["versions"]} == \
        {("os", OS_TAG, "v1.0"), ("app", APP_TAG, "v2.0")}
    assert gateway(app.url, token, (APP_TAG, "2.0.0"), (OS_TAG, "1.0.0")).check_cloud_for_script() is False
    notes = dev("GET", f"/note/?target={SLUG}")["results"]
    assert any(f"Deployment Action {info['actions'][0]['id']} has been set to complete" in n["note"] for n in notes)
    assert script.startswith("z--")


def test_the_file_link_is_signed_and_expires(running: tuple[ThreadedAppliance, World]) -> None:
    app, world = running
    dev = Http(app.url, world.headers("d1"))
    script, _ = publish(dev, world)
    link = dev("GET", f"/ota/script/{script}/file/")
    assert (link["name"], link["major_version"], link["minor_version"], link["patch_version"]) == ("App 2.0", 2, 0, 0)
    assert requests.get(link["url"], timeout=30).content == SCRIPT  # no credentials, as iotile-ext-cloud fetches it
    tampered = link["url"].replace("signature=", "signature=0")
    assert requests.get(tampered, timeout=30).status_code == 403
    bare = link["url"].split("?", 1)[0]
    assert requests.get(bare, timeout=30).status_code == 401
    assert requests.get(bare, headers=world.headers("m1"), timeout=30).content == SCRIPT
    assert requests.get(bare, headers=world.headers("other"), timeout=30).status_code == 404
