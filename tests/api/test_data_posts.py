"""POST /api/v1/data/: one object or a list, values through the stream's units like an upload,
and every bad request refused whole with nothing stored."""

from __future__ import annotations

import json
from typing import Any

import pytest

from appliance.api.views.data_keys import READINGS
from appliance.app import Appliance
from appliance.errors import PermissionDenied
from appliance.services.auth import Principal
from appliance.services.data_items import data_item
from appliance.slugs import StreamSlug
from tests.api.test_data_world import DISABLED, PLAIN, SCALED, VIRTUAL, DataWorld, build_data_world

WHEN = "2026-05-05T08:30:00Z"


def _item(w: DataWorld, lid: int = PLAIN, **fields: Any) -> dict[str, Any]:
    return {"stream": w.stream(lid), "timestamp": WHEN, "int_value": 7, **fields}


async def test_post_one_object_and_a_list(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    status, body = await w.call("POST", "/data/", "r1", _item(w, device_timestamp=33, streamer_local_id=12))
    assert status == 201
    assert body == {"id": 1, "stream": w.stream(PLAIN), "project": "p--0000-0001", "device": w.device_slug,
                    "variable": "v--0000-0001--5001", "type": "Num", "device_timestamp": 33,
                    "timestamp": "2026-05-05T08:30:00Z", "int_value": 7, "value": 7.0, "streamer_local_id": 12,
                    "dirty_ts": False, "status": "unk"}
    items = [_item(w, SCALED, int_value=100, timestamp="2026-05-05 08:31:00"),
             _item(w, SCALED, int_value=None, value=12.5, type="ITR", timestamp="2026-05-05T10:32:00+02:00"),
             _item(w, PLAIN, int_value=0xFFFFFFFF + 5, dirty_ts=True, status="drt")]
    assert await w.call("POST", "/data/", "m1", items) == (201, {"count": 3})
    assert await w.call("POST", "/data/", "m1", [_item(w)]) == (201, {"count": 1})  # a list: a count
    assert await w.call("POST", "/data/", "m1", []) == (201, {"count": 0})
    scaled = await w.stored(SCALED)
    # 100 gallons-counter ticks: stream m/d/o 2/1 -> 200, input unit 3785/1000 -> 757.0 liters (ITR)
    assert [(r["int_value"], r["value"], r["type"]) for r in scaled] == [(100, 757.0, 1), (None, 12.5, 1)]
    assert [str(r["timestamp"]) for r in scaled] == ["2026-05-05 08:31:00", "2026-05-05 08:32:00"]
    wide = [r for r in await w.stored(PLAIN) if r["int_value"] > 0xFFFFFFFF][0]
    # a StreamId clamps to 31 bits like the server's _cast (a stream without one keeps the number)
    assert wide["value"] == float(0x7FFFFFFF) and wide["status"] == 2 and wide["dirty_ts"] is not None
    status, body = await w.call("GET", f"/data/?filter={w.stream(SCALED)}")
    assert [(r["type"], r["int_value"], r["value"]) for r in body["results"]] == [("ITR", 100, 757.0),
                                                                                  ("ITR", None, 12.5)]


async def test_virtual_streams_and_streams_without_a_stream_id(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    virtual = StreamSlug(w.device.project_gid, 0, VIRTUAL).slug
    unknown_lid = StreamSlug(w.device.project_gid, w.device.device_id, 0x5777).slug
    body = [{"stream": virtual, "timestamp": WHEN, "int_value": 1},
            {"stream": unknown_lid, "timestamp": WHEN, "int_value": 0xFFFFFFFF}]
    assert await w.call("POST", "/data/", "a1", body) == (201, {"count": 2})
    assert (await w.call("GET", f"/data/?filter={virtual}"))[1]["count"] == 1
    assert (await w.call("GET", f"/data/?filter={unknown_lid}"))[1]["results"][0]["value"] == float(0xFFFFFFFF)


async def test_refused_posts_store_nothing(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    other = w.stream(PLAIN, w.other)
    block = StreamSlug(0, (1 << 48) | w.device.device_id, PLAIN).slug
    cases: list[tuple[str, Any, int]] = [
        ("disabled stream", _item(w, DISABLED), 403),
        ("disabled stream in a list", [_item(w), _item(w, DISABLED)], 403),
        ("another org's stream", _item(w, stream=other), 404),
        ("another org's stream in a list", [_item(w), _item(w, stream=other)], 404),
        ("unknown project", _item(w, stream="s--0000-0099--0000-0000-0000-1234--5001"), 404),
        ("unknown device", _item(w, stream="s--0000-0001--0000-0000-0000-9999--5001"), 404),
        ("archived stream", _item(w, stream=block), 400),
    ]
    for name, body, want in cases:
        status, _ = await w.call("POST", "/data/", "a0", body)
        assert status == want, (name, status)
    assert await w.stored() == []


BAD_ITEMS: list[tuple[str, dict[str, Any]]] = [
    ("missing stream", {"stream": None}),
    ("missing timestamp", {"timestamp": None}),
    ("padded slug", {"stream": " s--0000-0001--0000-0000-0000-1234--5001"}),
    ("bad slug", {"stream": "s--xyz"}),
    ("device slug as stream", {"stream": "d--0000-0000-0000-1234"}),
    ("bad timestamp", {"timestamp": "yesterday"}),
    ("number timestamp", {"timestamp": 1714816800}),
    ("both values", {"value": 1.5, "type": "ITR"}),
    ("no value", {"int_value": None}),
    ("string int_value", {"int_value": "5"}),
    ("float int_value", {"int_value": 5.5}),
    ("bool int_value", {"int_value": True}),
    ("huge int_value", {"int_value": 1 << 64}),
    ("string value", {"int_value": None, "value": "1.5"}),
    ("ITR int_value", {"type": "ITR"}),
    ("Num value", {"int_value": None, "value": 1.5, "type": "Num"}),
    ("unknown field", {"colour": "red"}),
    ("bad status", {"status": "ok"}),
    ("bad dirty_ts", {"dirty_ts": "yes"}),
    ("negative streamer_local_id", {"streamer_local_id": -1}),
    ("huge device_timestamp", {"device_timestamp": 1 << 70}),
]


@pytest.mark.parametrize(("name", "change"), BAD_ITEMS, ids=[n for n, _ in BAD_ITEMS])
def test_bad_items_are_refused(name: str, change: dict[str, Any]) -> None:
    item = {"stream": "s--0000-0001--0000-0000-0000-1234--5001", "timestamp": WHEN, "int_value": 7, **change}
    with pytest.raises(Exception) as caught:
        data_item({k: v for k, v in item.items() if v is not None}, 3)
    assert getattr(caught.value, "status", None) == 400 and "item 3" in str(caught.value)


async def test_bad_bodies_are_400_over_http(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    good = json.dumps(_item(w))
    raw_bodies = [
        "{", "[1, 2", '"text"', "12", "null", "[1]", good.replace("7}", "NaN}"),
        good.replace("7}", "Infinity}"), good.replace("7}", "1e999}").replace("int_value", "value"),
        good.replace('"int_value": 7', '"value": NaN, "type": "ITR"'),
        f"[{good}, {good.replace('int_value', 'colour')}]",
    ]
    headers = {**w.headers("a0"), "Content-Type": "application/json"}
    for raw in raw_bodies:
        resp = await api.post("/api/v1/data/", data=raw.encode(), headers=headers)
        assert resp.status == 400, (raw, resp.status, await resp.text())
        assert "error" in await resp.json()
    plain_text = {**w.headers("a0"), "Content-Type": "text/plain"}
    resp = await api.post("/api/v1/data/", data=good.encode(), headers=plain_text)
    assert resp.status == 400
    resp = await api.post("/api/v1/data/", data=b"[" + b" " * (5 << 20) + b"]", headers=headers)
    assert resp.status == 413
    assert await w.stored() == []


async def test_device_tokens_post_for_their_own_device_only(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    account = w.world.users["a0"]
    access = await appliance.orgs.access_for(Principal("jwt", account))
    readings = api.server.app[READINGS]
    token = Principal("a-jwt", account, device_id=w.other.device_id)
    with pytest.raises(PermissionDenied):
        await readings.posts.post_data(token, access, [data_item(_item(w), None)], many=False)
    assert await w.stored() == []
    own = Principal("a-jwt", account, device_id=w.device.device_id)
    posted = await readings.posts.post_data(own, access, [data_item(_item(w), None)], many=False)
    assert posted.count == 1 and posted.reading is not None


async def test_posts_to_a_busy_device_are_409_and_store_nothing(api: Any, appliance: Appliance) -> None:
    """While a job archives, resets or moves a device (state B*), posts are refused as uploads are."""
    from sqlalchemy import update

    from appliance.services import db
    from storage.metadata import Device

    w = await build_data_world(appliance, api)
    device_id = w.device.device_id
    await db.write(appliance.metadata, lambda s: s.execute(update(Device).where(Device.id == device_id)
                                                            .values(state="B1")))
    status, body = await w.call("POST", "/data/", "a0", [_item(w)])
    assert status == 409 and body["error"].startswith("Device is busy")
    event = {"stream": w.stream(PLAIN), "timestamp": WHEN, "extra_data": {"a": 1}}
    assert (await w.call("POST", "/event/", "a0", event))[0] == 409
    assert await w.stored(PLAIN) == []
    assert (await w.call("GET", f"/event/?filter={w.stream(PLAIN)}"))[1]["count"] == 0
