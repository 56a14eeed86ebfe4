"""Malformed, truncated, oversized and hostile uploads: a 4xx with a JSON error, nothing stored."""

from __future__ import annotations

import asyncio
import hashlib
import struct
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iotile.core.hw.reports import IOTileReading, SignedListReport

from appliance.app import Appliance
from storage.streams import StreamSelector
from tests.support.devices import claimed_device, unclaimed_device
from tests.support.world import World, build_world

DEVICE = 0x2222
URL = "/api/v1/streamer/report/?timestamp=2026-01-01T00:00:00Z"


def report(count: int = 3, device: int = DEVICE, first: int = 1) -> bytes:
    readings = [IOTileReading(i, 0x5001, i, reading_id=first + i) for i in range(count)]
    return bytes(SignedListReport.FromReadings(device, readings, report_id=first + count, selector=0xD7FF,
                                               sent_timestamp=10).encode())


def resign(body: bytes) -> bytes:
    return body[:-16] + hashlib.sha256(body[:-16]).digest()[:16]


@pytest.fixture
async def world(appliance: Appliance) -> World:
    built = await build_world(appliance)
    await claimed_device(appliance, built.org.id, DEVICE)
    return built


def form(body: bytes, filename: str = "report.bin") -> aiohttp.FormData:
    data = aiohttp.FormData()
    data.add_field("file", body, filename=filename)
    return data


async def stored(appliance: Appliance) -> int:
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, lambda: appliance.streams.count_data(StreamSelector(device=DEVICE)))


async def post(api: Any, world: World, body: bytes, filename: str = "report.bin", who: str = "r1",
               url: str = URL) -> tuple[int, dict[str, Any]]:
    resp = await api.post(url, data=form(body, filename), headers=world.headers(who))
    return resp.status, await resp.json()


def flip(body: bytes, index: int) -> bytes:
    return body[:index] + bytes([body[index] ^ 0x01]) + body[index + 1:]


def set_length(body: bytes, length: int) -> bytes:
    return body[:1] + struct.pack("<BH", length & 0xFF, length >> 8) + body[4:]


GOOD = report()
CASES = {
    "truncated": (GOOD[:-5], 400),
    "header only": (GOOD[:20], 400),
    "empty": (b"", 400),
    "length says longer": (resign(set_length(GOOD, len(GOOD) + 16)), 400),
    "length says shorter": (resign(set_length(GOOD, len(GOOD) - 16)), 400),
    "trailing bytes": (GOOD + b"\x00" * 16, 400),
    "flipped hash byte": (flip(GOOD, len(GOOD) - 1), 400),
    "flipped reading byte": (flip(GOOD, 30), 400),
    "format byte": (resign(b"\x02" + GOOD[1:]), 400),
    "user-key flag, no key stored": (resign(GOOD[:16] + b"\x01" + GOOD[17:]), 400),
    "device key flag": (resign(GOOD[:16] + b"\x02" + GOOD[17:]), 400),
    "jpeg": (b"\xff\xd8\xff\xe0" + b"\x00" * 200, 400),
    "unknown device": (report(device=0x9999), 404),
}


@pytest.mark.parametrize("name", sorted(CASES))
async def test_bad_reports_are_refused_whole(api: Any, appliance: Appliance, world: World, name: str) -> None:
    body, status = CASES[name]
    got, payload = await post(api, world, body)
    assert got == status, payload
    assert payload["error"]
    assert await stored(appliance) == 0
    assert (await api.get("/health/")).status == 200


async def test_bad_requests(api: Any, appliance: Appliance, world: World) -> None:
    headers = world.headers("r1")
    missing_file = await api.post(URL, data={"other": "x"}, headers=headers)
    assert missing_file.status == 400 and (await missing_file.json())["error"] == "missing request.data['file']"
    no_stamp = await api.post("/api/v1/streamer/report/", data=form(GOOD), headers=headers)
    assert no_stamp.status == 400 and (await no_stamp.json())["error"] == "missing timestamp argument"
    bad_stamp = await api.post("/api/v1/streamer/report/?timestamp=yesterday", data=form(GOOD), headers=headers)
    assert bad_stamp.status == 400
    assert (await post(api, world, GOOD, filename="report.txt"))[0] == 400
    as_json = await api.post(URL, json={"file": "x"}, headers=headers)
    assert as_json.status == 400
    assert (await api.post(URL, data=form(GOOD))).status == 401
    assert (await post(api, world, GOOD, who="other"))[0] == 403
    assert (await post(api, world, GOOD, who="outsider"))[0] == 403
    assert await stored(appliance) == 0


async def test_unclaimed_device_is_400(api: Any, appliance: Appliance, world: World) -> None:
    await asyncio.get_running_loop().run_in_executor(None, unclaimed_device, appliance, 0x7777)
    status, payload = await post(api, world, report(device=0x7777))
    assert status == 400 and "not been claimed" in payload["error"]


async def test_zero_readings_and_chopped_reports_are_accepted(api: Any, appliance: Appliance, world: World) -> None:
    assert await post(api, world, report(count=0)) == (201, {"count": 0})
    chopped = report(count=(196604 - 44) // 16)
    assert len(chopped) == 196604
    assert await post(api, world, chopped) == (201, {"count": 12285})
    markers = await asyncio.get_running_loop().run_in_executor(
        None, lambda: appliance.streams.count_data(StreamSelector(device=DEVICE, variable=0x5A06)))
    assert markers == 1


async def test_bad_report_blob_is_kept_under_errors(api: Any, appliance: Appliance, world: World) -> None:
    await post(api, world, flip(GOOD, len(GOOD) - 1))
    kept = list((appliance.data_dir.blobs / "errors").rglob("*.bin"))
    assert len(kept) == 1 and kept[0].read_bytes() == flip(GOOD, len(GOOD) - 1)
    assert not list((appliance.data_dir.blobs / "reports").rglob("*.bin"))


async def test_oversized_body_is_413_before_it_is_read(appliance: Appliance, world: World, aiohttp_server: Any) -> None:
    from appliance.api import create_api

    server = await aiohttp_server(create_api(appliance))
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    auth = world.headers("r1")["Authorization"]
    writer.write((f"POST {URL} HTTP/1.1\r\nHost: x\r\nAuthorization: {auth}\r\n"
                  "Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 1073741824\r\n\r\n").encode())
    await writer.drain()
    status_line = await asyncio.wait_for(reader.readline(), 10)
    writer.close()
    assert b" 413 " in status_line


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400))
async def test_random_bytes_never_store_anything(api: Any, appliance: Appliance, world: World, body: bytes) -> None:
    status, payload = await post(api, world, body)
    assert 400 <= status < 500 and payload["error"]
    assert await stored(appliance) == 0
