"""Who may do what with data blocks (every endpoint x every caller), and bad input that changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import func, select

from appliance.app import Appliance
from appliance.slugs import BlockSlug, DeviceSlug
from storage.metadata import DataBlock, Device, Job, StreamNote
from storage.streams import StreamSelector
from tests.api.registry_support import (
    CALLERS,
    CLAIMED,
    OTHER_DEVICE,
    SPARE,
    Registry,
    build_registry,
    db_read,
    expected,
    snapshot,
)

DEVICE = DeviceSlug(CLAIMED).slug
BLOCK = BlockSlug(1, CLAIMED).slug
EVERYONE = frozenset(CALLERS) - {"anonymous", "apikey"}
READERS = frozenset({"a0", "a1", "m1", "d1", "staff"})  # can_access_datablock
CREATORS = frozenset({"a0", "a1", "d1", "staff"})  # can_create_datablock
Prepare = Callable[[Registry, str, int], Awaitable[tuple[str, Any]]]


async def world_state(appliance: Appliance) -> dict[str, Any]:
    """Everything a refused data block request must leave alone."""
    def read(session: Any) -> dict[str, Any]:
        blocks = session.execute(select(DataBlock.id, DataBlock.title, DataBlock.description, DataBlock.block,
                                        DataBlock.completed_on).order_by(DataBlock.id)).all()
        return {"blocks": [tuple(b) for b in blocks], "jobs": session.scalar(select(func.count(Job.id))),
                "notes": session.scalar(select(func.count(StreamNote.id))),
                "states": session.execute(select(Device.id, Device.state).order_by(Device.id)).all()}

    readings = await asyncio.get_running_loop().run_in_executor(
        None, lambda: appliance.streams.count_data(StreamSelector()))
    return {**await snapshot(appliance), **await db_read(appliance, read), "readings": readings}


async def archived(reg: Registry, device: int = CLAIMED, who: str = "a0") -> str:
    block, pid = await reg.appliance.datablocks.create(await reg.access(who), {"device": DeviceSlug(device).slug,
                                                                              "title": "archive"})
    assert (await reg.appliance.jobs.wait(pid)).status == "done"
    return block.slug


@pytest.fixture
async def reg(api: Any, appliance: Appliance) -> Registry:
    registry = await build_registry(appliance, api)
    assert await archived(registry) == BLOCK
    return registry


def fixed(path: str, body: Any = None) -> Prepare:
    async def prepare(reg: Registry, who: str, n: int) -> tuple[str, Any]:
        return path, body

    return prepare


async def fresh_device(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    device_id = 0x100 + n
    await reg.device(device_id)
    await reg.claim(device_id, reg.project)
    return "/datablock/", {"device": DeviceSlug(device_id).slug, "title": f"by {who}"}


async def fresh_block(reg: Registry, who: str, n: int) -> tuple[str, Any]:
    return f"/datablock/{await archived(reg)}/", None


ROWS: tuple[tuple[str, str, Prepare, frozenset[str], int, bool], ...] = (
    # name, method, prepare, allowed, status when allowed, org-scoped (outsiders 404)
    ("list", "GET", fixed("/datablock/"), EVERYONE, 200, False),
    ("list of an org", "GET", fixed("/datablock/?org=acme-corp"), EVERYONE, 200, False),
    ("detail", "GET", fixed(f"/datablock/{BLOCK}/"), READERS, 200, True),
    ("extra", "GET", fixed(f"/datablock/{BLOCK}/extra/"), READERS, 200, True),
    ("patch", "PATCH", fixed(f"/datablock/{BLOCK}/", {"title": "renamed"}), READERS, 200, True),
    ("put", "PUT", fixed(f"/datablock/{BLOCK}/", {"title": "replaced", "description": "d"}), READERS, 200, True),
    ("archive", "POST", fresh_device, CREATORS, 202, True),
    ("delete", "DELETE", fresh_block, frozenset({"staff"}), 202, True),
)


@pytest.mark.parametrize("row", ROWS, ids=[row[0] for row in ROWS])
async def test_role_matrix(reg: Registry, row: tuple[str, str, Prepare, frozenset[str], int, bool]) -> None:
    name, method, prepare, allowed, ok, org_scoped = row
    for n, who in enumerate(CALLERS):
        path, body = await prepare(reg, who, n)
        want = expected(who, allowed, ok, org_scoped=org_scoped)
        before = await world_state(reg.appliance)
        status, payload = await reg.call(method, path, who, body)
        assert status == want, f"{name} as {who}: {status} {payload}, expected {want}"
        if status == 202:
            assert (await reg.appliance.jobs.wait(payload["pid"])).status == "done"
        if status >= 400:
            assert await world_state(reg.appliance) == before, f"{name} as {who} changed something"


async def test_lists_show_only_readable_orgs(reg: Registry) -> None:
    other_block = await archived(reg, OTHER_DEVICE, who="other")
    for who, slugs in (("a0", [BLOCK]), ("m1", [BLOCK]), ("r1", []), ("other", [other_block]), ("outsider", [])):
        status, body = await reg.call("GET", "/datablock/", who)
        assert (status, [b["slug"] for b in body["results"]]) == (200, slugs), who
    assert (await reg.call("GET", f"/datablock/{other_block}/", "a0"))[0] == 404
    assert (await reg.call("GET", f"/data/?filter={other_block}", "a0"))[0] == 404
    assert (await reg.call("GET", f"/data/?filter={BLOCK}", "r1"))[0] == 403  # the Operator reads no data
    assert (await reg.call("GET", f"/data/?filter={BLOCK}", "m1"))[0] == 200


BAD_ARCHIVES: tuple[tuple[str, Any, int], ...] = (
    ("not json", "{nope", 400),
    ("a list", [{"device": DEVICE, "title": "x"}], 400),
    ("empty", {}, 400),
    ("no title", {"device": DEVICE}, 400),
    ("blank title", {"device": DEVICE, "title": "  "}, 400),
    ("title not text", {"device": DEVICE, "title": 5}, 400),
    ("title too long", {"device": DEVICE, "title": "x" * 101}, 400),
    ("device not text", {"device": CLAIMED, "title": "x"}, 400),
    ("unknown field", {"device": DEVICE, "title": "x", "color": "red"}, 400),
    ("on_complete not an object", {"device": DEVICE, "title": "x", "on_complete": "yes"}, 400),
    ("on_complete unknown key", {"device": DEVICE, "title": "x", "on_complete": {"project": 1}}, 400),
    ("on_complete device a list", {"device": DEVICE, "title": "x", "on_complete": {"device": []}}, 400),
    ("busy state", {"device": DEVICE, "title": "x", "on_complete": {"device": {"state": "B1"}}}, 400),
    ("unclaim not a boolean", {"device": DEVICE, "title": "x", "on_complete": {"device": {"unclaim": "maybe"}}}, 400),
    ("label not text", {"device": DEVICE, "title": "x", "on_complete": {"device": {"label": 3}}}, 400),
    ("unknown device", {"device": "d--0000-0000-0000-9999", "title": "x"}, 404),
    ("malformed slug", {"device": "d--xyz", "title": "x"}, 404),
    ("padded slug", {"device": f" {DEVICE}", "title": "x"}, 404),
    ("bare serial", {"device": "0010", "title": "x"}, 404),
    ("a block", {"device": BLOCK, "title": "x"}, 404),
    ("a block in d-- spelling", {"device": "d--0001-0000-0000-0010", "title": "x"}, 404),
    ("another org's device", {"device": DeviceSlug(OTHER_DEVICE).slug, "title": "x"}, 404),
    ("an unclaimed device", {"device": DeviceSlug(SPARE).slug, "title": "x"}, 404),
)


@pytest.mark.parametrize("case", BAD_ARCHIVES, ids=[case[0] for case in BAD_ARCHIVES])
async def test_bad_archive_requests_change_nothing(reg: Registry, case: tuple[str, Any, int]) -> None:
    _, body, status = case
    before = await world_state(reg.appliance)
    if isinstance(body, str):
        got, payload = await reg.call("POST", "/datablock/", "a0", data=body)
    else:
        got, payload = await reg.call("POST", "/datablock/", "a0", body)
    assert got == status, payload
    assert await world_state(reg.appliance) == before


async def test_staff_cannot_archive_an_unclaimed_device(reg: Registry) -> None:
    before = await world_state(reg.appliance)
    status, payload = await reg.call("POST", "/datablock/", "staff", {"device": DeviceSlug(SPARE).slug, "title": "x"})
    assert status == 400 and "not claimed" in payload["error"]
    assert await world_state(reg.appliance) == before


@pytest.mark.parametrize(("method", "path", "body", "status"), [
    ("PATCH", f"/datablock/{BLOCK}/", {"title": ""}, 400),
    ("PATCH", f"/datablock/{BLOCK}/", {"title": 3}, 400),
    ("PATCH", f"/datablock/{BLOCK}/", {"color": "red"}, 400),
    ("PATCH", f"/datablock/{BLOCK}/", [], 400),
    ("PUT", f"/datablock/{BLOCK}/", {"description": "no title"}, 400),
    ("GET", "/datablock/b--0000-0000-0000-0010/", None, 404),
    ("GET", "/datablock/b--0009-0000-0000-0010/", None, 404),
    ("GET", "/datablock/b--zz/", None, 404),
    ("PATCH", "/datablock/b--0009-0000-0000-0010/", {"title": "x"}, 404),
    ("DELETE", "/datablock/b--0009-0000-0000-0010/", None, 404),
    ("GET", "/datablock/b--0009-0000-0000-0010/extra/", None, 404),
])
async def test_bad_block_requests_change_nothing(reg: Registry, method: str, path: str, body: Any,
                                                 status: int) -> None:
    before = await world_state(reg.appliance)
    got, payload = await reg.call(method, path, "staff" if method == "DELETE" else "a0", body)
    assert got == status, payload
    assert await world_state(reg.appliance) == before
