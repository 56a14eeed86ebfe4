"""The device data mask: stored as a 5a09 event, and ``mask=1`` reads clipped to [start, end)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from appliance.app import Appliance
from appliance.services.data_mask import DataMasks, MaskTarget, TimeRange, mask_bounds, parse_time
from appliance.slugs import BlockSlug, StreamSlug, VariableSlug
from storage.streams import StreamSelector
from tests.api.maintenance_support import (
    MARKER,
    READINGS,
    SLUG,
    Maint,
    at,
    batch,
    build,
    event_counts,
    everything,
    iso,
    metadata,
)
from tests.api.registry_support import API, CLAIMED

STREAMS_WITH_DATA = 10  # 5001, 5002, six system lids, the app-only variable, the 5a05 marker
MASK = {"start": iso(180), "end": iso(420)}  # readings 3..6 of each stream (end is exclusive)


async def masked(m: Maint, body: dict[str, str] | None = None) -> None:
    status, answer = await m.call("PATCH", f"/device/{SLUG}/mask/", "a0", body or MASK)
    assert status == 202, answer


async def count(m: Maint, path: str) -> int:
    status, page = await m.call("GET", path, "m1")
    assert status == 200, page
    return int(page["count"])


async def csv_lines(m: Maint, path: str) -> list[str]:
    resp = await m.reg.api.get(f"{API}{path}", headers=m.reg.headers("m1"))
    assert resp.status == 200
    return (await resp.text()).strip().split("\r\n")


async def test_set_read_and_clear_the_mask(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    assert (await m.call("GET", f"/device/{SLUG}/mask/", "r1")) == (200, {"start": None, "end": None})
    status, answer = await m.call("PATCH", f"/device/{SLUG}/mask/", "a1", {"start": "2024-01-01T00:03:00.750Z"})
    assert status == 202
    assert answer == {"start": "2024-01-01T00:03:00Z", "end": None, "events": [], "data": []}
    await masked(m)
    assert (await m.call("GET", f"/device/{SLUG}/mask/", "m1")) == (200, MASK)
    assert (await event_counts(appliance))[(m.project, 0x5A09)] == 1  # one event, rewritten
    stored = await asyncio.to_thread(appliance.streams.read, lambda cur: cur.execute(
        "SELECT extra_data FROM stream_events WHERE variable = 23049").fetchall())
    assert json.loads(stored[0][0]) == {**MASK, "events": [], "data": []}
    notes = [n[1] for n in (await metadata(appliance))["notes"] if n[1].startswith("Data mask")]
    assert notes == ["Data mask set ( start: 2024-01-01T00:03:00Z )",
                     "Data mask set ( start: 2024-01-01T00:03:00Z end: 2024-01-01T00:07:00Z )"]
    assert (await m.call("DELETE", f"/device/{SLUG}/mask/", "d1"))[0] == 204
    assert (await m.call("GET", f"/device/{SLUG}/mask/", "m1"))[1] == {"start": None, "end": None}
    assert (await m.call("DELETE", f"/device/{SLUG}/mask/", "d1"))[0] == 204  # nothing to clear: no note
    notes = [n[1] for n in (await metadata(appliance))["notes"] if n[1].startswith("Data mask")]
    assert "Data mask cleared" in notes and len(notes) == 3


async def test_mask_1_clips_every_read(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    await masked(m)
    stream = StreamSlug(m.project, CLAIMED, 0x5001).slug
    assert await count(m, f"/data/?filter={SLUG}") == READINGS * STREAMS_WITH_DATA
    assert await count(m, f"/data/?filter={SLUG}&mask=1") == 4 * STREAMS_WITH_DATA
    assert await count(m, f"/data/?filter={SLUG}&mask=0") == READINGS * STREAMS_WITH_DATA
    assert await count(m, f"/data/?filter={stream}&mask=1") == 4
    assert await count(m, f"/data/?filter={stream}&mask=1&start={iso(240)}") == 3  # the narrower bound wins
    assert await count(m, f"/data/?filter={stream}&mask=1&end={iso(900)}") == 4
    assert await count(m, f"/data/?filter={stream}&mask=1&start={iso(600)}") == 0
    status, page = await m.call("GET", f"/data/?filter={stream}&mask=1&lastn=2", "m1")
    assert [r["int_value"] for r in page["results"]] == [5, 6]
    status, page = await m.call("GET", f"/stream/{stream}/data/?mask=1", "m1")
    assert [r["int_value"] for r in page["results"]] == [3, 4, 5, 6]
    assert await count(m, f"/stream/{stream}/data/") == READINGS
    # a variable read is not a device's: no mask, as on iotile.cloud
    assert await count(m, f"/data/?filter={VariableSlug(m.project, 0x5001).slug}&mask=1") == READINGS
    # events: 300 s is inside; the mask event itself (now) is outside
    assert await count(m, f"/event/?filter={SLUG}") == 5
    status, page = await m.call("GET", f"/event/?filter={SLUG}&mask=1", "m1")
    assert [r["timestamp"] for r in page["results"]] == ["2024-01-01T00:05:00Z"]
    assert len(await csv_lines(m, f"/data/?filter={SLUG}&format=csv&mask=1")) == 1 + 4 * STREAMS_WITH_DATA
    assert await csv_lines(m, f"/stream/{stream}/csv/?mask=1") == [
        "Timestamp,Value", *(f"2024/01/01 00:0{i}:00,{float(i)}" for i in range(3, 7))]


async def test_open_ended_masks(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    marker = StreamSlug(m.project, CLAIMED, MARKER).slug
    await masked(m, {"end": iso(120)})
    assert await count(m, f"/data/?filter={marker}&mask=1") == 2
    await masked(m, {"start": iso(120)})
    assert await count(m, f"/data/?filter={marker}&mask=1") == READINGS - 2


async def test_reset_clears_the_mask_and_a_move_keeps_it(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    await masked(m)
    dst = await appliance.projects.create(await m.reg.access("a0"), {"name": "Line 2", "org": m.reg.world.org.slug})
    status, body = await m.call("POST", f"/device/{SLUG}/move/", "a0", {"project": dst.uuid})
    await m.done(body)
    assert (await m.call("GET", f"/device/{SLUG}/mask/", "m1"))[1] == MASK
    stream = StreamSlug(dst.gid, CLAIMED, 0x5001).slug
    assert await count(m, f"/data/?filter={stream}&mask=1") == 4
    status, body = await m.call("POST", f"/device/{SLUG}/reset/", "a0", {"full": False})
    await m.done(body)
    assert (await m.call("GET", f"/device/{SLUG}/mask/", "m1"))[1] == {"start": None, "end": None}


BAD_MASKS = {
    "empty": {},
    "start after end": {"start": iso(300), "end": iso(200)},
    "malformed": {"end": "2024-02-30T00:00:00Z"},
    "date only": {"start": "2024-01-01"},
    "null": {"start": None, "end": iso(60)},
    "unknown field": {"start": iso(60), "events": []},
    "list": {"start": [iso(60)]},
}


@pytest.mark.parametrize("case", sorted(BAD_MASKS))
async def test_bad_masks_change_nothing(api: Any, appliance: Appliance, case: str) -> None:
    m = await build(appliance, api)
    await masked(m)
    before = await everything(appliance)
    status, _ = await m.call("PATCH", f"/device/{SLUG}/mask/", "a0", BAD_MASKS[case])
    assert status == 400
    assert await everything(appliance) == before


async def test_masks_are_target_agnostic(api: Any, appliance: Appliance) -> None:
    """A data block's mask works the same way: keyed by the block's device id, project 0."""
    m = await build(appliance, api)
    block = BlockSlug(1, CLAIMED)
    key = block.as_device().id
    await asyncio.wrap_future(appliance.streams.append_data(batch(0, 0x5001, device=key)))
    masks = DataMasks(appliance.metadata, appliance.streams, appliance.events)
    target = MaskTarget(key, 0, block.slug)
    await masks.set(target, TimeRange(parse_time("start", iso(60)), None), m.reg.world.users["a0"].id)
    assert await masks.get(target) == {"start": iso(60), "end": None}
    assert await masks.get(MaskTarget(CLAIMED, m.project, SLUG)) == {"start": None, "end": None}
    bounds = await asyncio.to_thread(mask_bounds, appliance.streams, StreamSelector(device=key), None, at(600))
    assert bounds == (at(60), at(600))
    notes = [n for n in (await metadata(appliance))["notes"] if n[0] == block.slug]
    assert [n[1] for n in notes] == ["Data mask set ( start: 2024-01-01T00:01:00Z )"]
    assert await masks.clear(target, None) is True
    assert await masks.get(target) == {"start": None, "end": None}
