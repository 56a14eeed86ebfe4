"""note/: every caller against every endpoint, time windows, lastn, and bad input changing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, ProjectSlug
from storage.metadata import DeviceLocation, StreamNote
from tests.api.registry_support import (
    CALLERS,
    CLAIMED,
    MEMBERS,
    OTHER_DEVICE,
    SPARE,
    Registry,
    build_registry,
    db_read,
    expected,
)

DEVICE = DeviceSlug(CLAIMED).slug
READERS = MEMBERS - {"r1"}  # can_read_notes: every role but the Operator


def _counts(session: Session) -> tuple[int, int]:
    notes = session.scalar(select(func.count(StreamNote.id))) or 0
    locations = session.scalar(select(func.count(DeviceLocation.id))) or 0
    return int(notes), int(locations)


async def counts(appliance: Appliance) -> tuple[int, int]:
    """Notes and locations stored: a refused request must leave both as they were."""
    return await db_read(appliance, _counts)


def note(target: str = DEVICE, ts: str = "2024-01-01T10:00:00Z", text: str = "checked") -> dict[str, Any]:
    return {"target": target, "timestamp": ts, "note": text}


@pytest.fixture
async def reg(api: Any, appliance: Appliance) -> Registry:
    return await build_registry(appliance, api)


@pytest.mark.parametrize("target", ["device", "project"])
async def test_every_caller_posts_and_reads(reg: Registry, target: str) -> None:
    slug = DEVICE if target == "device" else ProjectSlug(reg.project.gid).slug
    for who in CALLERS:
        before = await counts(reg.appliance)
        status, body = await reg.call("POST", "/note/", who, note(slug, text=f"by {who}"))
        assert status == expected(who, MEMBERS, 201), who
        if status == 201:
            assert body["type"] == "ui" and body["target"] == slug and body["attachment"] is None
            assert body["user_info"]["slug"] == reg.world.users[who].slug
        else:
            assert await counts(reg.appliance) == before
        status, body = await reg.call("GET", f"/note/?target={slug}", who)
        assert status == expected(who, READERS, 200), who
    status, body = await reg.call("GET", f"/note/?target={slug}", "a0")
    assert [n["note"] for n in body["results"]] == [f"by {w}" for w in CALLERS if w in MEMBERS]


async def test_another_orgs_or_unclaimed_target_is_404(reg: Registry) -> None:
    for slug in (DeviceSlug(OTHER_DEVICE).slug, DeviceSlug(SPARE).slug, DeviceSlug(0xFFFF).slug,
                 ProjectSlug(reg.other_project.gid).slug):
        for method, path, body in (("GET", f"/note/?target={slug}", None), ("POST", "/note/", note(slug))):
            status, _ = await reg.call(method, path, "a0", body)
            assert status == 404, (method, slug)
    status, _ = await reg.call("GET", f"/note/?target={DeviceSlug(OTHER_DEVICE).slug}", "other")
    assert status == 200
    assert await counts(reg.appliance) == (0, 0)


async def test_time_window_and_lastn(reg: Registry) -> None:
    for hour in range(10, 15):
        status, _ = await reg.call("POST", "/note/", "m1", note(ts=f"2024-01-01T{hour}:00:00Z", text=str(hour)))
        assert status == 201

    async def texts(query: str) -> list[str]:
        status, body = await reg.call("GET", f"/note/?target={DEVICE}{query}", "m1")
        assert status == 200, body
        assert body["count"] == len(body["results"])
        return [n["note"] for n in body["results"]]

    assert await texts("") == ["10", "11", "12", "13", "14"]
    assert await texts("&start=2024-01-01T11:00:00Z&end=2024-01-01T13:00:00Z") == ["11", "12"]
    assert await texts("&lastn=2") == ["13", "14"]
    assert await texts("&lastn=2&end=2024-01-01T13:00:00") == ["11", "12"]
    assert await texts("&lastn=100") == ["10", "11", "12", "13", "14"]


async def test_block_spelling_of_a_device_is_its_b_slug(reg: Registry) -> None:
    status, _ = await reg.call("GET", "/note/?target=d--0001-0000-0000-0010", "a0")
    assert status == 404  # no such data block


BAD_POSTS: list[tuple[str, Any]] = [
    ("not json", "{nope"),
    ("a list", [note()]),
    ("missing target", {"timestamp": "2024-01-01T00:00:00Z", "note": "x"}),
    ("missing note", {"target": DEVICE, "timestamp": "2024-01-01T00:00:00Z"}),
    ("missing timestamp", {"target": DEVICE, "note": "x"}),
    ("bad date", note(ts="yesterday")),
    ("number note", {**note(), "note": 5}),
    ("unknown field", {**note(), "colour": "red"}),
    ("bad target", note(target="d--xyz")),
    ("padded target", note(target=f" {DEVICE}")),
    ("variable target", note(target="v--0000-0001--5001")),
    ("org target", note(target="^acme-corp")),
]


@pytest.mark.parametrize(("name", "body"), BAD_POSTS, ids=[name for name, _ in BAD_POSTS])
async def test_bad_posts_change_nothing(reg: Registry, name: str, body: Any) -> None:
    if isinstance(body, str):
        status, _ = await reg.call("POST", "/note/", "a0", data=body)
    else:
        status, _ = await reg.call("POST", "/note/", "a0", body)
    assert status == 400, name
    assert await counts(reg.appliance) == (0, 0)


@pytest.mark.parametrize("query", ["", "?target=", "?target=x--1", f"?target={DEVICE}&start=soon",
                                   f"?target={DEVICE}&end=2024-13-01", f"?target={DEVICE}&lastn=0",
                                   f"?target={DEVICE}&lastn=abc", f"?target={DEVICE}&lastn=100001"])
async def test_bad_reads(reg: Registry, query: str) -> None:
    status, _ = await reg.call("GET", f"/note/{query}", "a0")
    assert status == 400
