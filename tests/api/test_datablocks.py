"""Data blocks end to end over HTTP: a device uploads, is archived, is reclaimed into another project
and uploads again, while its block keeps reading exactly the old data."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import aiohttp
from iotile.core.hw.reports import IOTileReading, SignedListReport
from sqlalchemy import func, select

from appliance.app import Appliance
from appliance.slugs import BlockSlug, DeviceSlug, StreamSlug
from storage.metadata import DataBlock, Device, GenericProperty, Job, Streamer, StreamId
from storage.streams import WriteContext
from tests.api.registry_support import CLAIMED, Registry, build_registry, db_read, snapshot

DEVICE = DeviceSlug(CLAIMED).slug
BLOCK = BlockSlug(1, CLAIMED).slug
UPLOAD = "/api/v1/streamer/report/?timestamp=2026-01-01T00:00:00Z"
ROW_FIELDS = ("id", "timestamp", "device_timestamp", "int_value", "value", "streamer_local_id", "status", "type")


def report(first: int, count: int, stream: int = 0x5001) -> bytes:
    readings = [IOTileReading(100 + i, stream, 1000 + first + i, reading_id=first + i) for i in range(count)]
    return bytes(SignedListReport.FromReadings(CLAIMED, readings, report_id=first + count, selector=0xD7FF,
                                               sent_timestamp=500).encode())


async def upload(reg: Registry, body: bytes, who: str = "a0") -> int:
    form = aiohttp.FormData()
    form.add_field("file", body, filename="report.bin")
    resp = await reg.api.post(UPLOAD, data=form, headers=reg.headers(who))
    if resp.status >= 400:
        assert (await resp.json())["error"]
    return resp.status


async def rows(reg: Registry, filter_slug: str) -> list[dict[str, Any]]:
    status, body = await reg.call("GET", f"/data/?filter={filter_slug}&page_size=10000", "a0")
    assert status == 200, body
    return list(body["results"])


def comparable(row: dict[str, Any]) -> tuple[Any, ...]:
    """A reading apart from its stream key: what an archive must keep unchanged."""
    return (row["stream"].rsplit("--", 1)[1], *(row[name] for name in ROW_FIELDS))


async def archive(reg: Registry, body: dict[str, Any], who: str = "a0") -> dict[str, Any]:
    status, created = await reg.call("POST", "/datablock/", who, body)
    assert status == 202, created
    job = await reg.appliance.jobs.wait(created["pid"], timeout=60)
    assert job.status == "done", job.error
    return created


async def uploaded_device(reg: Registry) -> list[dict[str, Any]]:
    assert await upload(reg, report(1, 20)) == 201
    assert await upload(reg, report(21, 5, stream=0x5002)) == 201
    before = await rows(reg, DEVICE)
    assert len(before) == 27  # 25 readings and one 5a05 marker per report
    return before


async def test_archive_reclaim_and_upload_again(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    second = await appliance.projects.create(await reg.access("a0"), {"name": "Second line", "org": "acme-corp"})
    before = await uploaded_device(reg)
    for path, body in (("/note/", {"target": DEVICE, "timestamp": "2026-01-01T00:00:00Z", "note": "first trip"}),
                       ("/location/", {"target": DEVICE, "timestamp": "2026-01-01T00:00:00Z", "lat": 1.5, "lon": 2}),
                       ("/property/", {"target": DEVICE, "name": "trip", "str_value": "one"}),
                       ("/note/", {"target": StreamSlug(reg.project.gid, CLAIMED, 0x5001).slug,
                                   "timestamp": "2026-01-01T00:00:00Z", "note": "on a stream"})):
        assert (await reg.call("POST", path, "a0", body))[0] == 201
    created = await archive(reg, {"device": DEVICE, "title": "Trip 1", "description": "first",
                                  "on_complete": {"device": {"unclaim": True, "label": "spare"}}})
    assert (created["slug"], created["block"], created["org"], created["device"]) == (BLOCK, 1, "acme-corp", DEVICE)
    assert created["sg"] == "water-meter-v1-1-0" and created["created_by"] == "acme-a0" and created["pid"]

    archived = await rows(reg, BLOCK)
    assert [comparable(r) for r in archived] == [comparable(r) for r in before]
    assert {r["stream"] for r in archived} == {StreamSlug(0, (1 << 48) | CLAIMED, lid).slug
                                               for lid in (0x5001, 0x5002, 0x5A05)}
    assert {(r["project"], r["device"]) for r in archived} == {("", BLOCK)}
    assert (await reg.call("GET", f"/data/?filter={DEVICE}", "a0"))[0] == 404  # unclaimed: nobody's data
    device = (await reg.call("GET", f"/device/{DEVICE}/", "staff"))[1]
    assert (device["project"], device["state"], device["busy"], device["label"]) == (None, "N1", False, "spare")

    status, _ = await reg.call("POST", "/device/claim/", "a0", {"device": DEVICE, "project": second.uuid})
    assert status == 202
    assert await upload(reg, report(1, 20)) == 201  # the same reading ids are new again
    fresh = await rows(reg, DEVICE)
    assert len(fresh) == 21 and {r["project"] for r in fresh} == {second.slug}
    assert [comparable(r) for r in await rows(reg, BLOCK)] == [comparable(r) for r in before]
    assert (await reg.call("GET", f"/datablock/{BLOCK}/", "m1"))[1]["completed_on"]

    notes = (await reg.call("GET", f"/note/?target={BLOCK}", "a0"))[1]["results"]
    assert [n["note"] for n in notes] == ["first trip"]
    device_notes = (await reg.call("GET", f"/note/?target={DEVICE}", "a0"))[1]["results"]
    archived_note = f"Device data was archived. Datablock ID: {BLOCK}"
    assert [(n["type"], n["note"]) for n in device_notes] == [("si", archived_note)]
    archived_stream = StreamSlug(0, (1 << 48) | CLAIMED, 0x5001).slug
    assert [n["note"] for n in (await reg.call("GET", f"/note/?target={archived_stream}", "a0"))[1]["results"]] == [
        "on a stream"]
    assert len((await reg.call("GET", f"/location/?target={BLOCK}", "a0"))[1]["results"]) == 1
    props = (await reg.call("GET", f"/property/?target={BLOCK}", "a0"))[1]
    assert [p["name"] for p in props.get("results", props)] == ["trip"]


async def test_archived_streams_read_through_the_stream_api(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    before = await uploaded_device(reg)
    await archive(reg, {"device": DEVICE, "title": "Trip 1"})
    status, streams = await reg.call("GET", f"/stream/?block={BLOCK}", "m1")
    assert status == 200
    archived_slugs = [StreamSlug(0, (1 << 48) | CLAIMED, lid).slug for lid in (0x5001, 0x5002, 0x5A07)]
    assert [s["slug"] for s in streams["results"]] == archived_slugs
    assert {s["block"] for s in streams["results"]} == {BLOCK} and {s["device"] for s in streams["results"]} == {DEVICE}
    status, page = await reg.call("GET", f"/stream/{archived_slugs[0]}/data/?page_size=1000", "m1")
    assert status == 200
    assert [(r["timestamp"], r["int_value"]) for r in page["results"]] == [
        (r["timestamp"], r["int_value"]) for r in before if r["stream"].endswith("--5001")]
    assert (await reg.call("GET", f"/data/?filter={archived_slugs[0]}", "m1"))[1]["count"] == 20
    old_style = "d--0001-0000-0000-0010"
    assert (await reg.call("GET", f"/data/?filter={old_style}", "m1"))[1]["count"] == 27
    # the default on_complete: the device stays claimed and active, its live streams stay (as on iotile.cloud)
    device = (await reg.call("GET", f"/device/{DEVICE}/", "a0"))[1]
    assert (device["project"], device["state"], device["busy"]) == (reg.project.uuid, "N1", False)
    assert len((await reg.call("GET", f"/stream/?device={DEVICE}", "a0"))[1]["results"]) == 3
    extra = (await reg.call("GET", f"/datablock/{BLOCK}/extra/", "m1"))[1]
    assert extra["stream_counts"] == {
        archived_slugs[0]: {"data_cnt": 20, "has_streamid": True},
        archived_slugs[1]: {"data_cnt": 5, "has_streamid": True},
        StreamSlug(0, (1 << 48) | CLAIMED, 0x5A05).slug: {"data_cnt": 2, "has_streamid": False}}
    # the device can be archived again: block 2, holding only what came after
    assert await upload(reg, report(26, 3)) == 201
    second = await archive(reg, {"device": DEVICE, "title": "Trip 2", "on_complete": {"device": {"state": "N0"}}})
    assert second["slug"] == BlockSlug(2, CLAIMED).slug
    assert len(await rows(reg, second["slug"])) == 4 and len(await rows(reg, BLOCK)) == 27
    device = (await reg.call("GET", f"/device/{DEVICE}/", "a0"))[1]
    assert (device["state"], device["active"]) == ("N0", False)


async def test_list_filters_and_edit(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await uploaded_device(reg)
    await archive(reg, {"device": DEVICE, "title": "Trip to Lisbon"})
    await archive(reg, {"device": DEVICE, "title": "Trip to Porto", "description": "coast"})
    listed = (await reg.call("GET", "/datablock/", "m1"))[1]
    assert [b["slug"] for b in listed["results"]] == [BLOCK, BlockSlug(2, CLAIMED).slug]
    assert listed["results"][0]["pid"] == ""
    for query, expected in (("?org=acme-corp", 2), (f"?device={DEVICE}", 2), ("?org=acme-corp&q=porto", 1),
                            ("?org=acme-corp&q=COAST trip", 1), ("?org=acme-corp&q=0002-0000", 1),
                            ("?org=other-org", 0), ("?device=d--0000-0000-0000-0011", 0)):
        status, body = await reg.call("GET", f"/datablock/{query}", "a1")
        assert (status, body["count"]) == (200, expected), query
    assert (await reg.call("GET", "/datablock/", "r1"))[1]["count"] == 0  # no can_access_datablock
    assert (await reg.call("GET", "/datablock/", "other"))[1]["count"] == 0
    assert (await reg.call("GET", "/datablock/", "staff"))[1]["count"] == 0  # not a member: ?staff=1 lists all
    assert (await reg.call("GET", "/datablock/?staff=1", "staff"))[1]["count"] == 2
    for query, status in (("?q=porto", 400), ("?org=nope", 404), ("?device=d--0000-0000-0000-9999", 404),
                          ("?device=nonsense", 404)):
        assert (await reg.call("GET", f"/datablock/{query}", "a0"))[0] == status, query
    status, edited = await reg.call("PATCH", f"/datablock/{BLOCK}/", "m1", {"title": "Lisbon", "slug": "ignored"})
    assert (status, edited["title"], edited["description"], edited["slug"]) == (200, "Lisbon", "", BLOCK)
    status, edited = await reg.call("PUT", f"/datablock/{BLOCK}/", "a0", {"title": "L", "description": "d"})
    assert (status, edited["title"], edited["description"]) == (200, "L", "d")
    assert (await reg.call("GET", "/datablock/d--0001-0000-0000-0010/", "m1"))[1]["title"] == "L"


async def test_delete_is_a_staff_job_that_removes_everything(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await uploaded_device(reg)
    assert (await reg.call("POST", "/note/", "a0", {"target": DEVICE, "timestamp": "2026-01-01T00:00:00Z",
                                                     "note": "n"}))[0] == 201
    await archive(reg, {"device": DEVICE, "title": "Trip 1"})
    live_streams = await db_read(appliance, lambda s: s.scalar(select(func.count(StreamId.id))))
    assert (await reg.call("DELETE", f"/datablock/{BLOCK}/", "a0"))[0] == 403
    status, body = await reg.call("DELETE", f"/datablock/{BLOCK}/", "staff")
    assert status == 202 and body["slug"] == BLOCK
    job = await appliance.jobs.wait(body["pid"], timeout=60)
    assert job.status == "done" and job.result and job.result["readings"] == 27
    assert (await reg.call("GET", f"/datablock/{BLOCK}/", "a0"))[0] == 404
    assert (await reg.call("GET", f"/data/?filter={BLOCK}", "a0"))[0] == 404
    assert await db_read(appliance, lambda s: s.scalar(select(func.count(StreamId.id)))) == live_streams - 3
    assert await db_read(appliance, lambda s: s.scalar(select(func.count(DataBlock.id)))) == 0
    assert (await reg.call("DELETE", f"/datablock/{BLOCK}/", "staff"))[0] == 404


@contextmanager
def writer_held(appliance: Appliance) -> Iterator[None]:
    """Keeps the DuckDB writer busy so an archive job waits at its move, its device busy."""
    entered, release = threading.Event(), threading.Event()

    def hold(ctx: WriteContext) -> None:
        entered.set()
        release.wait(30)

    future = appliance.streams.write(hold)
    assert entered.wait(10)
    try:
        yield
    finally:
        release.set()
        future.result(10)


async def state(appliance: Appliance) -> dict[str, Any]:
    """What a refused archive must not touch, beyond the registry snapshot."""
    def read(session: Any) -> dict[str, Any]:
        return {"blocks": session.scalar(select(func.count(DataBlock.id))),
                "jobs": session.scalar(select(func.count(Job.id))),
                "state": session.scalar(select(Device.state).where(Device.id == CLAIMED)),
                "streamers": session.scalar(select(func.count(Streamer.id))),
                "props": session.scalar(select(func.count(GenericProperty.id)))}

    return {**await snapshot(appliance), **await db_read(appliance, read)}


async def test_a_busy_device_refuses_a_second_archive_and_uploads(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    before = await uploaded_device(reg)
    with writer_held(appliance):
        status, created = await reg.call("POST", "/datablock/", "a0", {"device": DEVICE, "title": "Trip 1"})
        assert status == 202
        device = (await reg.call("GET", f"/device/{DEVICE}/", "a0"))[1]
        assert (device["state"], device["busy"]) == ("B1", True)
        held = await state(appliance)
        status, body = await reg.call("POST", "/datablock/", "a0", {"device": DEVICE, "title": "Trip 2"})
        assert status == 403 and "busy" in body["error"]
        assert await upload(reg, report(21, 5)) == 409
        status, _ = await reg.call("POST", f"/device/{DEVICE}/unclaim/", "a0", {})
        assert status == 403
        assert await state(appliance) == held
    assert (await appliance.jobs.wait(created["pid"], timeout=60)).status == "done"
    assert [comparable(r) for r in await rows(reg, BLOCK)] == [comparable(r) for r in before]
    assert (await reg.call("GET", f"/datablock/{BLOCK}/", "a0"))[1]["completed_on"]


async def test_a_cancelled_archive_gives_the_device_back(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    await uploaded_device(reg)
    before = await state(appliance)
    await appliance.jobs.stop()  # the archive stays queued, then is cancelled before it ever runs
    status, created = await reg.call("POST", "/datablock/", "a0", {"device": DEVICE, "title": "Trip 1"})
    assert status == 202
    await appliance.jobs.cancel(created["pid"])
    for _ in range(100):
        now = await state(appliance)
        if now["state"] == "N1" and now["blocks"] == 0:
            break
        await asyncio.sleep(0.05)
    now.pop("jobs")
    assert now == {k: v for k, v in before.items() if k != "jobs"}
    assert len(await rows(reg, DEVICE)) == 27


async def test_a_failure_in_the_middle_of_the_move_changes_nothing(api: Any, appliance: Appliance) -> None:
    """The ledger table missing makes the move's last statement fail after its UPDATEs ran: a real
    DuckDB error inside the transaction. Nothing moves, the block is taken back, the device is free."""
    reg = await build_registry(appliance, api)
    before = await uploaded_device(reg)
    await appliance.ingest.follower.catch_up()
    unchanged = await state(appliance)
    await asyncio.wrap_future(appliance.streams.write(lambda w: w.conn.execute(
        "ALTER TABLE report_log RENAME TO report_log_away")))
    try:
        status, created = await reg.call("POST", "/datablock/", "a0", {"device": DEVICE, "title": "Trip 1"})
        assert status == 202
        job = await appliance.jobs.wait(created["pid"], timeout=60)
        assert job.status == "failed" and job.error and "nothing was moved" in job.error
        for _ in range(100):
            if (now := await state(appliance))["blocks"] == 0 and now["state"] == "N1":
                break
            await asyncio.sleep(0.05)
    finally:
        await asyncio.wrap_future(appliance.streams.write(lambda w: w.conn.execute(
            "ALTER TABLE report_log_away RENAME TO report_log")))
    assert {k: v for k, v in now.items() if k != "jobs"} == {k: v for k, v in unchanged.items() if k != "jobs"}
    assert await rows(reg, DEVICE) == before
    assert (await reg.call("GET", f"/data/?filter={BLOCK}", "a0"))[0] == 404
    await archive(reg, {"device": DEVICE, "title": "Trip 1 again"})  # the device archives fine afterwards
    assert [comparable(r) for r in await rows(reg, BLOCK)] == [comparable(r) for r in before]


async def test_a_blocks_data_mask_clips_its_reads(api: Any, appliance: Appliance) -> None:
    reg = await build_registry(appliance, api)
    before = await uploaded_device(reg)
    await archive(reg, {"device": DEVICE, "title": "Trip 1"})
    stamps = sorted(r["timestamp"] for r in before)
    start, end = stamps[3][:19] + "Z", stamps[-4][:19] + "Z"
    assert (await reg.call("GET", f"/datablock/{BLOCK}/mask/", "m1"))[1] == {"start": None, "end": None}
    assert (await reg.call("GET", f"/datablock/{BLOCK}/mask/", "r1"))[0] == 403  # no can_access_datablock
    for who in ("m1", "r1"):
        assert (await reg.call("PATCH", f"/datablock/{BLOCK}/mask/", who, {"start": start}))[0] == 403
    assert (await reg.call("PATCH", f"/datablock/{BLOCK}/mask/", "other", {"start": start}))[0] == 404
    assert (await reg.call("PATCH", f"/datablock/{BLOCK}/mask/", "a0", {"start": "yesterday"}))[0] == 400
    status, body = await reg.call("PATCH", f"/datablock/{BLOCK}/mask/", "a0", {"start": start, "end": end})
    assert status == 202 and (body["start"], body["end"]) == (start, end)
    assert (await reg.call("GET", f"/datablock/{BLOCK}/mask/", "m1"))[1] == {"start": start, "end": end}
    _, masked = await reg.call("GET", f"/data/?filter={BLOCK}&mask=1&page_size=1000", "m1")
    assert masked["count"] == len([s for s in stamps if start <= s[:19] + "Z" < end]) < len(before)
    assert (await reg.call("GET", f"/data/?filter={BLOCK}", "m1"))[1]["count"] == len(before)
    assert (await reg.call("GET", f"/device/{DEVICE}/mask/", "m1"))[1] == {"start": None, "end": None}
    assert (await reg.call("DELETE", f"/datablock/{BLOCK}/mask/", "a0"))[0] == 204
    assert (await reg.call("GET", f"/datablock/{BLOCK}/mask/", "m1"))[1] == {"start": None, "end": None}
    notes = (await reg.call("GET", f"/note/?target={BLOCK}", "a0"))[1]["results"]
    assert [n["note"][:14] for n in notes][-2:] == ["Data mask set ", "Data mask clea"], notes
