"""Reading through a stream alias: data/, event/ and CSV stitch three physical streams by tap time,
and start/end/lastn/paging apply to the stitched series."""

from __future__ import annotations

import csv
import io
from typing import Any

from appliance.app import Appliance
from tests.api.aliases_support import AliasWorld, build_alias_world, iso

# Each stream has a reading every 10 s from BASE (0..110 s); stream k's values are 100 * k + step.
TAPS = ((20, 0), (60, 1), (90, 2))  # (seconds, stream index): s1 from 20 s, s2 from 60 s, s3 from 90 s
STITCHED = [(20, 0, 2), (30, 0, 3), (40, 0, 4), (50, 0, 5), (60, 1, 106), (70, 1, 107), (80, 1, 108),
            (90, 2, 209), (100, 2, 210), (110, 2, 211)]  # (seconds, stream index, int_value)


async def _stitched_world(api: Any, appliance: Appliance) -> tuple[AliasWorld, str]:
    w = await build_alias_world(appliance, api)
    for k, stream in enumerate(w.streams):
        await w.seed(stream, [100 * k + step for step in range(12)])
    await w.seed(w.other_stream, [900 + step for step in range(12)])
    alias = await w.alias("stitched")
    for seconds, k in reversed(TAPS):  # taps may be added in any order; reads sort them by time
        await w.tap(alias, seconds, w.streams[k])
    return w, alias


def _expected(w: AliasWorld, rows: list[tuple[int, int, int]]) -> list[tuple[str, str, int]]:
    return [(iso(seconds), w.streams[k], value) for seconds, k, value in rows]


async def _series(w: AliasWorld, query: str, who: str = "a0") -> tuple[int, list[tuple[str, str, int]]]:
    status, body = await w.call("GET", f"/data/?{query}", who)
    assert status == 200, body
    return body["count"], [(r["timestamp"], r["stream"], r["int_value"]) for r in body["results"]]


async def test_data_is_stitched_across_three_streams(api: Any, appliance: Appliance) -> None:
    w, alias = await _stitched_world(api, appliance)
    assert await _series(w, f"filter={alias}") == (10, _expected(w, STITCHED))
    assert await _series(w, f"filter={alias}", "m1") == (10, _expected(w, STITCHED))
    window = f"filter={alias}&start={iso(45)}&end={iso(95)}"  # start inclusive, end exclusive
    assert await _series(w, window) == (5, _expected(w, STITCHED[3:8]))
    assert await _series(w, f"filter={alias}&start={iso(50)}&end={iso(90)}") == (4, _expected(w, STITCHED[3:7]))
    assert await _series(w, f"filter={alias}&lastn=4") == (4, _expected(w, STITCHED[6:]))
    assert await _series(w, f"{window}&lastn=2") == (2, _expected(w, STITCHED[6:8]))
    assert await _series(w, f"filter={alias}&page_size=3&page=2") == (10, _expected(w, STITCHED[3:6]))
    assert await _series(w, f"filter={alias}&start={iso(200)}") == (0, [])
    assert await _series(w, f"filter={alias}&mask=1") == (10, _expected(w, STITCHED))  # an alias has no mask


async def test_csv_is_stitched(api: Any, appliance: Appliance) -> None:
    w, alias = await _stitched_world(api, appliance)
    status, text = await w.call("GET", f"/data/?filter={alias}&format=csv")
    assert status == 200
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["timestamp"], r["stream"], int(r["int_value"])) for r in rows] == _expected(w, STITCHED)
    status, text = await w.call("GET", f"/data/?filter={alias}&format=csv&start={iso(45)}&end={iso(95)}&lastn=3")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["timestamp"], r["stream"], int(r["int_value"])) for r in rows] == _expected(w, STITCHED[5:8])


async def test_events_are_stitched(api: Any, appliance: Appliance) -> None:
    w, alias = await _stitched_world(api, appliance)
    await w.seed_events(w.streams[0], [0, 30, 70])
    await w.seed_events(w.streams[1], [65, 95])
    await w.seed_events(w.streams[2], [85, 90, 120])
    status, body = await w.call("GET", f"/event/?filter={alias}")
    assert status == 200
    got = [(r["timestamp"], r["stream"], r["extra_data"]) for r in body["results"]]
    assert got == [(iso(30), w.streams[0], {"at": 30}), (iso(65), w.streams[1], {"at": 65}),
                   (iso(90), w.streams[2], {"at": 90}), (iso(120), w.streams[2], {"at": 120})]
    status, body = await w.call("GET", f"/event/?filter={alias}&lastn=1")
    assert [r["extra_data"] for r in body["results"]] == [{"at": 120}]


async def test_tap_changes_move_the_seams(api: Any, appliance: Appliance) -> None:
    w, alias = await _stitched_world(api, appliance)
    status, taps = await w.call("GET", f"/tap/?target={alias}")
    by_time = {t["timestamp"]: t["id"] for t in taps["results"]}
    assert (await w.call("PATCH", f"/tap/{by_time[iso(60)]}/", "a0", {"timestamp": iso(80)}))[0] == 200
    moved = STITCHED[:4] + [(60, 0, 6), (70, 0, 7)] + STITCHED[6:]  # s1 now reads until 80 s
    assert await _series(w, f"filter={alias}") == (10, _expected(w, moved))
    assert (await w.call("DELETE", f"/tap/{by_time[iso(20)]}/"))[0] == 204
    assert await _series(w, f"filter={alias}&end={iso(90)}") == (1, _expected(w, [(80, 1, 108)]))
    for tap in (await w.call("GET", f"/tap/?target={alias}"))[1]["results"]:
        assert (await w.call("DELETE", f"/tap/{tap['id']}/"))[0] == 204
    assert await _series(w, f"filter={alias}") == (0, [])  # an alias without taps reads nothing
