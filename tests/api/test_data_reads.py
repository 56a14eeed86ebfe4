"""Reads of data/, event/ and stream/<slug>/data/ over HTTP, with iotile.cloud's filters, paging and
result shapes; values checked against the stream's units."""

from __future__ import annotations

from typing import Any

from appliance.app import Appliance
from appliance.slugs import StreamSlug
from storage.streams.ids import STREAM_BLOCK
from tests.api.test_data_world import BASE, DEVICE, PLAIN, SCALED, DataWorld, build_data_world

FIRST = {
    "id": 1, "stream": "s--0000-0001--0000-0000-0000-1234--5001", "project": "p--0000-0001",
    "device": "d--0000-0000-0000-1234", "variable": "v--0000-0001--5001", "type": "Num", "device_timestamp": 0,
    "timestamp": "2026-05-04T10:00:00Z", "int_value": 10, "value": 10.0, "streamer_local_id": 1,
    "dirty_ts": False, "status": "cln",
}


async def _world(api: Any, appliance: Appliance) -> DataWorld:
    w = await build_data_world(appliance, api)
    await w.seed(PLAIN, [10, 20, 30, 40, 50])  # ids 1..5, one a minute from BASE
    await w.seed(SCALED, [1000, 0], value_scale=7.57)  # ids 6, 7
    await w.seed(PLAIN, [99], device=w.other)  # id 8, another org
    return w


async def _count(w: DataWorld, query: str, who: str = "a0") -> int:
    status, body = await w.call("GET", f"/data/?{query}", who)
    assert status == 200, body
    return int(body["count"])


async def _values(w: DataWorld, query: str) -> list[int]:
    status, body = await w.call("GET", f"/data/?{query}")
    assert status == 200, body
    return [r["int_value"] for r in body["results"]]


async def test_data_list_filters_and_shape(api: Any, appliance: Appliance) -> None:
    w = await _world(api, appliance)
    plain = w.stream(PLAIN)
    assert await w.call("GET", "/data/") == (200, {"count": 0, "next": None, "previous": None, "results": []})
    status, body = await w.call("GET", f"/data/?filter={plain}")
    assert status == 200 and body["count"] == 5 and body["results"][0] == FIRST
    counts = {query: await _count(w, f"filter={query}") for query in (
        plain, "s--1--1234--5001", w.device_slug, "v--0000-0001--5001", "p--0000-0001", w.stream(SCALED))}
    assert counts == {plain: 5, "s--1--1234--5001": 5, w.device_slug: 7, "v--0000-0001--5001": 5,
                      "p--0000-0001": 7, w.stream(SCALED): 2}
    assert await _values(w, f"filter={plain}&lastn=2") == [40, 50]
    assert await _values(w, f"filter={plain}&start=2026-05-04T10:01:00Z") == [20, 30, 40, 50]
    assert await _values(w, f"filter={plain}&end=2026-05-04T10:02:00") == [10, 20]  # naive = UTC, exclusive
    assert await _values(w, f"filter={plain}&start=2026-05-04T12:01:00%2B02:00&end=2026-05-04T10:03:00Z") == [20, 30]
    assert await _values(w, f"filter={plain}&streamer_id_0=2&streamer_id_1=3") == [20, 30]
    assert await _values(w, f"filter={plain}&streamer_id_0=2&streamer_id_0=4") == [40, 50]  # the last one counts
    assert await _values(w, f"filter={plain}&streamer_id_min=5") == [50]
    assert await _values(w, f"filter={plain}&id_0=2&id_1=2") == [20]
    assert await _values(w, f"filter={plain}&id_min=4&lastn=1") == [50]


async def test_data_paging(api: Any, appliance: Appliance) -> None:
    w = await _world(api, appliance)
    plain = w.stream(PLAIN)
    status, body = await w.call("GET", f"/data/?filter={plain}&page_size=2")
    assert status == 200 and body["count"] == 5 and len(body["results"]) == 2
    assert body["previous"] is None and "page=2" in body["next"]
    status, body = await w.call("GET", f"/data/?filter={plain}&page_size=2&page=3")
    assert [r["int_value"] for r in body["results"]] == [50] and body["next"] is None
    assert (await w.call("GET", f"/data/?filter={plain}&page_size=2&page=4"))[0] == 404
    assert (await w.call("GET", f"/data/?filter={plain}&page=0"))[0] == 404
    status, body = await w.call("GET", f"/data/?filter={plain}&page_size=100000")
    assert status == 200 and len(body["results"]) == 5


async def test_bad_read_parameters_are_400(api: Any, appliance: Appliance) -> None:
    w = await _world(api, appliance)
    plain = w.stream(PLAIN)
    for query in (f"filter={plain}&lastn=0", f"filter={plain}&lastn=-1", f"filter={plain}&lastn=100001",
                  f"filter={plain}&lastn=20000000000", f"filter={plain}&lastn=x", f"filter={plain}&start=yesterday",
                  f"filter={plain}&end=2016-09-28T11:00:00+00:00", f"filter={plain}&id_0=1.5",
                  f"filter={plain}&streamer_id_1=99999999999999999999", f"filter={plain}&streamer_ts_min=1",
                  "filter=%20" + plain, "filter=s--zz--1--5001", "filter=x--1", "filter=a--zz",
                  "filter=t--0000-0000-0000-1234--0001", "filter=ptv--0000-0001--5001", "filter=" + plain + "--1"):
        for resource in ("data", "event"):
            status, body = await w.call("GET", f"/{resource}/?{query}")
            assert status == 400, (resource, query, status, body)
    assert await _count(w, f"filter={plain}&lastn=100000") == 5


