"""Unclaim with clean_streams, then claim again: the same reports are new data again."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp

from appliance.app import Appliance
from appliance.slugs import ProjectSlug
from storage.streams import StreamSelector
from tests.ingest.test_upload_hostile import URL, report
from tests.support.devices import claimed_device
from tests.support.world import build_world

DEVICE = 0x2222


async def upload(api: Any, headers: dict[str, str]) -> int:
    form = aiohttp.FormData()
    form.add_field("file", report(count=3), filename="report.bin")
    return (await api.post(URL, data=form, headers=headers)).status


async def count(appliance: Appliance) -> int:
    return await asyncio.get_running_loop().run_in_executor(
        None, lambda: appliance.streams.count_data(StreamSelector(device=DEVICE, variable=0x5001)))


async def test_clean_unclaim_resets_deduplication(api: Any, appliance: Appliance) -> None:
    world = await build_world(appliance)
    device = await claimed_device(appliance, world.org.id, DEVICE)
    owner = world.headers("a0")
    assert await upload(api, owner) == 201 and await count(appliance) == 3
    resp = await api.post("/api/v1/device/d--0000-0000-0000-2222/unclaim/", json={"clean_streams": True},
                          headers=owner)
    assert resp.status == 202, await resp.text()
    job = await appliance.jobs.wait((await resp.json())["pid"], timeout=60)
    assert job.status == "done" and job.result and job.result["ledger_entries_deleted"] == 1
    assert await count(appliance) == 0
    assert await upload(api, owner) == 400  # unclaimed devices may not upload
    claim = await api.post("/api/v1/device/claim/", json={"device": "d--0000-0000-0000-2222",
                                                         "project": ProjectSlug(device.project_gid).slug},
                           headers=owner)
    assert claim.status in (201, 202), await claim.text()
    assert await upload(api, owner) == 201 and await count(appliance) == 3
    acks = await (await api.get("/api/v1/streamer/t--0000-0000-0000-2222--0000/", headers=owner)).json()
    assert acks["last_id"] == 3
