"""A populated registry for the project/device/stream API tests: catalogue rows, projects, devices.

The catalogue rows (var types, units, a sensor graph with its variable templates, a device template)
are written here with the ORM so these tests do not depend on the shipped default catalogue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.services.auth import Principal
from appliance.services.devices_records import DeviceRecord
from appliance.services.permissions import Access
from appliance.services.projects import ProjectRecord
from appliance.slugs import DeviceSlug
from storage.metadata import (
    Device,
    DeviceKey,
    DeviceStatus,
    DeviceTemplate,
    GenericProperty,
    Project,
    SensorGraph,
    StreamId,
    StreamVariable,
    VariableTemplate,
    VarType,
    VarTypeInputUnit,
    VarTypeOutputUnit,
)
from tests.support.world import World, build_world

API = "/api/v1"
CALLERS = ("anonymous", "apikey", "a0", "a1", "m1", "r1", "d1", "staff", "other", "outsider")
MEMBERS = frozenset({"a0", "a1", "m1", "r1", "d1", "staff"})
ADMINS = frozenset({"a0", "a1", "d1", "staff"})  # can_manage_org_and_projects, can_claim_devices
MODIFIERS = frozenset({"a0", "a1", "m1", "d1", "staff"})  # can_modify_device, can_modify_stream_ids
DEVELOPERS = frozenset({"d1", "staff"})  # can_create_stream_ids
STAFF = frozenset({"staff"})

SG = "water-meter-v1-1-0"
TEMPLATE = "test-template-v1-0-0"
WATER = "water-meter-volume"
TEMPERATURE = "temperature"
GALLONS = "in--water-meter-volume--gallons"
LITERS = "out--water-meter-volume--liters"
CELSIUS_IN = "in--temperature--celsius"
# lid, label, var type slug (or None), ctype, m, d, o
VARIABLE_TEMPLATES = (
    (0x5001, "Water Volume", WATER, "unsigned int", 1, 1, 0.0),
    (0x5002, "Temperature", TEMPERATURE, "int", 1, 100, -40.0),
    (0x5A07, "Trip Events", None, "auto", 1, 1, 0.0),
)
CLAIMED, SPARE, OTHER_DEVICE, INACTIVE = 0x10, 0x11, 0x20, 0x12


def _catalogue(session: Session) -> None:
    water = VarType(name="Water Volume", slug=WATER, storage_units_full="Liters", stream_data_type="D0")
    temp = VarType(name="Temperature", slug=TEMPERATURE, storage_units_full="Celsius", stream_data_type="D0")
    session.add_all([water, temp])
    session.flush()
    gallons = VarTypeInputUnit(var_type_id=water.id, slug=GALLONS, unit_full="Gallons", unit_short="g", m=3785, d=1000)
    session.add_all([gallons,
                     VarTypeOutputUnit(var_type_id=water.id, slug=LITERS, unit_full="Liters", unit_short="l",
                                       decimal_places=1),
                     VarTypeInputUnit(var_type_id=temp.id, slug=CELSIUS_IN, unit_full="Celsius", unit_short="C")])
    sg = SensorGraph(name="Water Meter", slug=SG, major_version=1, minor_version=1, report_processing_engine_ver=2)
    session.add_all([sg, DeviceTemplate(external_sku="Test Device", slug=TEMPLATE, family="Test")])
    session.flush()
    types = {WATER: water.id, TEMPERATURE: temp.id}
    for lid, label, var_type, ctype, m, d, o in VARIABLE_TEMPLATES:
        session.add(VariableTemplate(sg_id=sg.id, label=label, lid=lid, var_type_id=types.get(var_type or ""),
                                     ctype=ctype, m=m, d=d, o=o,
                                     default_input_unit_id=gallons.id if var_type == WATER else None))


async def db_write(appliance: Appliance, fn: Callable[[Session], Any]) -> Any:
    return await asyncio.wrap_future(appliance.metadata.write(fn))


async def db_read(appliance: Appliance, fn: Callable[[Session], Any]) -> Any:
    return await asyncio.wrap_future(appliance.metadata.read(fn))


@dataclass
class Registry:
    appliance: Appliance
    world: World
    api: Any
    apikey: dict[str, str]
    project: ProjectRecord
    other_project: ProjectRecord

    async def access(self, who: str) -> Access:
        return await self.appliance.orgs.access_for(Principal("jwt", self.world.users[who]))

    def headers(self, who: str) -> dict[str, str]:
        return self.apikey if who == "apikey" else self.world.headers(who)

    async def call(self, method: str, path: str, who: str, body: Any = None, *,
                   data: str | None = None) -> tuple[int, Any]:
        """One request as a named caller; every error must be JSON ``{"error": ...}``."""
        kwargs: dict[str, Any] = {"headers": self.headers(who)}
        if body is not None:
            kwargs["json"] = body
        if data is not None:
            kwargs["data"] = data.encode()
        resp = await self.api.request(method, f"{API}{path}", **kwargs)
        payload = await resp.json() if resp.content_type == "application/json" else None
        if resp.status >= 400:
            assert isinstance(payload, dict) and payload.get("error"), (method, path, who, resp.status, payload)
        return resp.status, payload

    async def device(self, device_id: int, **fields: Any) -> DeviceRecord:
        """A fresh device registered by staff (unclaimed unless ``project`` is given)."""
        item = {"id": device_id, "sg": SG, "template": TEMPLATE, **fields}
        return (await self.appliance.devices.create(await self.access("staff"), [item]))[0]

    async def claim(self, device_id: int, project: ProjectRecord, who: str = "a0") -> None:
        await self.appliance.devices.claim(await self.access(who),
                                           {"device": DeviceSlug(device_id).slug, "project": project.uuid})


async def build_registry(appliance: Appliance, api: Any) -> Registry:
    world = await build_world(appliance)
    await db_write(appliance, _catalogue)
    _, key = await appliance.apikeys.create(world.org.id, "factory", created_by_id=world.users["a0"].id)
    registry = Registry(appliance, world, api, {"Authorization": f"Api-Key {key}"}, None, None)  # type: ignore[arg-type]
    registry.project = await appliance.projects.create(await registry.access("a0"),
                                                       {"name": "Water", "org": world.org.slug})
    registry.other_project = await appliance.projects.create(await registry.access("other"),
                                                             {"name": "Elsewhere", "org": world.other_org.slug})
    await registry.device(CLAIMED, label="Meter 16")
    await registry.device(SPARE)
    await registry.device(OTHER_DEVICE)
    await registry.claim(CLAIMED, registry.project)
    await registry.claim(OTHER_DEVICE, registry.other_project, "other")
    return registry


def expected(who: str, allowed: Iterable[str], ok: int, *, refused: int = 403, org_scoped: bool = True) -> int:
    """The matrix rule: 401 anonymous, 403 an Api-Key and members lacking the permission (``refused``:
    the server's own code where it differs), 404 people outside the org, ``ok`` the rest."""
    if who == "anonymous":
        return 401
    if who == "apikey":
        return 403
    if who in allowed:
        return ok
    if org_scoped and who not in MEMBERS:
        return 404
    return refused


def _snapshot(session: Session) -> dict[str, Any]:
    def rows(*columns: Any) -> list[tuple[Any, ...]]:
        return sorted((tuple(r) for r in session.execute(select(*columns))), key=repr)

    return {
        "projects": rows(Project.id, Project.uuid, Project.name, Project.about, Project.org_id,
                         Project.project_template_id),
        "devices": rows(Device.id, Device.org_id, Device.project_id, Device.label, Device.lat, Device.lon,
                        Device.state, Device.active, Device.sg_id, Device.template_id, Device.external_id,
                        Device.claimed_by_id),
        "status": rows(DeviceStatus.device_id, DeviceStatus.health_check_enabled, DeviceStatus.health_check_period,
                       DeviceStatus.notification_recipients),
        "variables": rows(StreamVariable.id, StreamVariable.project_id, StreamVariable.lid, StreamVariable.name,
                          StreamVariable.multiplication_factor, StreamVariable.division_factor,
                          StreamVariable.offset, StreamVariable.raw_value_format, StreamVariable.input_unit_id,
                          StreamVariable.units),
        "streams": rows(StreamId.id, StreamId.project_gid, StreamId.device_gid, StreamId.var_lid, StreamId.enabled,
                        StreamId.data_label, StreamId.mdo_type, StreamId.multiplication_factor,
                        StreamId.division_factor, StreamId.offset, StreamId.input_unit_id, StreamId.output_unit_id,
                        StreamId.raw_value_format),
        "keys": rows(DeviceKey.device_id, DeviceKey.type, DeviceKey.secret_ref),
        "properties": session.scalar(select(func.count(GenericProperty.id))),
    }


async def snapshot(appliance: Appliance) -> dict[str, Any]:
    """Everything the registry endpoints can change, to assert that a refused request changed nothing."""
    return await db_read(appliance, _snapshot)


Prepare = Callable[[Registry, str, int], Awaitable[tuple[str, Any]]]


@dataclass(frozen=True)
class Row:
    """One endpoint of a permission table. ``prepare(registry, caller, n)`` gives (path, body) and may
    create a fresh target first (``n`` numbers the callers), so destructive rows never collide."""

    name: str
    method: str
    prepare: Prepare
    allowed: frozenset[str]
    ok: int = 200
    refused: int = 403
    org_scoped: bool = True


def fixed(path: str, body: Any = None) -> Prepare:
    async def prepare(reg: Registry, who: str, n: int) -> tuple[str, Any]:
        return path, body

    return prepare


async def run_row(reg: Registry, row: Row) -> None:
    """Every caller against one row; a refused request must leave the database as it was."""
    for n, who in enumerate(CALLERS):
        path, body = await row.prepare(reg, who, n)
        want = expected(who, row.allowed, row.ok, refused=row.refused, org_scoped=row.org_scoped)
        before = await snapshot(reg.appliance)
        if isinstance(body, str):
            status, payload = await reg.call(row.method, path, who, data=body)
        else:
            status, payload = await reg.call(row.method, path, who, body)
        assert status == want, f"{row.name} as {who}: {status}, expected {want}"
        if status < 400 and isinstance(payload, dict) and "pid" in payload:
            assert (await reg.appliance.jobs.wait(payload["pid"])).status == "done"  # settle before the next caller
        if status >= 400:
            assert await snapshot(reg.appliance) == before, f"{row.name} as {who} changed something"
