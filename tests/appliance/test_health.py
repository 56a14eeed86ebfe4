"""The device health check job: states from last report and period, stored transitions, events."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.services.health import DEVICE_HEALTH_CHECK, DeviceHealthChanged, health_state
from appliance.slugs import DeviceSlug
from storage.metadata import Device, DeviceStatus, StreamNote
from tests.api.registry_support import db_read, db_write

NOW = datetime(2024, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_health_state_boundaries() -> None:
    assert health_state(None, 60, NOW) == "UNK"
    assert health_state(NOW - timedelta(seconds=60), 60, NOW) == "OK"
    assert health_state(NOW - timedelta(seconds=61), 60, NOW) == "FAIL"
    assert health_state(datetime(2024, 1, 1, 11, 59), 120, NOW) == "OK"  # naive means UTC


def _devices(session: Session) -> None:
    recent = datetime.now(timezone.utc) - timedelta(minutes=5)
    stale = datetime.now(timezone.utc) - timedelta(hours=3)
    rows = {  # device id: (last report, enabled, last known state)
        0x101: (recent, True, "UNK"), 0x102: (stale, True, "OK"), 0x103: (None, True, "OK"),
        0x104: (recent, True, "OK"), 0x105: (stale, False, "OK"),
    }
    for device_id, (last, enabled, state) in rows.items():
        session.add(Device(id=device_id))
        session.add(DeviceStatus(device_id=device_id, last_report_ts=last, health_check_enabled=enabled,
                                 health_check_period=3600, last_known_state=state))


def _states(session: Session) -> dict[int, str]:
    return {row[0]: row[1] for row in session.execute(select(DeviceStatus.device_id, DeviceStatus.last_known_state))}


def _notes(session: Session) -> list[tuple[str, str, str]]:
    stmt = select(StreamNote.target_slug, StreamNote.type, StreamNote.note).order_by(StreamNote.target_slug)
    return [tuple(row) for row in session.execute(stmt).all()]  # type: ignore[misc]


async def _run(appliance: Appliance) -> dict[str, int]:
    record = await appliance.jobs.schedule("device_health_check")
    done = await appliance.jobs.wait(record.pid)
    assert done.status == "done", done
    assert isinstance(done.result, dict)
    return done.result


async def test_job_marks_devices_and_stores_transitions(appliance: Appliance) -> None:
    assert appliance.jobs.registry.get("device_health_check") is DEVICE_HEALTH_CHECK
    await db_write(appliance, _devices)
    events: list[DeviceHealthChanged] = []
    unsubscribe = appliance.events.subscribe(DeviceHealthChanged, events.append)
    try:
        assert (await _run(appliance)) == {"changed": 3, "fail": 1}
        assert await db_read(appliance, _states) == {0x101: "OK", 0x102: "FAIL", 0x103: "UNK", 0x104: "OK",
                                                     0x105: "OK"}
        assert sorted((e.device_id, e.old, e.new) for e in events) == [
            (0x101, "UNK", "OK"), (0x102, "OK", "FAIL"), (0x103, "OK", "UNK")]
        assert await db_read(appliance, _notes) == [
            (DeviceSlug(0x101).slug, "si", "Device health changed from UNK to OK"),
            (DeviceSlug(0x102).slug, "si", "Device health changed from OK to FAIL"),
            (DeviceSlug(0x103).slug, "si", "Device health changed from OK to UNK")]
        assert (await _run(appliance)) == {"changed": 0, "fail": 0}  # no transition, nothing new
        assert len(events) == 3 and len(await db_read(appliance, _notes)) == 3
    finally:
        unsubscribe()
