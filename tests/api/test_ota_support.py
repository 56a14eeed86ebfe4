"""Shared setup for the OTA API tests (no tests here): a registry with a fleet, a released script with
its file, a released request on the fleet, an action and a version row, plus a snapshot of everything
the OTA endpoints can change (tables and script blobs) for "nothing changed" checks."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from appliance.app import Appliance
from appliance.services.fleets import FleetService
from appliance.services.ota_scripts import Upload
from appliance.slugs import DeviceSlug
from storage.metadata import (
    DeploymentAction,
    DeploymentRequest,
    DeviceScript,
    DeviceVersionAttribute,
    Fleet,
    FleetMembership,
    StreamNote,
)
from tests.api.registry_support import CLAIMED, Registry, build_registry, db_read

CLAIMED_SLUG = DeviceSlug(CLAIMED).slug
SCRIPT_BYTES = b"\x01update script" * 64
APP_TAG = 2049
names = itertools.count()


@dataclass
class OtaWorld:
    reg: Registry
    fleet: str
    script: str
    request: int
    action: int
    version: int

    @property
    def org(self) -> str:
        return self.reg.world.org.slug


def released_on(seconds_ago: int = 60) -> str:
    return (datetime.now(timezone.utc) - timedelta(seconds=seconds_ago)).strftime("%Y-%m-%dT%H:%M:%SZ")


async def new_script(reg: Registry, *, released: bool = True, data: bytes | None = SCRIPT_BYTES,
                     version: str = "1.0.0") -> str:
    record = await reg.appliance.ota.scripts.create(
        await reg.access("d1"), {"name": f"Script {next(names)}", "org": reg.world.org.slug, "version": version,
                                 "released": released},
        Upload("update.trub", data) if data is not None else None, created_by_id=reg.world.users["d1"].id)
    return record.slug


async def new_request(reg: Registry, script: str, *, fleet: str | None = None, criteria: tuple[str, ...] = (),
                      released: bool = True) -> int:
    body: dict[str, Any] = {"script": script, "org": reg.world.org.slug, "fleet": fleet,
                            "selection_criteria": list(criteria), "released_on": released_on() if released else None}
    record = await reg.appliance.ota.requests.create(await reg.access("d1"), body,
                                                     created_by_id=reg.world.users["d1"].id)
    return record.id


async def new_fleet(reg: Registry, *members: int) -> str:
    fleets, access = FleetService(reg.appliance.metadata), await reg.access("d1")
    fleet = await fleets.create(access, {"name": f"Fleet {next(names)}", "org": reg.world.org.slug},
                                created_by_id=reg.world.users["d1"].id)
    for device in members:
        await fleets.register(access, fleet.slug, {"device": DeviceSlug(device).slug})
    return fleet.slug


async def build_ota(appliance: Appliance, api: Any) -> OtaWorld:
    reg = await build_registry(appliance, api)
    fleet = await new_fleet(reg, CLAIMED)
    script = await new_script(reg)
    request = await new_request(reg, script, fleet=fleet, criteria=(f"app_tag:eq:{APP_TAG}",))
    action = await appliance.ota.actions.create(await reg.access("r1"), {"deployment": request, "device": CLAIMED_SLUG})
    version = await appliance.ota.versions.create(
        await reg.access("staff"), {"device": CLAIMED_SLUG, "type": "app", "tag": APP_TAG, "major_version": 1},
        staff_mode=True)
    return OtaWorld(reg, fleet, script, request, action.id, version.id)


def _rows(session: Session, *columns: Any) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in session.execute(select(*columns))), key=repr)


def _tables(session: Session) -> dict[str, Any]:
    return {
        "scripts": _rows(session, DeviceScript.id, DeviceScript.name, DeviceScript.org_id, DeviceScript.major_version,
                         DeviceScript.minor_version, DeviceScript.patch_version, DeviceScript.released,
                         DeviceScript.file),
        "requests": _rows(session, DeploymentRequest.id, DeploymentRequest.script_id, DeploymentRequest.fleet_id,
                          DeploymentRequest.org_id, DeploymentRequest.selection_criteria,
                          DeploymentRequest.released_on, DeploymentRequest.completed_on),
        "actions": _rows(session, DeploymentAction.id, DeploymentAction.request_id, DeploymentAction.device_id,
                         DeploymentAction.attempt_successful, DeploymentAction.device_confirmation,
                         DeploymentAction.last_attempt_on, DeploymentAction.log),
        "versions": _rows(session, DeviceVersionAttribute.id, DeviceVersionAttribute.device_id,
                          DeviceVersionAttribute.type, DeviceVersionAttribute.tag),
        "fleets": _rows(session, Fleet.id, Fleet.name),
        "members": _rows(session, FleetMembership.fleet_id, FleetMembership.device_id),
        "notes": _rows(session, StreamNote.id),
    }


def blob_files(appliance: Appliance) -> list[str]:
    root = Path(appliance.blobs.root) / "ota"
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def snapshot(appliance: Appliance) -> dict[str, Any]:
    return {**await db_read(appliance, _tables), "blobs": blob_files(appliance)}
