"""Shared set-up of the data API tests (no tests here): the role world, a claimed device whose
streams have units, another org's device, an org Api-Key, readings written straight to DuckDB."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.slugs import DeviceSlug, StreamSlug
from storage.metadata import StreamId, StreamVariable, VarType, VarTypeInputUnit, VarTypeOutputUnit
from storage.streams import DataBatch, StreamSelector
from tests.support.devices import ClaimedDevice, claimed_device
from tests.support.world import World, build_world

API = "/api/v1"
CALLERS = ("anonymous", "apikey", "a0", "a1", "m1", "r1", "d1", "staff", "other", "outsider")
READERS = frozenset({"a0", "a1", "m1", "d1", "staff"})  # can_read_stream_data
WRITERS = frozenset({"a0", "a1", "m1", "r1", "d1", "staff"})  # can_create_stream_data
MEMBERS = frozenset({"a0", "a1", "m1", "r1", "d1", "staff"})
DEVICE, OTHER_DEVICE = 0x1234, 0x5678
PLAIN, SCALED, DISABLED, VIRTUAL = 0x5001, 0x5002, 0x5003, 0x5010
BASE = datetime(2026, 5, 4, 10, 0, 0)


@dataclass
class DataWorld:
    appliance: Appliance
    world: World
    api: Any
    device: ClaimedDevice
    other: ClaimedDevice
    apikey: dict[str, str]

    def stream(self, lid: int, device: ClaimedDevice | None = None) -> str:
        target = device or self.device
        return StreamSlug(target.project_gid, target.device_id, lid).slug

    @property
    def device_slug(self) -> str:
        return DeviceSlug(self.device.device_id).slug

    def headers(self, who: str) -> dict[str, str]:
        return self.apikey if who == "apikey" else self.world.headers(who)

    async def call(self, method: str, path: str, who: str = "a0", body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        """One request; every error must be JSON ``{"error": ...}``; CSV comes back as text."""
        if body is not None:
            kwargs["json"] = body
        resp = await self.api.request(method, f"{API}{path}", headers=self.headers(who), **kwargs)
        if resp.content_type == "application/json":
            payload = await resp.json()
        else:
            payload = await resp.text()
        if resp.status >= 400:
            assert isinstance(payload, dict) and payload.get("error"), (method, path, who, resp.status, payload)
        return resp.status, payload

    async def stored(self, lid: int | None = None) -> list[dict[str, Any]]:
        """Every reading of the device (or of one of its streams), straight from DuckDB."""
        selector = StreamSelector(device=self.device.device_id, variable=lid)
        page = await asyncio.to_thread(self.appliance.streams.query_data, selector)
        return list(page.rows.to_pylist())

    async def stored_events(self) -> list[dict[str, Any]]:
        page = await asyncio.to_thread(self.appliance.streams.query_events, StreamSelector())
        return list(page.rows.to_pylist())

    async def seed(self, lid: int, values: list[int], *, start: datetime = BASE, step: int = 60,
                   first_id: int = 1, device: ClaimedDevice | None = None, value_scale: float = 1.0) -> None:
        """Readings one ``step`` apart, int_value as given and value = int_value * value_scale."""
        target = device or self.device
        count = len(values)
        batch = DataBatch.for_stream(
            target.project_gid, target.device_id, lid,
            timestamp=np.array([start + timedelta(seconds=step * i) for i in range(count)], dtype="datetime64[us]"),
            device_timestamp=[step * i for i in range(count)],
            streamer_local_id=list(range(first_id, first_id + count)),
            int_value=values, value=[v * value_scale for v in values], status=[1] * count)
        await asyncio.wrap_future(self.appliance.streams.append_data(batch))


def add_units(session: Session, project_gid: int, device_id: int) -> None:
    """SCALED: a water volume stream counting gallons (input unit m=3785/d=1000 -> liters), stream
    m/d/o 2/1/0, shown in liters/1000 (output unit m=1, d=1000) with 3 decimal places."""
    volume = VarType(name="Volume", slug="data-test-volume", storage_units_full="Liters")
    session.add(volume)
    session.flush()
    gallons = VarTypeInputUnit(var_type_id=volume.id, slug="in--data-test--gallons", unit_full="Gallons",
                               m=3785, d=1000)
    cubic = VarTypeOutputUnit(var_type_id=volume.id, slug="out--data-test--m3", unit_full="Cubic meters",
                              m=1, d=1000, decimal_places=3)
    session.add_all([gallons, cubic])
    session.flush()
    stream = session.scalar(select(StreamId).where(StreamId.device_gid == device_id, StreamId.var_lid == SCALED))
    assert stream is not None
    stream.input_unit_id, stream.output_unit_id = gallons.id, cubic.id
    stream.mdo_type, stream.multiplication_factor, stream.division_factor, stream.offset = "S", 2, 1, 0.0
    variable = session.get(StreamVariable, stream.variable_id)
    assert variable is not None
    variable.decimal_places = 3


async def build_data_world(appliance: Appliance, api: Any) -> DataWorld:
    world = await build_world(appliance)
    device = await claimed_device(appliance, world.org.id, DEVICE, lids=(PLAIN, SCALED, DISABLED),
                                  disabled=(DISABLED,))
    other = await claimed_device(appliance, world.other_org.id, OTHER_DEVICE, lids=(PLAIN,))
    await asyncio.wrap_future(appliance.metadata.write(lambda s: add_units(s, device.project_gid, DEVICE)))
    _, key = await appliance.apikeys.create(world.org.id, "factory", created_by_id=world.users["a0"].id)
    return DataWorld(appliance, world, api, device, other, {"Authorization": f"Api-Key {key}"})


def expected(who: str, allowed: frozenset[str], ok: int) -> int:
    """The appliance's matrix: 401 anonymous, 403 Api-Keys and members without the permission,
    404 callers outside the org (the other org's owner, an outsider)."""
    if who == "anonymous":
        return 401
    if who in allowed:
        return ok
    if who in MEMBERS or who == "apikey":
        return 403
    return 404
