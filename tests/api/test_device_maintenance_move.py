"""Moving a device to another project of its org: streams, data, events and notes are re-keyed (the
project gid is part of every stream slug), uploads land in the new project, refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from appliance.app import Appliance
from appliance.services.projects import ProjectRecord
from appliance.slugs import StreamSlug
from tests.api.maintenance_support import (
    APP_ONLY,
    EVENT_LID,
    MARKER,
    READINGS,
    SLUG,
    SYSTEM_LIDS,
    Maint,
    build,
    data_counts,
    event_counts,
    everything,
    metadata,
)
from tests.api.registry_support import CLAIMED
from tests.api.test_device_maintenance import upload

STREAM_LIDS = (0x5001, 0x5002, EVENT_LID, *SYSTEM_LIDS, APP_ONLY)
SG_LIDS = (0x5001, 0x5002, EVENT_LID)


async def second_project(m: Maint, name: str = "Line 2") -> ProjectRecord:
    return await m.appliance.projects.create(await m.reg.access("a0"), {"name": name, "org": m.reg.world.org.slug})


async def test_move_with_data_rekeys_streams_data_events_and_notes(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    dst = await second_project(m)
    status, body = await m.call("POST", f"/device/{SLUG}/move/", "a1", {"project": dst.uuid})
    assert status == 202 and body["move"] == "scheduled" and body["project"] == dst.slug
    result = await m.done(body)
    assert result["data_moved"] == READINGS * (len(STREAM_LIDS) - 1) and result["events_moved"] == 4
    assert result["streams"] == len(STREAM_LIDS)
    counts = await data_counts(appliance)
    assert counts == {**{(dst.gid, lid): READINGS for lid in STREAM_LIDS if lid != EVENT_LID},
                      (m.project, MARKER): READINGS}  # data without a StreamId stays, as on the server
    assert await event_counts(appliance) == {(dst.gid, EVENT_LID): 4}
    meta = await metadata(appliance)
    assert meta["project"] == dst.gid and meta["state"] == "N1"
    # streams of the sensor graph find the new project's variables; the others have none there
    assert meta["streams"] == sorted((dst.gid, lid, lid in SG_LIDS) for lid in STREAM_LIDS)
    new_stream = StreamSlug(dst.gid, CLAIMED, 0x5001).slug
    assert (new_stream, "stream note", "ui") in meta["notes"]
    assert (SLUG, f"Device was moved from {m.reg.project.slug} to {dst.slug}", "si") in meta["notes"]
    status, page = await m.call("GET", f"/stream/{new_stream}/data/", "m1")
    assert status == 200 and page["count"] == READINGS
    old_stream = StreamSlug(m.project, CLAIMED, 0x5001).slug
    assert (await m.call("GET", f"/stream/{old_stream}/data/", "m1"))[0] == 404
    device = (await m.call("GET", f"/device/{SLUG}/", "m1"))[1]
    assert device["project"] == dst.uuid and device["busy"] is False
    status, listed = await m.call("GET", f"/stream/?project={dst.uuid}&device={SLUG}", "m1")
    assert status == 200 and listed["count"] == len(STREAM_LIDS)
    # the device's next upload lands in the new project
    assert await upload(m) == 3
    assert (await data_counts(appliance))[(dst.gid, 0x5001)] == READINGS + 3


async def test_move_without_data_leaves_it_behind(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    dst = await second_project(m)
    before_data, before_events = await data_counts(appliance), await event_counts(appliance)
    status, body = await m.call("POST", f"/device/{SLUG}/move/", "d1", {"project": dst.slug, "move_data": False})
    assert status == 202
    result = await m.done(body)
    assert (result["data_moved"], result["streams"]) == (0, len(SG_LIDS))
    assert await data_counts(appliance) == before_data and await event_counts(appliance) == before_events
    meta = await metadata(appliance)
    assert meta["streams"] == sorted([(m.project, lid, True) for lid in STREAM_LIDS]
                                     + [(dst.gid, lid, True) for lid in SG_LIDS])
    assert await upload(m) == 3
    assert (await data_counts(appliance))[(dst.gid, 0x5001)] == 3


async def test_moving_back_and_forth_returns_the_data(api: Any, appliance: Appliance) -> None:
    m = await build(appliance, api)
    src, dst = m.reg.project, await second_project(m)
    before = await data_counts(appliance)
    for target in (dst, src):
        status, body = await m.call("POST", f"/device/{SLUG}/move/", "a0", {"project": target.uuid})
        assert status == 202
        await m.done(body)
    assert await data_counts(appliance) == before
    assert [s[0] for s in (await metadata(appliance))["streams"]] == [src.gid] * len(STREAM_LIDS)


BAD_MOVES = {
    "same project": (lambda m, dst, other: {"project": m.reg.project.uuid}, "a0", 400),
    "another org's project": (lambda m, dst, other: {"project": other.uuid}, "a0", 404),
    "another org's project, as staff": (lambda m, dst, other: {"project": other.uuid}, "staff", 400),
    "unknown project": (lambda m, dst, other: {"project": "p--0000-0999"}, "a0", 404),
    "unknown uuid": (lambda m, dst, other: {"project": "0b6ba4a0-0000-4000-8000-000000000000"}, "a0", 404),
    "malformed project": (lambda m, dst, other: {"project": "Line 2"}, "a0", 400),
    "padded slug": (lambda m, dst, other: {"project": " " + dst.slug}, "a0", 400),
    "no project": (lambda m, dst, other: {"move_data": True}, "a0", 400),
    "project not text": (lambda m, dst, other: {"project": dst.gid}, "a0", 400),
    "move_data not boolean": (lambda m, dst, other: {"project": dst.uuid, "move_data": "all"}, "a0", 400),
    "unknown field": (lambda m, dst, other: {"project": dst.uuid, "label": "x"}, "a0", 400),
    "member": (lambda m, dst, other: {"project": dst.uuid}, "m1", 403),
}


@pytest.mark.parametrize("case", sorted(BAD_MOVES))
async def test_bad_moves_change_nothing(api: Any, appliance: Appliance, case: str) -> None:
    m = await build(appliance, api)
    dst = await second_project(m)
    make, who, want = BAD_MOVES[case]
    before = await everything(appliance)
    status, answer = await m.call("POST", f"/device/{SLUG}/move/", who, make(m, dst, m.reg.other_project))
    assert status == want, answer
    assert await everything(appliance) == before
    assert (await appliance.jobs.page(kind="device_move"))[0] == 0
