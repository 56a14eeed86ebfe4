"""location/: every caller, time windows, the device's lat/lon following posts, bad input changing nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from appliance.app import Appliance
from storage.metadata import Device
from tests.api.registry_support import (
    CALLERS,
    CLAIMED,
    MEMBERS,
    OTHER_DEVICE,
    Registry,
    build_registry,
    db_read,
    expected,
)
from tests.api.test_notes import DEVICE, counts

READERS = MEMBERS - {"r1"}  # can_read_device_locations
OTHER = "d--0000-0000-0000-0020"
assert int(OTHER.replace("-", "")[1:], 16) == OTHER_DEVICE


def spot(lat: Any = 45.5, lon: Any = -122.6, ts: str = "2024-01-01T10:00:00Z", target: str = DEVICE) -> dict[str, Any]:
    return {"target": target, "timestamp": ts, "lat": lat, "lon": lon}


@pytest.fixture
async def reg(api: Any, appliance: Appliance) -> Registry:
    return await build_registry(appliance, api)


async def device_position(appliance: Appliance) -> tuple[float | None, float | None]:
    def read(session: Session) -> tuple[float | None, float | None]:
        device = session.get(Device, CLAIMED)
        assert device is not None
        return device.lat, device.lon

    return await db_read(appliance, read)


async def test_every_caller_posts_and_reads(reg: Registry) -> None:
    for n, who in enumerate(CALLERS):
        before = await counts(reg.appliance)
        status, body = await reg.call("POST", "/location/", who, spot(lat=n, lon=-n))
        assert status == expected(who, MEMBERS, 201), who
        if status == 201:
            assert body["user"] == reg.world.users[who].slug and body["lat"] == n
        else:
            assert await counts(reg.appliance) == before
        status, _ = await reg.call("GET", f"/location/?target={DEVICE}", who)
        assert status == expected(who, READERS, 200), who
    last = max(n for n, who in enumerate(CALLERS) if who in MEMBERS)
    assert await device_position(reg.appliance) == (last, -last)


async def test_another_orgs_target_is_404(reg: Registry) -> None:
    for method, path, body in (("GET", f"/location/?target={OTHER}", None), ("POST", "/location/", spot(target=OTHER))):
        status, _ = await reg.call(method, path, "a0", body)
        assert status == 404
    assert await counts(reg.appliance) == (0, 0)


async def test_time_window(reg: Registry) -> None:
    for hour in range(10, 14):
        status, _ = await reg.call("POST", "/location/", "r1", spot(lat=hour, ts=f"2024-01-01T{hour}:00:00Z"))
        assert status == 201
    status, body = await reg.call("GET", f"/location/?target={DEVICE}&start=2024-01-01T11:00:00Z"
                                         "&end=2024-01-01T13:00:00Z", "m1")
    assert status == 200 and [r["lat"] for r in body["results"]] == [11, 12] and body["count"] == 2


async def test_mask_1_clips_to_the_devices_data_mask(reg: Registry) -> None:
    for hour in range(10, 14):
        status, _ = await reg.call("POST", "/location/", "r1", spot(lat=hour, ts=f"2024-01-01T{hour}:00:00Z"))
        assert status == 201
    status, _ = await reg.call("PATCH", f"/device/{DEVICE}/mask/", "a0",
                               {"start": "2024-01-01T11:00:00Z", "end": "2024-01-01T12:30:00Z"})
    assert status == 202
    status, body = await reg.call("GET", f"/location/?target={DEVICE}&mask=1", "m1")
    assert status == 200 and [r["lat"] for r in body["results"]] == [11, 12]
    status, body = await reg.call("GET", f"/location/?target={DEVICE}&mask=1&start=2024-01-01T12:00:00Z", "m1")
    assert [r["lat"] for r in body["results"]] == [12]
    status, body = await reg.call("GET", f"/location/?target={DEVICE}", "m1")
    assert [r["lat"] for r in body["results"]] == [10, 11, 12, 13]  # without mask=1 nothing is clipped


BAD: list[tuple[str, Any]] = [
    ("not json", "[1,"),
    ("lat too high", spot(lat=90.5)),
    ("lat too low", spot(lat=-91)),
    ("lon too high", spot(lon=180.01)),
    ("lon too low", spot(lon=-200)),
    ("nan", spot(lat="nan")),
    ("bool lat", spot(lat=True)),
    ("text lon", spot(lon="east")),
    ("missing lat", {"target": DEVICE, "timestamp": "2024-01-01T00:00:00Z", "lon": 1}),
    ("bad date", spot(ts="2024-02-30T00:00:00Z")),
    ("bad target", spot(target="s--0000")),
    ("unknown field", {**spot(), "alt": 3}),
]


@pytest.mark.parametrize(("name", "body"), BAD, ids=[name for name, _ in BAD])
async def test_bad_posts_change_nothing(reg: Registry, name: str, body: Any) -> None:
    before = await device_position(reg.appliance)
    if isinstance(body, str):
        status, _ = await reg.call("POST", "/location/", "a0", data=body)
    else:
        status, _ = await reg.call("POST", "/location/", "a0", body)
    assert status == 400, name
    assert await counts(reg.appliance) == (0, 0)
    assert await device_position(reg.appliance) == before


@pytest.mark.parametrize("query", ["", f"?target={DEVICE}&start=x", "?target=p--zz"])
async def test_bad_reads(reg: Registry, query: str) -> None:
    status, _ = await reg.call("GET", f"/location/{query}", "a0")
    assert status == 400
