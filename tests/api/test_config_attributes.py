"""config/name/ and config/attr/: every endpoint × every caller, the device → project → org → user
search at every level (and from a data block), system notes on every change, bad input changing nothing."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import BlockSlug, DeviceSlug, ProjectSlug
from storage.metadata.models import ConfigAttribute, ConfigAttributeName, DataBlock, StreamNote
from tests.api.test_properties import ACME, CALLERS, PROJECT_WRITERS, READERS, call, expected
from tests.support.devices import claimed_device
from tests.support.world import World, build_world

DEVICE = 0x200
NAME = ":classic:ui:trip"
SIGNED_IN = frozenset(CALLERS) - {"anonymous"}


def counts(appliance: Appliance) -> tuple[int, int, int]:
    def run(s: Session) -> tuple[int, int, int]:
        return tuple(s.scalar(select(func.count()).select_from(model)) or 0  # type: ignore[return-value]
                     for model in (ConfigAttributeName, ConfigAttribute, StreamNote))
    return appliance.metadata.read_sync(run)


def notes_on(appliance: Appliance, target: str) -> list[str]:
    return appliance.metadata.read_sync(lambda s: list(s.scalars(
        select(StreamNote.note).where(StreamNote.target_slug == target, StreamNote.type == "si")
        .order_by(StreamNote.id))))


async def setup(appliance: Appliance, api: Any) -> tuple[World, str, str]:
    world = await build_world(appliance)
    dev = await claimed_device(appliance, world.org.id, DEVICE)
    status, _ = await call(api, world, "staff", "POST", "/config/name/", {"name": NAME, "tags": ["ui"]})
    assert status == 201
    return world, DeviceSlug(DEVICE).slug, ProjectSlug(dev.project_gid).slug


def user_slug(world: World, who: str) -> str:
    return f"@{world.users[who].slug}"


async def test_name_roles_and_filters(appliance: Appliance, api: Any) -> None:
    world, _, _ = await setup(appliance, api)
    for n, who in enumerate(CALLERS):
        status, _ = await call(api, world, who, "POST", "/config/name/", {"name": f":x:n{n}", "tags": ["x"]})
        assert status == expected(who, frozenset({"staff"}), 201, SIGNED_IN), who
        status, data = await call(api, world, who, "GET", "/config/name/")
        assert status == expected(who, SIGNED_IN), who
    assert data["count"] == 2
    status, data = await call(api, world, "r1", "GET", "/config/name/?search=UI:T")
    assert [r["name"] for r in data["results"]] == [NAME]
    status, data = await call(api, world, "r1", "GET", "/config/name/?tag=x")
    assert [r["name"] for r in data["results"]] == [f":x:n{CALLERS.index('staff')}"]


async def test_malformed_names_change_nothing(appliance: Appliance, api: Any) -> None:
    world, device, _ = await setup(appliance, api)
    before = counts(appliance)
    for name in ("", ":", "a:b", "classic", ":a b", ":a::b", ":a:", ":" + "a" * 64, 12, None, [":a"]):
        status, data = await call(api, world, "staff", "POST", "/config/name/", {"name": name})
        assert status == 400 and "error" in data, name
        status, data = await call(api, world, "a0", "POST", "/config/attr/", {"target": device, "name": name,
                                                                                 "data": {"a": 1}})
        assert status == 400 and "error" in data, name
    for body in ({"name": NAME}, {"name": ":a:b", "tags": "ui"}, {"name": ":a:b", "tags": [1]},
                 {"name": ":a:b", "colour": 1}):
        status, _ = await call(api, world, "staff", "POST", "/config/name/", body)
        assert status == 400, body
    status, _ = await call(api, world, "a0", "GET", f"/config/attr/search/?target={device}&name=a:b")
    assert status == 400
    assert counts(appliance) == before


async def test_attr_bad_input_changes_nothing(appliance: Appliance, api: Any) -> None:
    world, device, _ = await setup(appliance, api)
    status, data = await call(api, world, "a0", "POST", "/config/attr/", {"target": device, "name": NAME,
                                                                             "data": {"a": 1}})
    assert status == 201
    pk, before = data["id"], counts(appliance)
    for body in ({"target": device, "name": NAME, "data": [1]}, {"target": device, "name": NAME, "data": "x"},
                 {"target": device, "name": NAME}, {"target": device, "name": ":not:declared", "data": {}},
                 {"target": device, "name": NAME, "data": {}, "log_as_note": "yes"},
                 {"target": device, "name": NAME, "data": {}, "extra": 1},
                 {"target": "s--0000-0001--0000-0000-0000-0200--5001", "name": NAME, "data": {}},
                 {"target": "^bad slug", "name": NAME, "data": {}}, {"target": 5, "name": NAME, "data": {}}):
        status, data = await call(api, world, "a0", "POST", "/config/attr/", body)
        assert status == 400 and "error" in data, body
    for method in ("PUT", "PATCH"):
        status, _ = await call(api, world, "a0", method, f"/config/attr/{pk}/", {"data": {"a": 2}})
        assert status == 400
    for path in ("/config/attr/", f"/config/attr/search/?target={device}", f"/config/attr/search/?name={NAME}"):
        status, _ = await call(api, world, "a0", "GET", path)
        assert status == 400, path
    assert counts(appliance) == before
    assert (await call(api, world, "a0", "GET", f"/config/attr/{pk}/"))[1]["data"] == {"a": 1}


async def test_attr_roles(appliance: Appliance, api: Any) -> None:
    world, device, project = await setup(appliance, api)
    org = f"^{world.org.slug}"
    for n, who in enumerate(CALLERS):
        for target, allowed in ((device, READERS), (project, PROJECT_WRITERS), (org, PROJECT_WRITERS)):
            status, data = await call(api, world, who, "POST", "/config/attr/",
                                      {"target": target, "name": NAME, "data": {"n": n}})
            assert status == expected(who, allowed, 201), (who, target, data)
            status, data = await call(api, world, who, "GET", f"/config/attr/?target={target}")
            assert status == expected(who, ACME), (who, target, data)
            status, data = await call(api, world, who, "GET", f"/config/attr/search/?target={target}&name={NAME}")
            assert status == expected(who, ACME), (who, target, data)
    pk = (await call(api, world, "a0", "GET", f"/config/attr/?target={org}"))[1]["results"][0]["id"]
    for who in CALLERS:
        status, _ = await call(api, world, who, "GET", f"/config/attr/{pk}/")
        assert status == expected(who, ACME), who
    for who in ("r1", "m1", "other", "outsider", "anonymous"):
        status, _ = await call(api, world, who, "DELETE", f"/config/attr/{pk}/")
        assert status == expected(who, frozenset()), who
    assert (await call(api, world, "a1", "DELETE", f"/config/attr/{pk}/"))[0] == 204
    assert notes_on(appliance, org)[-1] == f"Attribute {NAME} was deleted"


async def test_user_targets_belong_to_their_user(appliance: Appliance, api: Any) -> None:
    world, _, _ = await setup(appliance, api)
    target = user_slug(world, "m1")
    for who in CALLERS:
        status, data = await call(api, world, who, "POST", "/config/attr/",
                                  {"target": target, "name": NAME, "data": {"who": who}})
        assert status == expected(who, frozenset({"m1", "staff"}), 201, frozenset()), (who, data)
        status, data = await call(api, world, who, "GET", f"/config/attr/?target={target}")
        assert status == expected(who, frozenset({"m1", "staff"}), 200, frozenset()), who
    status, _ = await call(api, world, "a0", "GET", "/config/attr/?target=@nobody-here")
    assert status == 404
    assert len(notes_on(appliance, target)) == 2


def add_block(appliance: Appliance, org_id: int, device_id: int, block: int) -> None:
    appliance.metadata.write_sync(lambda s: s.add(DataBlock(
        org_id=org_id, title="archive", device_id=device_id, block=block,
        completed_on=datetime.now(timezone.utc))))


async def _search(api: Any, world: World, who: str, target: str) -> Any:
    status, data = await call(api, world, who, "GET", f"/config/attr/search/?target={target}&name={NAME}")
    return data["data"] if status == 200 else status


async def test_search_priority_at_every_level(appliance: Appliance, api: Any) -> None:
    world, device, project = await setup(appliance, api)
    add_block(appliance, world.org.id, DEVICE, 1)
    block = BlockSlug(1, DEVICE).slug
    levels = {"user": user_slug(world, "a0"), "org": f"^{world.org.slug}", "project": project, "device": device}
    assert await _search(api, world, "a0", device) == 404
    ids = {}
    for level, target in levels.items():  # from the bottom of the priority up, so each one wins in turn
        status, data = await call(api, world, "a0", "POST", "/config/attr/",
                                  {"target": target, "name": NAME, "data": {"level": level}})
        assert status == 201 and data["target"] == target
        ids[level] = data["id"]
        assert await _search(api, world, "a0", device) == {"level": level}
        assert notes_on(appliance, target) == [f"Attribute {NAME} was changed to:\n--> level: {level}"]
    assert await _search(api, world, "a0", project) == {"level": "project"}
    assert await _search(api, world, "a0", levels["org"]) == {"level": "org"}
    assert await _search(api, world, "a0", block) == {"level": "org"}  # a block skips the project
    assert await _search(api, world, "a0", DeviceSlug((1 << 48) | DEVICE).slug) == {"level": "org"}
    assert await _search(api, world, "a1", levels["user"]) == 404  # someone else's user target
    for level in ("device", "project", "org"):
        assert (await call(api, world, "a0", "DELETE", f"/config/attr/{ids[level]}/"))[0] == 204
    assert await _search(api, world, "a0", device) == {"level": "user"}
    assert await _search(api, world, "a1", device) == 404  # a1's own @user has nothing
    for n, level in enumerate(("block", "block2")):  # the second POST overwrites, with its own note
        status, data = await call(api, world, "a0", "POST", "/config/attr/",
                                  {"target": block, "name": NAME, "data": {"level": level}})
        assert status == 201 and len(notes_on(appliance, block)) == n + 1
        assert await _search(api, world, "m1", block) == {"level": level}
