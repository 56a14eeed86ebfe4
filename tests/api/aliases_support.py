"""Shared set-up of the stream alias tests (no tests here): the role world, two Acme devices with
three streams between them, another org's device, and helpers for aliases, taps and readings."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import numpy as np
from sqlalchemy import func, select

from appliance.app import Appliance
from appliance.slugs import StreamSlug
from storage.metadata.models import StreamAlias, StreamAliasTap
from storage.streams import DataBatch, EventBatch
from tests.support.devices import ClaimedDevice, claimed_device
from tests.support.world import World, build_world

API = "/api/v1"
CALLERS = ("anonymous", "apikey", "a0", "a1", "m1", "r1", "d1", "staff", "other", "outsider")
MEMBERS = frozenset({"a0", "a1", "m1", "r1", "d1", "staff"})
MANAGERS = frozenset({"a0", "a1", "d1", "staff"})  # can_manage_stream_aliases
READERS = frozenset({"a0", "a1", "m1", "d1", "staff"})  # can_read_stream_data
DEVICE_A, DEVICE_B, OTHER_DEVICE = 0xA1, 0xB2, 0xC3
LID_1, LID_2 = 0x5001, 0x5002
BASE = datetime(2026, 5, 4, 10, 0, 0, tzinfo=timezone.utc)


def iso(seconds: int) -> str:
    """BASE + seconds as the API writes it."""
    return (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def expected(who: str, allowed: frozenset[str], ok: int) -> int:
    """401 anonymous, 403 Api-Keys and members without the permission, 404 outside the org."""
    if who == "anonymous":
        return 401
    if who in allowed:
        return ok
    if who in MEMBERS or who == "apikey":
        return 403
    return 404


@dataclass
class AliasWorld:
    appliance: Appliance
    world: World
    api: Any
    a: ClaimedDevice
    b: ClaimedDevice
    other: ClaimedDevice
    apikey: dict[str, str]

    @property
    def streams(self) -> tuple[str, str, str]:
        """The three Acme streams: device A's two, device B's one."""
        return (StreamSlug(self.a.project_gid, DEVICE_A, LID_1).slug,
                StreamSlug(self.a.project_gid, DEVICE_A, LID_2).slug,
                StreamSlug(self.b.project_gid, DEVICE_B, LID_1).slug)

    @property
    def other_stream(self) -> str:
        return StreamSlug(self.other.project_gid, OTHER_DEVICE, LID_1).slug

    def headers(self, who: str) -> dict[str, str]:
        return self.apikey if who == "apikey" else self.world.headers(who)

    async def call(self, method: str, path: str, who: str = "a0", body: Any = None, **kwargs: Any) -> tuple[int, Any]:
        """One request; every error must be JSON ``{"error": ...}``; CSV comes back as text."""
        if body is not None:
            kwargs["json"] = body
        kwargs["headers"] = {**self.headers(who), **kwargs.get("headers", {})}
        resp = await self.api.request(method, f"{API}{path}", **kwargs)
        payload = await resp.json() if resp.content_type == "application/json" else await resp.text()
        if resp.status >= 400:
            assert isinstance(payload, dict) and payload.get("error"), (method, path, who, resp.status, payload)
        return resp.status, payload

    async def alias(self, name: str = "line", who: str = "a0", org: str | None = None) -> str:
        status, body = await self.call("POST", "/alias/", who, {"name": name, "org": org or self.world.org.slug})
        assert status == 201, body
        return str(body["slug"])

    async def tap(self, alias: str, seconds: int, stream: str, who: str = "a0") -> int:
        status, body = await self.call("POST", "/tap/", who, {"alias": alias, "timestamp": iso(seconds),
                                                              "stream": stream})
        assert status == 201, body
        return int(body["id"])

    async def seed(self, stream: str, values: list[int], *, step: int = 10) -> None:
        """Readings ``step`` seconds apart from BASE, int_value as given, sequence ids from 1."""
        slug = StreamSlug.parse(stream)
        count = len(values)
        batch = DataBatch.for_stream(
            slug.project, slug.device, slug.lid,
            timestamp=np.array([(BASE + timedelta(seconds=step * i)).replace(tzinfo=None) for i in range(count)],
                               dtype="datetime64[us]"),
            device_timestamp=[step * i for i in range(count)], streamer_local_id=list(range(1, count + 1)),
            int_value=values, value=[float(v) for v in values], status=[1] * count)
        await asyncio.wrap_future(self.appliance.streams.append_data(batch))

    async def seed_events(self, stream: str, seconds: list[int]) -> None:
        slug = StreamSlug.parse(stream)
        count = len(seconds)
        batch = EventBatch(
            project=np.full(count, slug.project), device=np.full(count, slug.device),
            variable=np.full(count, slug.lid),
            timestamp=np.array([(BASE + timedelta(seconds=s)).replace(tzinfo=None) for s in seconds],
                               dtype="datetime64[us]"),
            streamer_local_id=np.array(seconds), extra_data=[{"at": s} for s in seconds])
        await asyncio.wrap_future(self.appliance.streams.append_events(batch))

    def counts(self) -> tuple[int, int, list[tuple[str, int]]]:
        """(aliases, taps, every alias's (name, org id)) straight from the database."""
        def read(s: Any) -> tuple[int, int, list[tuple[str, int]]]:
            aliases = int(s.scalar(select(func.count()).select_from(StreamAlias)) or 0)
            taps = int(s.scalar(select(func.count()).select_from(StreamAliasTap)) or 0)
            rows = [(a.name, a.org_id) for a in s.scalars(select(StreamAlias).order_by(StreamAlias.id))]
            return aliases, taps, rows
        return self.appliance.metadata.read_sync(read)

    def tap_rows(self) -> list[tuple[int, int, datetime, int]]:
        """Every tap's (id, alias id, timestamp, stream id)."""
        return self.appliance.metadata.read_sync(lambda s: [
            (t.id, t.alias_id, t.timestamp, t.stream_id)
            for t in s.scalars(select(StreamAliasTap).order_by(StreamAliasTap.id))])


async def build_alias_world(appliance: Appliance, api: Any) -> AliasWorld:
    world = await build_world(appliance)
    a = await claimed_device(appliance, world.org.id, DEVICE_A, lids=(LID_1, LID_2))
    b = await claimed_device(appliance, world.org.id, DEVICE_B, lids=(LID_1,))
    other = await claimed_device(appliance, world.other_org.id, OTHER_DEVICE, lids=(LID_1,))
    _, key = await appliance.apikeys.create(world.org.id, "factory", created_by_id=world.users["a0"].id)
    return AliasWorld(appliance, world, api, a, b, other, {"Authorization": f"Api-Key {key}"})
