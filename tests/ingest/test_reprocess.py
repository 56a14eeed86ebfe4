"""Re-processing a streamer from its raw bytes after its stream settings changed."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import numpy as np
from sqlalchemy import update

from appliance.app import Appliance
from storage.metadata import StreamId
from storage.streams import StreamSelector
from tests.ingest.test_upload_hostile import URL, report
from tests.support.devices import claimed_device
from tests.support.world import build_world

DEVICE = 0x2222


async def values(appliance: Appliance, variable: int) -> list[float]:
    page = await asyncio.get_running_loop().run_in_executor(
        None, lambda: appliance.streams.query_data(StreamSelector(device=DEVICE, variable=variable)))
    return np.asarray(page.numpy()["value"]).tolist()


async def test_reprocess_applies_todays_settings_to_old_reports(api: Any, appliance: Appliance) -> None:
    world = await build_world(appliance)
    await claimed_device(appliance, world.org.id, DEVICE)
    for first in (1, 4):
        form = aiohttp.FormData()
        form.add_field("file", report(count=3, first=first), filename="report.bin")
        assert (await api.post(URL, data=form, headers=world.headers("r1"))).status == 201
    before = await values(appliance, 0x5001)
    assert sorted(before) == [0.0, 0.0, 1.0, 1.0, 2.0, 2.0]
    await asyncio.wrap_future(appliance.metadata.write(lambda s: s.execute(
        update(StreamId).where(StreamId.var_lid == 0x5001).values(multiplication_factor=10, mdo_type="S"))))
    appliance.ingest._targets.invalidate()
    slug = "t--0000-0000-0000-2222--0000"
    assert (await api.post(f"/api/v1/streamer/{slug}/reprocess/", headers=world.headers("r1"))).status == 403
    resp = await api.post(f"/api/v1/streamer/{slug}/reprocess/", headers=world.headers("a0"))
    assert resp.status == 202
    job = await appliance.jobs.wait((await resp.json())["pid"], timeout=60)
    assert job.status == "done" and job.result == {"reports": 2, "stored": 8}
    assert sorted(await values(appliance, 0x5001)) == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]
    assert len(await values(appliance, 0x5A05)) == 2
    acks = await (await api.get(f"/api/v1/streamer/{slug}/", headers=world.headers("r1"))).json()
    assert acks["last_id"] == 6
