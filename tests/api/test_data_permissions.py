"""Every data endpoint × every caller: anonymous 401; Api-Key 403; the Operator (r1) may post data
but not read it (403); members read; another org's owner and an outsider get 404; staff read all.
A refused request stores nothing."""

from __future__ import annotations

import gzip
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from appliance.app import Appliance
from tests.api.test_data_world import (
    API,
    CALLERS,
    PLAIN,
    READERS,
    WRITERS,
    DataWorld,
    build_data_world,
    expected,
)

WHEN = "2026-05-05T08:30:00Z"
Send = Callable[[DataWorld, str], Awaitable[int]]


@dataclass(frozen=True)
class Row:
    name: str
    send: Send
    allowed: frozenset[str]
    ok: int = 200


def get(path: Callable[[DataWorld], str]) -> Send:
    async def send(w: DataWorld, who: str) -> int:
        return (await w.call("GET", path(w), who))[0]

    return send


def post(path: str, body: Callable[[DataWorld], Any]) -> Send:
    async def send(w: DataWorld, who: str) -> int:
        return (await w.call("POST", path, who, body(w)))[0]

    return send


async def _upload(w: DataWorld, who: str) -> int:
    form = aiohttp.FormData()
    form.add_field("stream", w.stream(PLAIN))
    form.add_field("timestamp", WHEN)
    form.add_field("file", gzip.compress(b'{"a": 1}'), filename="x.json.gz")
    resp = await w.api.post(f"{API}/event/upload/", data=form, headers=w.headers(who))
    return resp.status


def _reading(w: DataWorld) -> dict[str, Any]:
    return {"stream": w.stream(PLAIN), "timestamp": WHEN, "int_value": 1}


def _event(w: DataWorld) -> dict[str, Any]:
    return {"stream": w.stream(PLAIN), "timestamp": WHEN, "data": {"a": 1}}


ROWS = (
    Row("data by stream", get(lambda w: f"/data/?filter={w.stream(PLAIN)}"), READERS),
    Row("data by device", get(lambda w: f"/data/?filter={w.device_slug}"), READERS),
    Row("data by variable", get(lambda w: "/data/?filter=v--0000-0001--5001"), READERS),
    Row("data by project", get(lambda w: "/data/?filter=p--0000-0001"), READERS),
    Row("events by device", get(lambda w: f"/event/?filter={w.device_slug}"), READERS),
    Row("stream data", get(lambda w: f"/stream/{w.stream(PLAIN)}/data/"), READERS),
    Row("stream csv", get(lambda w: f"/stream/{w.stream(PLAIN)}/csv/"), READERS),
    Row("device csv", get(lambda w: f"/data/?filter={w.device_slug}&format=csv"), READERS),
    Row("event detail", get(lambda w: "/event/1/"), READERS),
    Row("event payload", get(lambda w: "/event/1/data/"), READERS),
    Row("post one reading", post("/data/", _reading), WRITERS, 201),
    Row("post readings", post("/data/", lambda w: [_reading(w), _reading(w)]), WRITERS, 201),
    Row("post one event", post("/event/", _event), WRITERS, 201),
    Row("post events", post("/event/", lambda w: [_event(w)]), WRITERS, 201),
    Row("upload an event", _upload, WRITERS, 201),
)


async def _counts(w: DataWorld) -> tuple[int, int]:
    return len(await w.stored()), len(await w.stored_events())


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
async def test_data_endpoint_for_every_caller(api: Any, appliance: Appliance, row: Row) -> None:
    w = await build_data_world(appliance, api)
    await w.seed(PLAIN, [1, 2, 3])
    assert (await w.call("POST", "/event/", "a0", _event(w)))[0] == 201
    for who in CALLERS:
        before = await _counts(w)
        status = await row.send(w, who)
        want = expected(who, row.allowed, row.ok)
        assert status == want, f"{row.name} as {who}: {status}, expected {want}"
        if status >= 400:
            assert await _counts(w) == before, f"{row.name} as {who} stored something"


async def test_lists_without_a_filter_and_other_orgs(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    await w.seed(PLAIN, [5], device=w.other)
    for who in CALLERS:
        status, body = await w.call("GET", "/data/", who)
        want = {"anonymous": 401, "apikey": 403}.get(who, 200)
        assert status == want, (who, status)
        if status == 200:
            assert body["count"] == 0
    assert (await w.call("POST", "/data/", "apikey", []))[0] == 403
    assert (await w.call("POST", "/event/", "apikey", []))[0] == 403
    other = w.stream(PLAIN, w.other)
    assert (await w.call("GET", f"/data/?filter={other}", "other"))[1]["count"] == 1
    assert (await w.call("POST", "/data/", "other", {**_reading(w), "stream": other}))[0] == 201
    assert (await w.call("GET", f"/data/?filter={other}", "a0"))[0] == 404
    assert json.dumps((await w.call("GET", f"/data/?filter={other}", "staff"))[1]).count(other) == 2
