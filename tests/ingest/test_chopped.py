"""Chopped reports: uploaded with iotile-ext-cloud, re-timed on the reboot that follows them (as
iotile.cloud's HandleChoppedReportV2), left alone after a complete report, looked for again later
when nothing has followed yet."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from iotile.core.hw.reports import IOTileReading, SignedListReport

from storage.streams import StreamSelector
from tests.conftest import ThreadedAppliance
from tests.support.devices import ClaimedDevice, claimed_device
from tests.support.iotile_clients import iotile_cloud
from tests.support.world import World, build_world

DEVICE = 0x2345
RECEIVED = datetime(2026, 5, 4, 10, 0, 0)
CHOPPED_COUNT = 12_285  # 20 + 16 * 12,285 + 24 = 196,604 bytes: within 16 bytes of 196,608
SYSTEM_SELECTOR = 0x5FFF


def report(first_id: int, readings: list[tuple[int, int]], *, sent: int, received: datetime,
           selector: int = 0xD7FF, streamer: int = 0) -> SignedListReport:
    """``readings``: (stream, raw uptime) pairs; ids count up from ``first_id``."""
    items = [IOTileReading(raw, stream, 100 + i, reading_id=first_id + i) for i, (stream, raw) in enumerate(readings)]
    built = SignedListReport.FromReadings(DEVICE, items, report_id=first_id + len(items), selector=selector,
                                          streamer=streamer, sent_timestamp=sent)
    built.received_time = received
    return built


@pytest.fixture
def setup(threaded_appliance: ThreadedAppliance) -> tuple[ThreadedAppliance, World, ClaimedDevice]:
    world: World = threaded_appliance.call(build_world(threaded_appliance.appliance))
    device = threaded_appliance.call(claimed_device(threaded_appliance.appliance, world.org.id, DEVICE,
                                                    lids=(0x5001,)))
    return threaded_appliance, world, device


def times(running: ThreadedAppliance, device: ClaimedDevice) -> tuple[np.ndarray, np.ndarray]:
    page = running.appliance.streams.query_data(StreamSelector(device.project_gid, DEVICE, 0x5001)).numpy()
    return page["timestamp"], page["status"]


def run_fix(running: ThreadedAppliance, report_uuid: str) -> dict[str, object]:
    async def go() -> dict[str, object]:
        job = await running.appliance.jobs.schedule("fix_chopped_report", {"report": report_uuid})
        done = await running.appliance.jobs.wait(job.pid, timeout=60)
        assert done.status == "done", done.error
        assert done.result is not None
        return dict(done.result)

    result: dict[str, object] = running.call(go())
    return result


def chopped_upload(running: ThreadedAppliance, world: World) -> tuple[str, SignedListReport]:
    token = world.headers("r1")["Authorization"].split(" ", 1)[1]
    chopped = report(1, [(0x5001, 10 * i) for i in range(CHOPPED_COUNT)], sent=10 * CHOPPED_COUNT + 500,
                     received=RECEIVED)
    assert len(chopped.encode()) == 196_604
    assert iotile_cloud(running.url, token).upload_report(chopped) == CHOPPED_COUNT
    entries = running.appliance.streams.read(lambda cur: cur.execute(
        "SELECT uuid, chopped FROM report_log WHERE device = ? ORDER BY seq", [DEVICE]).fetchall())
    assert entries[-1][1] is True
    return str(entries[-1][0]), chopped


def test_a_chopped_report_is_retimed_on_the_reboot_that_follows(
        setup: tuple[ThreadedAppliance, World, ClaimedDevice]) -> None:
    running, world, device = setup
    uuid, _ = chopped_upload(running, world)
    queued = running.call(running.appliance.jobs.page(limit=50))[1]
    fixes = [job for job in queued if job.kind == "fix_chopped_report"]
    assert len(fixes) == 1 and fixes[0].args == {"report": uuid, "attempt": 1}
    assert fixes[0].run_after > datetime.now(timezone.utc) + timedelta(minutes=14)  # the server's 15 minutes
    markers = running.appliance.streams.query_data(StreamSelector(device.project_gid, DEVICE, 0x5A06)).numpy()
    assert markers["int_value"].tolist() == [0]
    before, _ = times(running, device)

    # nothing has followed yet: the job looks again later
    waiting = run_fix(running, uuid)
    assert waiting == {"waiting": True, "attempt": 1}

    # the device rebooted; its system streamer reports the reboot an hour after the chopped upload
    later = RECEIVED + timedelta(hours=1)
    token = world.headers("r1")["Authorization"].split(" ", 1)[1]
    system = report(CHOPPED_COUNT + 1, [(0x5C00, 5)], sent=65, received=later, selector=SYSTEM_SELECTOR, streamer=1)
    assert iotile_cloud(running.url, token).upload_report(system) == 1
    reboot_at = np.datetime64(later - timedelta(seconds=60), "us")  # received - sent + raw

    fixed = run_fix(running, uuid)
    assert fixed["reference"] == "reboot" and fixed["fixed"] == CHOPPED_COUNT
    after, status = times(running, device)
    last_raw = 10 * (CHOPPED_COUNT - 1)
    expected = reboot_at + (np.arange(CHOPPED_COUNT, dtype=np.int64) * 10 - last_raw) * 1_000_000
    assert (after == expected.astype("datetime64[us]")).all()  # the last reading lands on the reboot
    assert (after != before).all()
    assert set(status.tolist()) == {1}  # cln: no reboot inside the report

    assert run_fix(running, uuid)["fixed"] == 0  # running it again changes nothing


def test_a_complete_report_after_it_means_nothing_to_fix(setup: tuple[ThreadedAppliance, World, ClaimedDevice]) -> None:
    running, world, device = setup
    uuid, _ = chopped_upload(running, world)
    before, _ = times(running, device)
    token = world.headers("r1")["Authorization"].split(" ", 1)[1]
    following = report(CHOPPED_COUNT + 1, [(0x5001, 10 * CHOPPED_COUNT + 10 * i) for i in range(5)],
                       sent=10 * CHOPPED_COUNT + 100, received=RECEIVED + timedelta(minutes=5))
    assert iotile_cloud(running.url, token).upload_report(following) == 5
    result = run_fix(running, uuid)
    assert result["reference"] == "complete report" and result["fixed"] == 0
    after, _ = times(running, device)
    assert (after[:CHOPPED_COUNT] == before).all()


@pytest.mark.parametrize("args", [{}, {"report": 5}, {"report": "x", "attempt": 0}, {"report": "x", "attempt": 101},
                                  {"report": "x", "other": 1}])
def test_bad_arguments_are_refused(threaded_appliance: ThreadedAppliance, args: dict[str, object]) -> None:
    from appliance.errors import ValidationError

    with pytest.raises(ValidationError):
        threaded_appliance.call(threaded_appliance.appliance.jobs.schedule("fix_chopped_report", args))


def test_a_report_no_longer_in_the_ledger_is_skipped(threaded_appliance: ThreadedAppliance) -> None:
    assert "skipped" in run_fix(threaded_appliance, "no-such-report")
