"""Refused alias and tap requests: a 4xx with a JSON error, and nothing changed in the database.

Out-of-order taps are not bad input (iotile.cloud accepts taps in any order and sorts them when it
reads; test_aliases_reads.py posts them backwards). Two taps of one alias at the same instant are
refused here (iotile.cloud accepts them, then reads one of the two streams arbitrarily)."""

from __future__ import annotations

from typing import Any

from appliance.app import Appliance
from tests.api.aliases_support import AliasWorld, build_alias_world, iso

Case = tuple[str, str, str, Any, int]  # method, path, who, body (str: raw text), status


async def _refused(w: AliasWorld, cases: list[Case]) -> None:
    """Each request fails as expected and leaves aliases and taps exactly as they were."""
    before = (w.counts(), w.tap_rows())
    for method, path, who, body, status in cases:
        if isinstance(body, str):
            got, data = await w.call(method, path, who, data=body, headers={"Content-Type": "application/json"})
        else:
            got, data = await w.call(method, path, who, body)
        assert got == status, (method, path, who, body, got, data)
        assert (w.counts(), w.tap_rows()) == before, (method, path, body)


async def _world(api: Any, appliance: Appliance) -> tuple[AliasWorld, str, str, int]:
    w = await build_alias_world(appliance, api)
    alias = await w.alias("acme")
    theirs = await w.alias("theirs", "other", w.world.other_org.slug)
    tap = await w.tap(alias, 0, w.streams[0])
    await w.tap(alias, 60, w.streams[1])
    await w.tap(theirs, 0, w.other_stream, "other")
    return w, alias, theirs, tap


async def test_bad_alias_requests(api: Any, appliance: Appliance) -> None:
    w, alias, theirs, _ = await _world(api, appliance)
    org, other_org = w.world.org.slug, w.world.other_org.slug
    await _refused(w, [
        ("POST", "/alias/", "a0", "{not json", 400),
        ("POST", "/alias/", "a0", [{"name": "x", "org": org}], 400),
        ("POST", "/alias/", "a0", {"org": org}, 400),
        ("POST", "/alias/", "a0", {"name": 5, "org": org}, 400),
        ("POST", "/alias/", "a0", {"name": "x" * 101, "org": org}, 400),
        ("POST", "/alias/", "a0", {"name": "x", "org": org, "colour": "red"}, 400),
        ("POST", "/alias/", "a0", {"name": "x", "org": ["acme"]}, 400),
        ("POST", "/alias/", "a0", {"name": "x", "org": "no-such-org"}, 404),
        ("POST", "/alias/", "a0", {"name": "x", "org": other_org}, 404),
        ("PUT", f"/alias/{alias}/", "a0", {"name": "only the name"}, 400),
        ("PATCH", f"/alias/{alias}/", "a0", {"name": ""}, 400),
        ("PATCH", f"/alias/{alias}/", "a0", {"org": other_org}, 404),
        ("PATCH", f"/alias/{alias}/", "staff", {"org": other_org}, 400),  # its taps read Acme streams
        ("PATCH", f"/alias/{theirs}/", "a0", {"name": "mine now"}, 404),
        ("DELETE", f"/alias/{theirs}/", "a0", None, 404),
        ("GET", "/alias/a--zz/", "a0", None, 400),
        ("GET", "/alias/a--0000-0000-0000-0000-0001/", "a0", None, 400),
        ("GET", "/alias/d--0000-0000-0000-0001/", "a0", None, 400),
        ("GET", "/alias/a--0000-0000-0000-0099/", "a0", None, 404),
        ("DELETE", "/alias/a--0000-0000-0000-0099/", "staff", None, 404),
    ])


async def test_alias_without_taps_may_move(api: Any, appliance: Appliance) -> None:
    w, _, _, _ = await _world(api, appliance)
    empty = await w.alias("empty")
    status, body = await w.call("PATCH", f"/alias/{empty}/", "staff", {"org": w.world.other_org.slug})
    assert status == 200 and body["org"] == w.world.other_org.slug
    assert (await w.call("GET", f"/alias/{empty}/", "a0"))[0] == 404
    assert (await w.call("GET", f"/alias/{empty}/", "other"))[0] == 200