async def test_unknown_and_hidden_filters_are_404(api: Any, appliance: Appliance) -> None:
    w = await _world(api, appliance)
    other = w.stream(PLAIN, w.other)
    for query in (other, "d--0000-0000-0000-5678", "p--0000-0002", "v--0000-0002--5001", "d--0000-0000-0000-9999",
                  "s--0000-0001--0000-0000-0000-9999--5001", "p--0000-0099", "b--0001-0000-0000-1234",
                  "a--0000-0000-0000-0001"):
        assert (await w.call("GET", f"/data/?filter={query}"))[0] == 404, query
    assert await _count(w, f"filter={other}", "other") == 1
    assert await _count(w, f"filter={other}", "staff") == 1
    # readings of a stream without a StreamId belong to its device's org
    no_stream_id = StreamSlug(w.device.project_gid, DEVICE, 0x5999).slug
    assert await _count(w, f"filter={no_stream_id}") == 0
    assert (await w.call("GET", f"/data/?filter={no_stream_id}", "other"))[0] == 404


async def test_stream_data_values_like_the_server(api: Any, appliance: Appliance) -> None:
    """value 7570 l -> output_value in m3 (output unit 1/1000) -> display with 3 decimals; a zero
    value is re-derived from int_value (gallons -> liters, stream m/d/o 2/1) as the server does."""
    w = await _world(api, appliance)
    status, body = await w.call("GET", f"/stream/{w.stream(SCALED)}/data/")
    assert status == 200 and body["count"] == 2
    assert body["results"] == [
        {"type": "Num", "timestamp": "2026-05-04T10:00:00Z", "int_value": 1000, "value": 7570.0,
         "display_value": "7.570", "output_value": 7.57, "streamer_local_id": 1},
        {"type": "Num", "timestamp": "2026-05-04T10:01:00Z", "int_value": 0, "value": 0.0,
         "display_value": "0.000", "output_value": 0.0, "streamer_local_id": 2}]
    status, body = await w.call("GET", f"/stream/{w.stream(PLAIN)}/data/?lastn=1")
    assert body["results"] == [{"type": "Num", "timestamp": "2026-05-04T10:04:00Z", "int_value": 50, "value": 50.0,
                                "display_value": "50.00", "output_value": 50.0, "streamer_local_id": 5}]
    lastn = {q: (await w.call("GET", f"/stream/{w.stream(PLAIN)}/data/?lastn={q}"))[1]["count"]
             for q in ("x", "0", "2", "100001")}
    assert lastn == {"x": 5, "0": 1, "2": 2, "100001": 5}  # the server's lenient lastn
    start = f"start={BASE.isoformat()}Z&end=2026-05-04T10:02:00Z"
    assert (await w.call("GET", f"/stream/{w.stream(PLAIN)}/data/?{start}"))[1]["count"] == 2
    assert (await w.call("GET", f"/stream/{w.stream(PLAIN)}/data/?start=bad"))[0] == 400
    no_stream_id = StreamSlug(w.device.project_gid, DEVICE, 0x5999).slug
    assert (await w.call("GET", f"/stream/{no_stream_id}/data/"))[0] == 404
    assert (await w.call("GET", f"/stream/{w.stream(PLAIN, w.other)}/data/"))[0] == 404
    assert (await w.call("GET", f"/stream/{w.stream(PLAIN)}/data/", "r1"))[0] == 403
    assert (await w.call("GET", "/stream/s--nope/data/"))[0] == 400


async def test_csv_downloads(api: Any, appliance: Appliance) -> None:
    w = await _world(api, appliance)
    status, text = await w.call("GET", f"/stream/{w.stream(SCALED)}/csv/")
    assert status == 200
    assert text == "Timestamp,Value\r\n2026/05/04 10:00:00,7.57\r\n2026/05/04 10:01:00,0.0\r\n"
    assert (await w.call("GET", f"/stream/{w.stream(SCALED)}/data/?format=csv"))[1] == text
    status, text = await w.call("GET", f"/stream/{w.stream(PLAIN)}/csv/?lastn=2")
    assert text.splitlines()[1:] == ["2026/05/04 10:03:00,40.0", "2026/05/04 10:04:00,50.0"]
    status, text = await w.call("GET", f"/data/?filter={w.device_slug}&format=csv&start=2026-05-04T10:01:00Z")
    lines = text.splitlines()
    assert lines[0] == "id,stream,timestamp,device_timestamp,streamer_local_id,int_value,value,output_value,type,status"
    assert lines[1] == f"2,{w.stream(PLAIN)},2026-05-04T10:01:00Z,60,2,20,20.0,20.0,Num,cln"
    scaled_second = 1 + STREAM_BLOCK + 1  # each stream numbers its readings from its own id block
    assert lines[2] == f"{scaled_second},{w.stream(SCALED)},2026-05-04T10:01:00Z,60,2,0,0.0,0.0,Num,cln"
    assert len(lines) == 6
    assert (await w.call("GET", f"/data/?filter={w.device_slug}&format=csv", "r1"))[0] == 403
    assert (await w.call("GET", f"/data/?filter={w.stream(PLAIN, w.other)}&format=csv"))[0] == 404
    assert (await w.call("GET", "/data/?format=csv"))[0] == 400
    assert (await w.call("GET", f"/stream/{w.stream(PLAIN)}/csv/", "r1"))[0] == 403


async def test_large_csv_is_streamed_in_chunks(api: Any, appliance: Appliance) -> None:
    w = await build_data_world(appliance, api)
    await w.seed(PLAIN, list(range(25_000)), step=1)
    status, text = await w.call("GET", f"/data/?filter={w.stream(PLAIN)}&format=csv")
    lines = text.splitlines()
    assert status == 200 and len(lines) == 25_001
    assert [int(line.split(",")[5]) for line in lines[1:]] == list(range(25_000))
