"""The columnar read path (appliance/services/data_arrays.py) against the record path and the API.

Every reading drawn is a stored reading; buckets keep each bucket's true minimum and maximum; the
CSV written from columns is byte for byte the API's ``/api/v1/data/?format=csv`` for the same range,
NaN values, missing sequence numbers, microsecond times and an output unit included; and the
arrays obey the data service's permission rule.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
import pytest
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.errors import NotFound, PermissionDenied, ValidationError
from appliance.services.auth import Principal
from appliance.services.data import ReadQuery
from appliance.services.data_arrays import micros
from appliance.services.data_arrays_csv import stream_csv_chunks
from appliance.services.permissions import Access
from appliance.slugs import StreamSlug
from storage.metadata import StreamId, VarType, VarTypeOutputUnit
from storage.streams import DataBatch
from storage.streams.arrays import interleave
from tests.support.devices import ClaimedDevice, claimed_device
from tests.support.world import World, build_world

FIRST = datetime(2026, 1, 5, tzinfo=timezone.utc)
N = 30_000
LID, SCALED = 0x5001, 0x5002


def values(count: int) -> np.ndarray:
    y = np.sin(np.arange(count) / 50.0) * 10.0 + np.arange(count) % 7
    y[[3, 500, 501]] = np.nan  # encoded-stream elements without a number
    y[700] = np.inf
    return y


async def store(appliance: Appliance, device: ClaimedDevice, lid: int, count: int, step_us: int) -> None:
    start = np.datetime64(FIRST.replace(tzinfo=None), "us")
    seq = np.arange(1, count + 1, dtype=np.int64)
    batch = DataBatch(project=np.full(count, device.project_gid, np.uint32),
                      device=np.full(count, device.device_id, np.uint64), variable=np.full(count, lid, np.uint16),
                      timestamp=start + (np.arange(count) * step_us).astype("timedelta64[us]"),
                      streamer_local_id=np.where(seq % 1000 == 0, 0, seq),  # some without a sequence number
                      int_value=np.arange(count, dtype=np.int64), value=values(count))
    await asyncio.wrap_future(appliance.streams.append_data(batch))


def give_output_unit(session: Session, device: ClaimedDevice) -> None:
    kind = VarType(name="Temperature", slug="temperature", storage_units_full="Celsius", stream_data_type="D0")
    session.add(kind)
    session.flush()
    unit = VarTypeOutputUnit(var_type_id=kind.id, slug="out--temperature--f", unit_full="Fahrenheit",
                             unit_short="F", m=9, d=5, o=32.0)
    session.add(unit)
    session.flush()
    row = session.query(StreamId).filter_by(device_gid=device.device_id, var_lid=SCALED).one()
    row.output_unit_id = unit.id


@pytest.fixture
async def data(appliance: Appliance) -> tuple[World, ClaimedDevice]:
    world = await build_world(appliance)
    device = await claimed_device(appliance, world.org.id, 0xA1, lids=(LID, SCALED))
    await store(appliance, device, LID, N, 10_000_000)
    await store(appliance, device, SCALED, 2_500, 1_234_567)  # times with microseconds
    await asyncio.wrap_future(appliance.metadata.write(lambda s: give_output_unit(s, device)))
    return world, device


async def access_of(world: World, who: str) -> Access:
    return await world.appliance.orgs.access_for(Principal("jwt", world.users[who]))


def slug(device: ClaimedDevice, lid: int = LID) -> str:
    return StreamSlug(device.project_gid, device.device_id, lid).slug


async def test_values_are_the_api_readings_with_a_number(appliance: Appliance, data: Any) -> None:
    world, device = data
    access = await access_of(world, "m1")
    start, end = FIRST + timedelta(seconds=995), FIRST + timedelta(seconds=9_005)
    arrays = await appliance.reading_arrays.values(access, slug(device), start, end)
    page = await appliance.readings.data_page(access, slug(device), ReadQuery(start=start, end=end))
    kept = [r for r in page.rows if r.value is not None]
    assert arrays.complete and arrays.readings == len(kept) == 798  # 801, less NaN (500, 501), inf (700)
    assert arrays.t_us.tolist() == [micros(r.timestamp) for r in kept]
    assert arrays.value.tolist() == [r.value for r in kept]


async def test_minmax_keeps_each_buckets_extremes(appliance: Appliance, data: Any) -> None:
    world, device = data
    access = await access_of(world, "a0")
    start, end = FIRST, FIRST + timedelta(seconds=10 * N)
    bucketed = await appliance.reading_arrays.minmax(access, slug(device), start, end, 600)
    assert bucketed.bucket_us == 10 * N * 1_000_000 // 600 and bucketed.readings == N - 4
    assert 600 < bucketed.t_us.size <= 2 * 600 + 2  # two per bucket, plus the range's first and last reading
    t = np.arange(N) * 10_000_000 + micros(FIRST)
    y = values(N)
    finite = np.isfinite(y)
    drawn = dict(zip(t[finite].tolist(), y[finite].tolist(), strict=True))
    assert all(drawn[ts] == v for ts, v in zip(bucketed.t_us.tolist(), bucketed.value.tolist(), strict=True))
    buckets = (t - micros(FIRST)) // bucketed.bucket_us
    for number in (0, 1, 299, 599):
        inside = finite & (buckets == number)
        mine = bucketed.value[(bucketed.t_us - micros(FIRST)) // bucketed.bucket_us == number]
        assert mine.min() == y[inside].min() and mine.max() == y[inside].max()
    assert np.all(np.diff(bucketed.t_us) > 0)
    assert (bucketed.t_us[0], bucketed.t_us[-1]) == (t[finite][0], t[finite][-1])  # the line spans the data


async def test_view_reads_every_reading_when_zoomed_in(appliance: Appliance, data: Any) -> None:
    world, device = data
    access = await access_of(world, "a0")
    near = await appliance.reading_arrays.view(access, slug(device), FIRST, FIRST + timedelta(seconds=5_000),
                                               buckets=400)
    assert near.complete and near.readings == near.t_us.size == 499  # 500, less the NaN at 3
    far = await appliance.reading_arrays.view(access, slug(device), None, None, buckets=400)
    assert not far.complete and far.readings == N - 4 and far.t_us.size <= 802
    assert far.t_us[0] == micros(FIRST) and far.end_us == micros(FIRST) + (N - 1) * 10_000_000 + 1
    extent = await appliance.reading_arrays.extent(access, slug(device))
    assert extent is not None and extent.first == FIRST and extent.readings == N - 4


async def test_view_with_neighbours_reaches_past_both_ends(appliance: Appliance, data: Any) -> None:
    world, device = data
    access = await access_of(world, "a0")
    start, end = FIRST + timedelta(seconds=4_000), FIRST + timedelta(seconds=5_030)  # 400..502, NaN at 500, 501
    near = await appliance.reading_arrays.view(access, slug(device), start, end, buckets=400, neighbours=True)
    assert near.readings == 101 and near.t_us.size == 103
    assert near.t_us[0] == micros(start) - 10_000_000 and near.t_us[-1] == micros(end)
    far = await appliance.reading_arrays.view(access, slug(device), start, end, buckets=10, neighbours=True)
    assert not far.complete and far.t_us[0] == near.t_us[0] and far.t_us[-1] == near.t_us[-1]
    edge = await appliance.reading_arrays.view(access, slug(device), FIRST, end, buckets=400, neighbours=True)
    assert edge.t_us[0] == micros(FIRST)  # nothing before the first reading


def test_interleave_orders_each_pair_and_drops_a_single_reading() -> None:
    pairs = interleave([5, 20, 30], [1.0, 0.0, 2.0], [3, 25, 30], [9.0, 4.0, 2.0])
    assert pairs.t_us.tolist() == [3, 5, 20, 25, 30]
    assert pairs.value.tolist() == [9.0, 1.0, 0.0, 4.0, 2.0]


@pytest.mark.parametrize("lid", [LID, SCALED])
async def test_csv_is_the_apis_csv(appliance: Appliance, api: Any, data: Any, lid: int) -> None:
    world, device = data
    access = await access_of(world, "m1")
    start = FIRST + timedelta(seconds=3, microseconds=250_000)
    end = FIRST + timedelta(seconds=2_900, microseconds=1)
    chunks = [c async for c in stream_csv_chunks(appliance.reading_arrays, access, slug(device, lid), start, end,
                                                 page=97)]
    response = await api.get("/api/v1/data/", headers=world.headers("m1"),
                             params={"filter": slug(device, lid), "format": "csv", "start": start.isoformat(),
                                     "end": end.isoformat()})
    assert response.status == 200
    expected = await response.read()
    assert b"".join(c.data for c in chunks) == expected
    assert sum(c.rows for c in chunks) == expected.count(b"\r\n") - 1 > 97
    assert await appliance.reading_arrays.count(access, slug(device, lid), start, end) == sum(c.rows for c in chunks)


@pytest.mark.parametrize(("who", "error"), [("r1", PermissionDenied), ("outsider", NotFound),
                                            ("other", NotFound)])
async def test_arrays_obey_the_data_permissions(appliance: Appliance, data: Any, who: str,
                                                error: type[Exception]) -> None:
    world, device = data
    access = await access_of(world, who)
    with pytest.raises(error):
        await appliance.reading_arrays.values(access, slug(device), None, None)
    with pytest.raises(error):
        [c async for c in stream_csv_chunks(appliance.reading_arrays, access, slug(device), None, None)]


async def test_arrays_read_one_stream_only(appliance: Appliance, data: Any) -> None:
    world, device = data
    access = await access_of(world, "a0")
    with pytest.raises(ValidationError):
        await appliance.reading_arrays.values(access, f"d--0000-0000-0000-{device.device_id:04x}", None, None)
