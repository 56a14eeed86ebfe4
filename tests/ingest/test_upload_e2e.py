"""Reports built by iotile-core, uploaded by iotile-ext-cloud, to a running appliance."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from iotile.core.hw.reports import IOTileReading, SignedListReport

from storage.streams import StreamSelector
from tests.conftest import ThreadedAppliance
from tests.support.devices import ClaimedDevice, claimed_device
from tests.support.iotile_clients import iotile_cloud
from tests.support.world import World, build_world

RECEIVED = datetime(2026, 5, 4, 10, 0, 0)
DEVICE = 0x1234


def signed_report(first_id: int, count: int, *, sent: int = 1000, stream: int = 0x5001, report_id: int = 0,
                  selector: int = 0xD7FF, streamer: int = 0) -> SignedListReport:
    readings = [IOTileReading(100 + 10 * i, stream, 1000 + i, reading_id=first_id + i) for i in range(count)]
    report = SignedListReport.FromReadings(DEVICE, readings, report_id=report_id or first_id + count,
                                           selector=selector, streamer=streamer, sent_timestamp=sent)
    report.received_time = RECEIVED
    return report


@pytest.fixture
def setup(threaded_appliance: ThreadedAppliance) -> tuple[ThreadedAppliance, World, ClaimedDevice]:
    world: World = threaded_appliance.call(build_world(threaded_appliance.appliance))
    device = threaded_appliance.call(claimed_device(threaded_appliance.appliance, world.org.id, DEVICE,
                                                    lids=(0x5001, 0x5002), disabled=(0x5002,)))
    return threaded_appliance, world, device


def stored(running: ThreadedAppliance, device: ClaimedDevice, variable: int) -> dict[str, np.ndarray]:
    page = running.appliance.streams.query_data(StreamSelector(device.project_gid, device.device_id, variable))
    return page.numpy()


def test_upload_ack_and_replay(setup: tuple[ThreadedAppliance, World, ClaimedDevice]) -> None:
    running, world, device = setup
    token = world.headers("r1")["Authorization"].split(" ", 1)[1]
    cloud = iotile_cloud(running.url, token)
    assert cloud.upload_report(signed_report(1, 20)) == 20
    rows = stored(running, device, 0x5001)
    assert rows["streamer_local_id"].tolist() == list(range(1, 21))
    assert rows["int_value"].tolist() == [1000 + i for i in range(20)]
    base = np.datetime64(RECEIVED - timedelta(seconds=1000), "us")
    assert rows["timestamp"][0] == base + np.timedelta64(100, "s")
    acks = cloud.device_acknowledgements(DEVICE)
    assert [(a.index, a.ack) for a in acks] == [(0, 20)]
    assert cloud.highest_acknowledged(DEVICE, 0) == 20
    assert cloud.upload_report(signed_report(1, 20)) == 20  # a replay is answered 201 and stores nothing
    assert len(stored(running, device, 0x5001)["streamer_local_id"]) == 20
    assert cloud.upload_report(signed_report(15, 10)) == 10  # overlapping: only ids 21..24 are new
    assert sorted(stored(running, device, 0x5001)["streamer_local_id"].tolist()) == list(range(1, 25))
    markers = stored(running, device, 0x5A05)
    assert markers["streamer_local_id"].tolist() == [21, 25]  # one per report that stored data


def test_disabled_streams_and_unknown_streams(setup: tuple[ThreadedAppliance, World, ClaimedDevice]) -> None:
    running, world, device = setup
    cloud = iotile_cloud(running.url, world.headers("a1")["Authorization"].split(" ", 1)[1])
    assert cloud.upload_report(signed_report(1, 5, stream=0x5002)) == 5
    assert len(stored(running, device, 0x5002)["streamer_local_id"]) == 0
    assert cloud.upload_report(signed_report(6, 5, stream=0x5777)) == 5
    assert stored(running, device, 0x5777)["streamer_local_id"].tolist() == [6, 7, 8, 9, 10]
    assert cloud.highest_acknowledged(DEVICE, 0) == 10
