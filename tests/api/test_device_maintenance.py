"""Device reset and trim as jobs: what each keeps and deletes, and refusals that change nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from appliance.app import Appliance
from storage.metadata import Device
from tests.api.maintenance_support import (
    APP_ONLY,
    EVENT_LID,
    MARKER,
    READINGS,
    SLUG,
    SYSTEM_LIDS,
    USER_LIDS,
    Maint,
    at,
    build,
    data_counts,
    event_counts,
    everything,
    iso,
    metadata,
    times,
)
from tests.api.registry_support import CLAIMED, db_write
from tests.ingest.test_upload_hostile import report

UPLOAD = "/api/v1/streamer/report/?timestamp=2026-01-01T00:00:00Z"


async def upload(m: Maint, who: str = "a0") -> int:
    """A real report of three readings on 5001 (iotile-core's SignedListReport); returns readings stored."""
    form = aiohttp.FormData()
    form.add_field("file", report(count=3, device=CLAIMED), filename="report.bin")
    resp = await m.reg.api.post(UPLOAD, data=form, headers=m.reg.headers(who))
    assert resp.status == 201, await resp.text()
    await m.appliance.ingest.follower.catch_up()
    return int((await resp.json())["count"])


def blob_exists(app: Appliance, n: int) -> bool:
    return app.blobs.exists(f"events/test/{n}.json")


async def test_full_reset_deletes_the_data_and_forgets_the_streamers(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    await upload(m)
    assert (await data_counts(appliance))[(m.project, 0x5001)] == READINGS + 3
    status, body = await m.call("POST", f"/device/{SLUG}/reset/", "a1", {})
    assert status == 202 and body["reset"] == "scheduled"
    result = await m.done(body)
    assert result["ledger_entries_deleted"] == 1 and result["events_deleted"] == 4
    assert await data_counts(appliance) == {} and await event_counts(appliance) == {}
    assert not any(blob_exists(appliance, n) for n in range(4))
    meta = await metadata(appliance)
    assert meta["properties"] == ["system"] and meta["locations"] == 0
    assert [n[1:] for n in meta["notes"]] == [("Device data was cleared", "si"), ("health", "si")]
    assert (meta["streamers"], meta["reports"], meta["state"]) == (0, 0, "N1")
    assert len(meta["streams"]) == 3 + len(SYSTEM_LIDS) + 1  # streams stay
    # the ledger forgot the streamer: the same report is new data again
    assert await upload(m) == 3
    assert (await data_counts(appliance))[(m.project, 0x5001)] == 3


async def test_partial_reset_keeps_what_it_is_told_to_keep(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    await upload(m)
    body = {"full": False, "include_properties": False, "include_notes_and_locations": False}
    status, answer = await m.call("POST", f"/device/{SLUG}/reset/", "d1", body)
    assert status == 202
    result = await m.done(answer)
    assert result["ledger_entries_deleted"] == 0
    # only streams with a StreamId lose their data; the 5a05 marker (no StreamId) stays
    assert await data_counts(appliance) == {(m.project, MARKER): READINGS + 1}
    assert await event_counts(appliance) == {}
    meta = await metadata(appliance)
    assert meta["properties"] == ["colour", "system"] and meta["locations"] == 1
    assert len(meta["notes"]) == 4 and ("Device data was cleared", "si") in [n[1:] for n in meta["notes"]]
    assert (meta["streamers"], meta["reports"], meta["state"]) == (1, 0, "N1")
    # the streamers keep their last id: the same report is a duplicate
    assert await upload(m) == 3
    assert (await data_counts(appliance)).get((m.project, 0x5001), 0) == 0


async def test_reset_with_notes_but_not_properties(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    body = {"include_properties": False, "include_notes_and_locations": True, "full": True}
    await appliance.jobs.stop()
    status, answer = await m.call("POST", f"/device/{SLUG}/reset/", "a0", body)
    assert status == 202
    assert (await metadata(appliance))["state"] == "B0"  # busy from the moment it is scheduled
    assert (await m.call("GET", f"/device/{SLUG}/", "m1"))[1]["busy"] is True
    await appliance.jobs.start(appliance, workers=1, poll_interval=0.05)
    await m.done(answer)
    meta = await metadata(appliance)
    assert meta["properties"] == ["colour", "system"] and meta["locations"] == 0
    assert sorted(n[1] for n in meta["notes"]) == ["Device data was cleared", "health"]


async def test_trim_keeps_the_range_and_the_system_streams(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    status, body = await m.call("POST", f"/device/{SLUG}/trim/", "m1", {"start": iso(180), "end": iso(420)})
    assert status == 202 and body["trim"] == "scheduled"
    assert (body["start"], body["end"]) == ("2024-01-01T00:03:00Z", "2024-01-01T00:07:00Z")
    result = await m.done(body)
    assert result["data_deleted"] == 5 * len(USER_LIDS) and result["events_deleted"] == 3
    counts = await data_counts(appliance)
    for lid in USER_LIDS:  # both ends of the range are kept (the server deletes < start and > end)
        assert await times(appliance, m.project, lid) == [at(60 * i) for i in range(3, 8)]
    for lid in (*SYSTEM_LIDS, APP_ONLY, MARKER):
        assert counts[(m.project, lid)] == READINGS, hex(lid)
    assert await event_counts(appliance) == {(m.project, EVENT_LID): 1}
    assert [blob_exists(appliance, n) for n in range(4)] == [False, False, True, False]
    meta = await metadata(appliance)
    note = next(n for n in meta["notes"] if n[1].startswith("Device data trim"))
    assert note[1] == ("Device data trim task executed ( start: 2024-01-01T00:03:00Z end: 2024-01-01T00:07:00Z )"
                       "\n- 6 data row(s) before 2024-01-01T00:03:00Z deleted"
                       "\n- 2 event row(s) before 2024-01-01T00:03:00Z deleted"
                       "\n- 4 data row(s) after 2024-01-01T00:07:00Z deleted"
                       "\n- 1 event row(s) after 2024-01-01T00:07:00Z deleted")
    assert note[2] == "si" and meta["state"] == "N1"


@pytest.mark.parametrize(("body", "kept"), [
    ({"start": iso(300)}, list(range(5, 10))),
    ({"end": "2024-01-01T00:02:00.900Z"}, [0, 1, 2]),  # whole seconds, as the server's formatted_ts
    ({"start": iso(120), "end": iso(120)}, [2]),
    ({"start": "2024-01-01 00:06:00+00:00", "end": "2024-01-01T01:08:00+01:00"}, [6, 7, 8]),
])
async def test_trim_one_side(api: Any, appliance: Appliance, body: dict[str, str], kept: list[int]) -> None:
    m = await build(appliance, api)
    status, answer = await m.call("POST", f"/device/{SLUG}/trim/", "a0", body)
    assert status == 202, answer
    await m.done(answer)
    assert await times(appliance, m.project, 0x5001) == [at(60 * i) for i in kept]


async def test_trim_with_nothing_to_delete_leaves_a_note(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    status, body = await m.call("POST", f"/device/{SLUG}/trim/", "a0", {"start": "2023-01-01T00:00:00Z"})
    assert status == 202
    assert (await m.done(body))["data_deleted"] == 0
    assert any(n[1].endswith("\n- No data deleted") for n in (await metadata(appliance))["notes"])


BAD_TRIMS = {
    "empty range": ({"start": iso(1000), "end": iso(2000)}, 400, "empty_trim_range"),
    "range before the data": ({"end": "2023-06-01T00:00:00Z"}, 400, "empty_trim_range"),
    "start after end": ({"start": iso(300), "end": iso(200)}, 400, "start_after_end"),
    "no bounds": ({}, 400, "missing_range"),
    "malformed date": ({"start": "yesterday"}, 400, "bad_datetime"),
    "date without time": ({"start": "2024-01-01"}, 400, "bad_datetime"),
    "out of range date": ({"start": "2024-13-01T00:00:00Z"}, 400, "bad_datetime"),
    "overflowing offset": ({"start": "0001-01-01T00:00:00+01:00"}, 400, "bad_datetime"),
    "huge year": ({"end": "99999-01-01T00:00:00Z"}, 400, "bad_datetime"),
    "number": ({"start": 1704067200}, 400, "bad_datetime"),
    "null": ({"start": None}, 400, "bad_datetime"),
    "unknown field": ({"start": iso(60), "keep": "all"}, 400, "unknown_field"),
}


@pytest.mark.parametrize("case", sorted(BAD_TRIMS))
async def test_bad_trims_change_nothing(api: Any, appliance: Appliance, case: str) -> None:
    m = await build(appliance, api)
    body, want, _ = BAD_TRIMS[case]
    before = await everything(appliance)
    status, answer = await m.call("POST", f"/device/{SLUG}/trim/", "a0", body)
    assert status == want, answer
    assert await everything(appliance) == before
    assert (await appliance.jobs.page(kind="device_trim"))[0] == 0


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", '"text"'])
async def test_malformed_bodies(api: Any, appliance: Appliance, raw: str) -> None:
    m = await build(appliance, api)
    before = await everything(appliance)
    for action in ("reset", "trim", "move"):
        status, _ = await m.reg.call("POST", f"/device/{SLUG}/{action}/", "a0", data=raw)
        assert status == 400, action
    assert await everything(appliance) == before


BAD_RESETS = {
    "unknown field": {"full": True, "wipe": True},
    "not a boolean": {"full": "maybe"},
    "null": {"include_properties": None},
}


@pytest.mark.parametrize("case", sorted(BAD_RESETS))
async def test_bad_resets_change_nothing(api: Any, appliance: Appliance, case: str) -> None:
    m = await build(appliance, api)
    before = await everything(appliance)
    status, _ = await m.call("POST", f"/device/{SLUG}/reset/", "a0", BAD_RESETS[case])
    assert status == 400
    assert await everything(appliance) == before


async def _set_state(appliance: Appliance, state: str) -> None:
    def change(session: Any) -> None:
        session.scalar(select(Device).where(Device.id == CLAIMED)).state = state

    await db_write(appliance, change)


async def test_a_busy_device_refuses_maintenance(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    await _set_state(appliance, "B1")
    before = await everything(appliance)
    for action, body in (("reset", {}), ("trim", {"start": iso(60)}), ("move", {"project": m.reg.project.uuid})):
        status, answer = await m.call("POST", f"/device/{SLUG}/{action}/", "a0", body)
        assert status == 403 and "busy" in answer["error"], action
    assert (await m.call("PATCH", f"/device/{SLUG}/mask/", "a0", {"start": iso(60)}))[0] == 403
    assert await everything(appliance) == before


async def test_a_second_reset_while_the_first_is_scheduled_is_refused(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    await appliance.jobs.stop()  # nothing runs: the first reset stays scheduled
    status, first = await m.call("POST", f"/device/{SLUG}/reset/", "a0", {})
    assert status == 202
    status, answer = await m.call("POST", f"/device/{SLUG}/reset/", "a0", {})
    assert status == 403 and answer["error"].startswith("Device is busy")
    assert (await m.call("POST", f"/device/{SLUG}/trim/", "a0", {"start": iso(60)}))[0] == 403
    assert (await m.call("POST", f"/device/{SLUG}/unclaim/", "a0", {}))[0] == 403
    assert (await appliance.jobs.get(first["pid"])).status == "queued"


async def test_a_failed_reset_leaves_the_device_idle(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)

    def unclaim(session: Any) -> None:  # the device loses its project after the reset was scheduled
        session.scalar(select(Device).where(Device.id == CLAIMED)).project_id = None

    await appliance.jobs.stop()
    status, body = await m.call("POST", f"/device/{SLUG}/reset/", "a0", {})
    assert status == 202
    await db_write(appliance, unclaim)
    await appliance.jobs.start(appliance, workers=1, poll_interval=0.05)
    job = await appliance.jobs.wait(body["pid"])
    assert job.status == "failed" and "has no Org and/or Project" in (job.error or "")
    assert (await metadata(appliance))["state"] == "N1"
    await asyncio.sleep(0)