async def test_bad_tap_requests(api: Any, appliance: Appliance) -> None:
    w, alias, theirs, tap = await _world(api, appliance)
    s1, s2, _ = w.streams

    def body(**changes: Any) -> dict[str, Any]:
        return {"alias": alias, "timestamp": iso(30), "stream": s2, **changes}

    await _refused(w, [
        ("POST", "/tap/", "a0", "[", 400),
        ("POST", "/tap/", "a0", body(timestamp="yesterday"), 400),
        ("POST", "/tap/", "a0", body(timestamp=1474963220), 400),
        ("POST", "/tap/", "a0", body(timestamp="2016-13-45T10:00:00Z"), 400),
        ("POST", "/tap/", "a0", {"alias": alias, "stream": s2}, 400),
        ("POST", "/tap/", "a0", body(stream=None), 400),
        ("POST", "/tap/", "a0", body(extra=1), 400),
        ("POST", "/tap/", "a0", body(timestamp=iso(0)), 400),  # a tap already starts then
        ("POST", "/tap/", "a0", body(timestamp=iso(0).replace("Z", "+00:00")), 400),
        ("POST", "/tap/", "a0", body(timestamp="2026-05-04T12:01:00+02:00"), 400),  # = iso(60)
        ("POST", "/tap/", "a0", body(stream=w.other_stream), 400),
        ("POST", "/tap/", "staff", body(stream=w.other_stream), 400),  # "Stream is not in the Org of Alias"
        ("POST", "/tap/", "a0", body(stream="s--0000-0001--0000-0000-0000-0999--5001"), 400),
        ("POST", "/tap/", "a0", body(stream="s--zz"), 400),
        ("POST", "/tap/", "a0", body(stream="d--0000-0000-0000-00a1"), 400),
        ("POST", "/tap/", "a0", body(alias="a--xyz"), 400),
        ("POST", "/tap/", "a0", body(alias=theirs), 404),
        ("POST", "/tap/", "a0", body(alias="a--0000-0000-0000-0099"), 404),
        ("POST", "/tap/", "m1", body(), 403),
        ("PATCH", f"/tap/{tap}/", "a0", {"timestamp": iso(60)}, 400),
        ("PATCH", f"/tap/{tap}/", "a0", {"stream": w.other_stream}, 400),
        ("PATCH", f"/tap/{tap}/", "staff", {"alias": theirs}, 400),  # its stream is Acme's
        ("PATCH", f"/tap/{tap}/", "a0", {"alias": theirs, "stream": w.other_stream}, 404),
        ("PUT", f"/tap/{tap}/", "a0", {"timestamp": iso(5)}, 400),
        ("GET", "/tap/x/", "a0", None, 400),
        ("GET", "/tap/99999/", "a0", None, 404),
        ("GET", "/tap/?target=a--zz", "a0", None, 400),
        ("GET", "/tap/?target=s--0000-0001--0000-0000-0000-00a1--5001", "a0", None, 400),
    ])
    # the same tap may keep its own time, and a free time is accepted
    assert (await w.call("PATCH", f"/tap/{tap}/", "a0", {"timestamp": iso(0), "stream": s2}))[0] == 200
    assert (await w.call("POST", "/tap/", "a0", body()))[0] == 201


async def test_bad_alias_filters(api: Any, appliance: Appliance) -> None:
    w, alias, theirs, _ = await _world(api, appliance)
    for resource in ("data", "event"):
        assert (await w.call("GET", f"/{resource}/?filter=a--zz"))[0] == 400
        assert (await w.call("GET", f"/{resource}/?filter=a--0000-0000-0000-0000-0001"))[0] == 400
        assert (await w.call("GET", f"/{resource}/?filter=a--0000-0000-0000-0099"))[0] == 404
        assert (await w.call("GET", f"/{resource}/?filter={theirs}"))[0] == 404
        assert (await w.call("GET", f"/{resource}/?filter={alias}", "apikey"))[0] == 403
        assert (await w.call("GET", f"/{resource}/?filter={alias}", "r1"))[0] == 403
    assert (await w.call("GET", f"/stream/{alias}/data/"))[0] == 400  # iotile.cloud has no alias there either
