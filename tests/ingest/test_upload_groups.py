"""Many uploads at once over HTTP: they share group commits, yet each gets its own answer.

Good reports from several devices and streamers, replays, and hostile uploads all arrive
together; every good report is stored exactly once with the count and acknowledgement the real
server would give, the hostile ones are refused alone, and nothing of theirs is stored.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from iotile.core.hw.reports import IOTileReading, SignedListReport

from appliance.app import Appliance
from storage.streams import StreamSelector
from tests.support.devices import claimed_device
from tests.support.world import build_world

DEVICES = [0x3100 + i for i in range(4)]
URL = "/api/v1/streamer/report/?timestamp=2026-01-01T00:10:00Z"


def report(device: int, streamer: int, first: int, count: int = 5) -> bytes:
    readings = [IOTileReading(first + i, 0x5001 + i % 2, 100 * streamer + i, reading_id=first + i)
                for i in range(count)]
    return bytes(SignedListReport.FromReadings(device, readings, report_id=first + count, selector=0xD7FF,
                                               streamer=streamer, sent_timestamp=600).encode())


def form(body: bytes) -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("file", body, filename="report.bin")
    return data


async def test_concurrent_uploads_share_commits_and_keep_their_own_answers(appliance: Appliance,
                                                                          api: Any) -> None:
    world = await build_world(appliance)
    for device in DEVICES:
        await claimed_device(appliance, world.org.id, device, lids=(0x5001, 0x5002))
    good = [(device, streamer, report(device, streamer, 1 + 5 * k)) for device in DEVICES for streamer in (0, 1)
            for k in range(3)]
    hostile = [report(DEVICES[0], 2, 1)[:-3], report(0x3999, 0, 1), b"\x01" + b"\x00" * 50]

    async def send(body: bytes) -> tuple[int, dict[str, Any]]:
        resp = await api.post(URL, data=form(body), headers=world.headers("r1"))
        return resp.status, await resp.json()

    async def streamer_in_order(device: int, streamer: int) -> list[tuple[int, dict[str, Any]]]:
        mine = [body for d, s, body in good if (d, s) == (device, streamer)]
        answers = [await send(body) for body in mine]
        answers.append(await send(mine[0]))  # a replay of its first report: 201, nothing stored
        return answers

    ordered = [streamer_in_order(device, streamer) for device in DEVICES for streamer in (0, 1)]
    results = await asyncio.gather(*ordered, *(send(body) for body in hostile))
    per_streamer, refused = results[:len(ordered)], results[len(ordered):]
    for answers in per_streamer:
        assert [status for status, _ in answers] == [201, 201, 201, 201]
        assert [body["count"] for _, body in answers] == [5, 5, 5, 5]
    assert [status for status, _ in refused] == [400, 404, 400]
    assert all("error" in body for _, body in refused)

    loop = asyncio.get_running_loop()
    for device in DEVICES:
        rows = await loop.run_in_executor(None, lambda d=device: appliance.streams.query_data(
            StreamSelector(device=d)).rows.to_pylist())
        readings = [r for r in rows if r["variable"] in (0x5001, 0x5002)]
        markers = [r for r in rows if r["variable"] == 0x5A05]
        ids = sorted((r["int_value"] // 100, r["streamer_local_id"]) for r in readings)
        assert ids == sorted((streamer, i) for streamer in (0, 1) for i in range(1, 16))  # once each
        assert len(markers) == 6  # one per stored report, none for the replays
    resp = await api.get(f"/api/v1/streamer/?device=d--0000-0000-0000-{DEVICES[0]:04x}", headers=world.headers("r1"))
    acks = {row["index"]: row["last_id"] for row in (await resp.json())["results"]}
    assert acks == {0: 15, 1: 15}
