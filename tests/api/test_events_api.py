"""event/: posts with a JSON payload, uploads of .json and .json.gz files kept as blobs, the
payload download, and hostile uploads (gzip bombs, bad files) refused with nothing stored."""

from __future__ import annotations

import gzip
import json
from typing import Any

import aiohttp

from appliance.app import Appliance
from appliance.slugs import StreamSlug
from tests.api.test_data_world import API, DISABLED, PLAIN, DataWorld, build_data_world

WHEN = "2026-05-05T08:30:00.250000Z"
PAYLOAD = {"trip": {"max_g": 3.5, "samples": list(range(50))}}


def _form(w: DataWorld, name: str | None, content: bytes, **fields: str) -> aiohttp.FormData:
    form = aiohttp.FormData()
    values = {"stream": w.stream(PLAIN), "timestamp": WHEN, **fields}
    for key, value in values.items():
        form.add_field(key, value)
    if name is not None:
        form.add_field("file", content, filename=name, content_type="application/octet-stream")
    return form


async def _upload(w: DataWorld, form: aiohttp.FormData, who: str = "a0") -> tuple[int, Any]:
    resp = await w.api.post(f"{API}/event/upload/", data=form, headers=w.headers(who))
    return resp.status, await resp.json()


async def _blobs(appliance: Appliance) -> list[str]:
    root = appliance.blobs.root / "events"
    return sorted(str(p) for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_post_events_and_read_them_back(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    item = {"stream": w.stream(PLAIN), "timestamp": WHEN, "device_timestamp": 5, "streamer_local_id": 9,
            "extra_data": {"count": 3}, "data": PAYLOAD}
    status, body = await w.call("POST", "/event/", "r1", item)
    assert status == 201
    blob = body.pop("s3key")
    assert blob.startswith("events/") and blob.endswith(".json")
    assert body == {"id": 1, "stream": w.stream(PLAIN), "project": "p--0000-0001", "device": w.device_slug,
                    "variable": "v--0000-0001--5001", "s3bucket": None, "ext": "json", "has_raw_data": True,
                    "device_timestamp": 5, "timestamp": "2026-05-05T08:30:00.250000Z", "streamer_local_id": 9,
                    "dirty_ts": False, "status": "unk", "extra_data": {"count": 3}}
    assert await w.call("GET", "/event/1/data/") == (200, PAYLOAD)
    status, detail = await w.call("GET", "/event/1/")
    assert status == 200 and detail == {**body, "s3key": blob}
    many = [{"stream": w.stream(PLAIN), "timestamp": "2026-05-05T09:00:00Z", "extra_data": {"n": n}} for n in range(3)]
    assert await w.call("POST", "/event/", "m1", many) == (201, {"count": 3})
    status, page = await w.call("GET", f"/event/?filter={w.device_slug}&lastn=2")
    assert [e["extra_data"] for e in page["results"]] == [{"n": 1}, {"n": 2}]
    assert page["results"][0]["has_raw_data"] is False and page["results"][0]["timestamp"] == "2026-05-05T09:00:00Z"
    assert await w.call("GET", "/event/2/data/") == (404, {"error": "Event has no data"})
    assert (await w.call("GET", f"/event/?filter={w.stream(PLAIN)}&streamer_id_0=9"))[1]["count"] == 1
    assert (await w.call("GET", "/event/"))[1]["count"] == 0
    assert (await w.call("GET", "/event/abc/"))[0] == 400
    assert (await w.call("GET", "/event/99/"))[0] == 404
    assert (await w.call("GET", "/event/1/", "r1"))[0] == 403
    assert (await w.call("GET", "/event/1/data/", "outsider"))[0] == 404


async def test_refused_event_posts_store_nothing(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    good = {"stream": w.stream(PLAIN), "timestamp": WHEN, "data": PAYLOAD}
    virtual = StreamSlug(w.device.project_gid, 0, 0x5010).slug
    for body, want in (
        ({**good, "stream": w.stream(DISABLED)}, 403), ([good, {**good, "stream": w.stream(DISABLED)}], 403),
        ({**good, "stream": w.stream(PLAIN, w.other)}, 404), ({**good, "extra_data": [1, 2]}, 400),
        ({**good, "extra_data": "{}"}, 400), ({**good, "ext": "exe"}, 400), ({**good, "timestamp": None}, 400),
        ([good, {**good, "uuid": "x"}], 400), ("not an event", 400),
    ):
        status, _ = await w.call("POST", "/event/", "a0", body)
        assert status == want, (body, status)
    assert await w.stored_events() == [] and await _blobs(appliance) == []
    status, created = await w.call("POST", "/event/", "a0", {**good, "stream": virtual, "data": None})
    assert status == 201 and created["has_raw_data"] is False and created["device"] == "d--0000-0000-0000-0000"
    assert await w.call("GET", f"/event/{created['id']}/") == (200, created)


async def test_upload_json_and_gzipped_json(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    raw = json.dumps(PAYLOAD).encode()
    status, body = await _upload(w, _form(w, "trip.json", raw, device_timestamp="17", streamer_local_id="4",
                                          encoded_extra_data='{"max_g": 3.5}'))
    assert status == 201
    assert body == {"id": 1, "stream": w.stream(PLAIN), "device_timestamp": 17, "timestamp": WHEN,
                    "streamer_local_id": 4, "encoded_extra_data": '{"max_g": 3.5}'}
    status, body = await _upload(w, _form(w, "trip.json.gz", gzip.compress(raw)), "r1")
    assert status == 201 and body["encoded_extra_data"] is None
    assert await w.call("GET", "/event/1/data/") == (200, PAYLOAD)
    assert await w.call("GET", "/event/2/data/") == (200, PAYLOAD)
    status, event = await w.call("GET", "/event/2/")
    assert event["ext"] == "json.gz" and event["s3key"].endswith(".json.gz") and event["extra_data"] is None
    assert (await w.call("GET", "/event/1/"))[1]["extra_data"] == {"max_g": 3.5}


async def test_hostile_uploads_are_refused(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    raw = json.dumps(PAYLOAD).encode()
    bomb = gzip.compress(b"[" + b" " * (65 << 20) + b"]", compresslevel=9)  # 65 MiB > the 64 MiB limit
    cases: list[tuple[str, aiohttp.FormData, int]] = [
        ("no file", _form(w, None, b""), 400),
        ("no extension", _form(w, "trip", raw), 400),
        ("wrong extension", _form(w, "trip.bin", raw), 400),
        ("not JSON", _form(w, "trip.json", b"{nope"), 400),
        ("not UTF-8 JSON", _form(w, "trip.json", b"\xff\xfe\x00"), 400),
        ("not gzip", _form(w, "trip.json.gz", raw), 400),
        ("truncated gzip", _form(w, "trip.json.gz", gzip.compress(raw)[:-12]), 400),
        ("gzip bomb", _form(w, "trip.json.gz", bomb), 413),
        ("bad extra data", _form(w, "trip.json", raw, encoded_extra_data="{not json"), 400),
        ("list extra data", _form(w, "trip.json", raw, encoded_extra_data="[1]"), 400),
        ("bad streamer id", _form(w, "trip.json", raw, streamer_local_id="x"), 400),
        ("bad timestamp", _form(w, "trip.json", raw, timestamp="soon"), 400),
        ("bad stream", _form(w, "trip.json", raw, stream="s--1"), 400),
        ("disabled stream", _form(w, "trip.json", raw, stream=w.stream(DISABLED)), 403),
        ("another org", _form(w, "trip.json", raw, stream=w.stream(PLAIN, w.other)), 404),
    ]
    for name, form, want in cases:
        status, body = await _upload(w, form)
        assert status == want and "error" in body, (name, status, body)
    resp = await api.post(f"{API}/event/upload/", json={"stream": w.stream(PLAIN), "timestamp": WHEN},
                          headers=w.headers("a0"))
    assert resp.status == 400
    assert await w.stored_events() == [] and await _blobs(appliance) == []
