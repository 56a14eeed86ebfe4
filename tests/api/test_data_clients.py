"""The real clients end to end: reports built by iotile-core and uploaded by iotile-ext-cloud, then
read back with python_iotile_cloud's Api and StreamData (its paging through ``next``) and posted
with it; values and UTC timestamps are what the real server would store."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from iotile.core.hw.reports import IOTileReading, SignedListReport
from iotile_cloud.api.connection import Api
from iotile_cloud.api.exceptions import HttpClientError
from iotile_cloud.stream.data import RawData, StreamData

from appliance.slugs import DeviceSlug, StreamSlug
from tests.api.test_data_world import PLAIN, SCALED, add_units
from tests.conftest import ThreadedAppliance
from tests.support.devices import ClaimedDevice, claimed_device
from tests.support.iotile_clients import iotile_cloud
from tests.support.world import PASSWORD, World, build_world

DEVICE = 0x2468
RECEIVED = datetime(2026, 5, 4, 10, 0, 0)
SENT = 1000  # the device's uptime when it sent the report


def _report() -> SignedListReport:
    """30 readings: PLAIN every 10 s (ids 1..25) and SCALED (ids 26..30)."""
    readings = [IOTileReading(100 + 10 * i, PLAIN, 1000 + i, reading_id=1 + i) for i in range(25)]
    readings += [IOTileReading(400 + i, SCALED, 200 * (i + 1), reading_id=26 + i) for i in range(5)]
    report = SignedListReport.FromReadings(DEVICE, readings, report_id=31, selector=0xD7FF, streamer=0,
                                           sent_timestamp=SENT)
    report.received_time = RECEIVED
    return report


def _when(uptime: int) -> str:
    return (RECEIVED - timedelta(seconds=SENT - uptime)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture
def uploaded(threaded_appliance: ThreadedAppliance) -> tuple[ThreadedAppliance, World, ClaimedDevice]:
    running = threaded_appliance
    world: World = running.call(build_world(running.appliance))
    device: ClaimedDevice = running.call(claimed_device(running.appliance, world.org.id, DEVICE, lids=(PLAIN, SCALED)))
    running.appliance.metadata.write(lambda s: add_units(s, device.project_gid, DEVICE)).result(30)
    token = world.headers("r1")["Authorization"].split(" ", 1)[1]
    assert iotile_cloud(running.url, token).upload_report(_report()) == 30  # the Operator may upload
    return running, world, device


def _api(url: str, email: str) -> Api:
    api = Api(domain=url)
    assert api.login(email=email, password=PASSWORD)
    return api


def test_python_iotile_cloud_reads_uploaded_data(uploaded: tuple[ThreadedAppliance, World, ClaimedDevice]) -> None:
    running, _world, device = uploaded
    api = _api(running.url, "m1@acme.example")
    plain = StreamSlug(device.project_gid, DEVICE, PLAIN).slug
    stream = StreamData(plain, api)
    stream.initialize_from_server(page_size=10)  # three pages, followed through "next"
    assert [r["int_value"] for r in stream.data] == [1000 + i for i in range(25)]
    assert [r["value"] for r in stream.data] == [float(1000 + i) for i in range(25)]
    assert [r["timestamp"] for r in stream.data] == [_when(100 + 10 * i) for i in range(25)]
    assert {r["display_value"] for r in stream.data[:1]} == {"1000.00"}
    scaled = StreamData(StreamSlug(device.project_gid, DEVICE, SCALED).slug, api)
    scaled.initialize_from_server(lastn=2)
    # raw 800 and 1000: stream m/d/o 2/1, then gallons -> liters (3785/1000); shown in m3 (1/1000)
    assert [(r["value"], r["output_value"], r["display_value"]) for r in scaled.data] == [
        (6056.0, 6.056, "6.056"), (7570.0, 7.57, "7.570")]
    raw = RawData(api)
    raw.initialize_from_server(filter=DeviceSlug(DEVICE).slug, page_size=7)
    lids = sorted({r["variable"][-4:] for r in raw.data})
    assert len(raw.data) == 31 and lids == ["5001", "5002", "5a05"]  # plus the report's 5a05 marker
    marker = next(r for r in raw.data if r["variable"].endswith("5a05"))
    assert marker["timestamp"] == RECEIVED.strftime("%Y-%m-%dT%H:%M:%SZ") and marker["streamer_local_id"] == 31
    page = api.data.get(filter=plain, lastn=3, streamer_id_0=23)
    assert page["count"] == 3 and [r["streamer_local_id"] for r in page["results"]] == [23, 24, 25]


def test_operators_post_but_cannot_read(uploaded: tuple[ThreadedAppliance, World, ClaimedDevice]) -> None:
    running, _world, device = uploaded
    plain = StreamSlug(device.project_gid, DEVICE, PLAIN).slug
    operator = _api(running.url, "r1@acme.example")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    items = [{"stream": plain, "timestamp": (now + timedelta(seconds=i)).isoformat(), "int_value": i} for i in range(4)]
    assert operator.data.post(items) == {"count": 4}
    created = operator.event.post({"stream": plain, "timestamp": now.isoformat(), "data": {"ok": True}})
    assert created["has_raw_data"] is True
    with pytest.raises(HttpClientError) as refused:
        operator.stream(plain).data.get()
    assert refused.value.response.status_code == 403
    member = _api(running.url, "m1@acme.example")
    assert member.event(created["id"]).data.get() == {"ok": True}
    assert member.data.get(filter=plain, lastn=4)["results"][0]["timestamp"] == now.strftime("%Y-%m-%dT%H:%M:%SZ")
    outsider = _api(running.url, "nobody@example.com")
    with pytest.raises(HttpClientError) as hidden:
        outsider.data.get(filter=plain)
    assert hidden.value.response.status_code == 404
