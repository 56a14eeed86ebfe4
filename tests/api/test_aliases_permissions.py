"""alias/ and tap/ (and reads through an alias): every endpoint × every caller, as iotile.cloud's
streamalias views decide it (lists for members, everything else can_manage_stream_aliases) with
the appliance's 404 for another org's objects."""

from __future__ import annotations

from typing import Any

from appliance.app import Appliance
from tests.api.aliases_support import (
    CALLERS,
    MANAGERS,
    MEMBERS,
    READERS,
    AliasWorld,
    build_alias_world,
    expected,
    iso,
)

EVERYONE = frozenset(CALLERS) - {"anonymous", "apikey"}


async def _alias_cases(w: AliasWorld, n: int) -> list[tuple[str, str, Any, frozenset[str], int]]:
    shown, gone = await w.alias(f"shown{n}"), await w.alias(f"gone{n}")
    org = w.world.org.slug
    return [
        ("GET", "/alias/", None, EVERYONE, 200),
        ("GET", f"/alias/?org={org}", None, MEMBERS, 200),
        ("POST", "/alias/", {"name": f"new{n}", "org": org}, MANAGERS, 201),
        ("GET", f"/alias/{shown}/", None, MANAGERS, 200),
        ("PATCH", f"/alias/{shown}/", {"name": f"patched{n}"}, MANAGERS, 200),
        ("PUT", f"/alias/{shown}/", {"name": f"put{n}", "org": org}, MANAGERS, 200),
        ("DELETE", f"/alias/{gone}/", None, MANAGERS, 204),
    ]


async def _tap_cases(w: AliasWorld, n: int) -> list[tuple[str, str, Any, frozenset[str], int]]:
    alias = await w.alias(f"taps{n}")
    s1, s2, _ = w.streams
    tap, gone = await w.tap(alias, 0, s1), await w.tap(alias, 10, s1)
    return [
        ("GET", "/tap/", None, EVERYONE, 200),
        ("GET", f"/tap/?target={alias}", None, MEMBERS, 200),
        ("POST", "/tap/", {"alias": alias, "timestamp": iso(100), "stream": s2}, MANAGERS, 201),
        ("GET", f"/tap/{tap}/", None, MANAGERS, 200),
        ("PATCH", f"/tap/{tap}/", {"stream": s2}, MANAGERS, 200),
        ("PUT", f"/tap/{tap}/", {"alias": alias, "timestamp": iso(5), "stream": s1}, MANAGERS, 200),
        ("DELETE", f"/tap/{gone}/", None, MANAGERS, 204),
        ("GET", f"/data/?filter={alias}", None, READERS, 200),
        ("GET", f"/data/?filter={alias}&format=csv", None, READERS, 200),
        ("GET", f"/event/?filter={alias}", None, READERS, 200),
    ]


async def test_alias_and_tap_roles(api: Any, appliance: Appliance) -> None:
    w = await build_alias_world(appliance, api)
    for n, who in enumerate(CALLERS):
        for method, path, body, allowed, ok in await _alias_cases(w, n) + await _tap_cases(w, n):
            status, data = await w.call(method, path, who, body)
            assert status == expected(who, allowed, ok), (who, method, path, status, data)
    names = {name for name, _ in w.counts()[2]}
    assert {f"new{CALLERS.index(who)}" for who in MANAGERS} <= names
    assert not {f"new{CALLERS.index(who)}" for who in set(CALLERS) - MANAGERS} & names
    assert not {f"gone{CALLERS.index(who)}" for who in MANAGERS} & names
    assert {f"gone{CALLERS.index(who)}" for who in set(CALLERS) - MANAGERS} <= names


async def test_lists_show_the_callers_orgs_only(api: Any, appliance: Appliance) -> None:
    w = await build_alias_world(appliance, api)
    acme = await w.alias("acme")
    mine = await w.alias("theirs", "other", w.world.other_org.slug)
    await w.tap(acme, 0, w.streams[0])
    await w.tap(mine, 0, w.other_stream, "other")
    counts = {}
    for who in ("a0", "m1", "r1", "other", "outsider", "staff"):
        counts[who] = [(await w.call("GET", path, who))[1]["count"] for path in ("/alias/", "/tap/")]
    assert counts == {"a0": [1, 1], "m1": [1, 1], "r1": [1, 1], "other": [1, 1], "outsider": [0, 0],
                      "staff": [0, 0]}  # staff see what they are members of, as on iotile.cloud
    assert [(await w.call("GET", path, "staff"))[1]["count"] for path in ("/alias/?staff=1", "/tap/?staff=1")] \
        == [2, 2]
    status, body = await w.call("GET", f"/alias/?org={w.world.other_org.slug}", "other")
    assert status == 200 and [a["slug"] for a in body["results"]] == [mine]
    assert (await w.call("GET", f"/alias/?org={w.world.other_org.slug}", "a0"))[0] == 404
    assert (await w.call("GET", "/alias/?org=no-such-org", "a0"))[0] == 404
    assert (await w.call("GET", f"/tap/?target={mine}", "a0"))[0] == 404
    assert (await w.call("GET", "/tap/?target=a--0000-0000-0000-0099", "a0"))[0] == 404


async def test_alias_and_tap_shapes(api: Any, appliance: Appliance) -> None:
    w = await build_alias_world(appliance, api)
    status, alias = await w.call("POST", "/alias/", "a1", {"name": "Tank level", "org": w.world.org.slug})
    assert status == 201
    assert set(alias) == {"id", "slug", "gid", "name", "org", "created_on", "created_by"}
    assert alias["slug"] == f"a--{alias['gid']}" and alias["gid"] == f"0000-0000-0000-{alias['id']:04x}"
    assert (alias["name"], alias["org"], alias["created_by"]) == ("Tank level", w.world.org.slug,
                                                                  w.world.users["a1"].slug)
    status, tap = await w.call("POST", "/tap/", "d1", {"alias": alias["slug"], "timestamp": "2016-09-28T10:00:20Z",
                                                      "stream": w.streams[2]})
    assert status == 201
    assert {k: tap[k] for k in ("alias", "timestamp", "stream", "created_by")} == {
        "alias": alias["slug"], "timestamp": "2016-09-28T10:00:20Z", "stream": w.streams[2],
        "created_by": w.world.users["d1"].slug}
    assert (await w.call("GET", f"/tap/{tap['id']}/"))[1] == tap
    assert (await w.call("GET", f"/alias/{alias['slug']}/"))[1] == alias
    short = "a--" + format(alias["id"], "x")  # a short id reads the same alias, as other slugs do
    assert (await w.call("GET", f"/alias/{short}/"))[1] == alias
    status, page = await w.call("GET", f"/tap/?target={alias['slug']}")
    assert status == 200 and page["results"] == [tap]
    assert (await w.call("DELETE", f"/alias/{alias['slug']}/"))[0] == 204
    assert w.counts()[:2] == (0, 0)  # the alias's taps went with it
