"""Devices: registration, claiming and unclaiming, status and health, per-device a-jwt tokens.

The service is one class assembled from parts kept in their own modules (creation, claims, keys)
so each stays small; this module has listing, reading, editing and the health settings.
Permissions follow iotile.cloud: org members see the org's devices, editing needs
can_modify_device, claiming can_claim_devices, deleting is staff-only.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound, PermissionDenied
from appliance.jobs.kinds import JobKind
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.device_maintenance_move import DEVICE_MOVE
from appliance.services.device_maintenance_reset import DEVICE_RESET
from appliance.services.device_maintenance_trim import DEVICE_TRIM
from appliance.services.devices_claim import DEVICE_UNCLAIM, DeviceClaims
from appliance.services.devices_create import DeviceCreation
from appliance.services.devices_keys import DeviceKeys
from appliance.services.devices_records import (
    DeviceRecord,
    DeviceStatusRecord,
    find_device,
    require_on_device,
)
from appliance.services.permissions import Access, Perm
from appliance.services.projects import project_gid_or_none
from appliance.services.property_filters import parse_property_filter
from appliance.slugs import ProjectSlug
from storage.metadata.repos import devices as repo

LOGGER = logging.getLogger(__name__)
DEVICE_JOB_KINDS: tuple[JobKind, ...] = (DEVICE_UNCLAIM, DEVICE_RESET, DEVICE_TRIM, DEVICE_MOVE)
RESTRICTED = "Restricted Access. Contact Arch"
_TRUE = frozenset({"true", "True", "1"})
_FALSE = frozenset({"false", "False", "0"})
_RECIPIENT = re.compile(r"^(email:[^@\s:]+@[^@\s:]+|user:[-\w]+|org:(admin|all)|staff:all)$")


def recipient(name: str, value: Any) -> str:
    """emailutil's recipient strings: email:x@y, user:<slug>, org:admin, org:all, staff:all."""
    if not isinstance(value, str) or len(value) > 64 or not _RECIPIENT.match(value):
        raise fs.invalid(name, f"{value!r} is not email:<address>, user:<slug>, org:admin, org:all or staff:all")
    return value


UPDATE = fs.Spec(
    {"label": fs.text(100), "lat": fs.nullable(fs.number(-90, 90)), "lon": fs.nullable(fs.number(-180, 180)),
     "state": fs.choice(("N0", "N1")), "active": fs.boolean, "external_id": fs.text(24),
     "sg": fs.nullable(fs.text(60)), "template": fs.nullable(fs.text(60)), "project": fs.nullable(fs.text(36))},
    read_only=frozenset({"id", "slug", "gid", "org", "busy", "created_on", "claimed_by", "claimed_on"}))
HEALTH = fs.Spec(
    {"health_check_enabled": fs.boolean, "health_check_period": fs.integer(60, 365 * 24 * 3600),
     "notification_recipients": fs.text_list(50, recipient)},
    read_only=frozenset({"alert", "last_report_ts", "last_known_id", "last_known_state"}))


@dataclass(frozen=True)
class DeviceQuery:
    """/device/'s filters as given (strings), read the way the server's filter set reads them."""

    project: str | None = None
    dt: str | None = None
    sg: str | None = None
    claimed: str | None = None
    external_id: str | None = None
    org_slug: str | None = None
    include_inactive: bool = False
    property: str | None = None


def _filter(session: Session, q: DeviceQuery, org_ids: frozenset[int] | None) -> repo.DeviceFilter | None:
    """The repo filter, or None when the filters already say "no device" (404 for unknown dt/sg)."""
    template_id = repo.template_id_by_slug(session, q.dt) if q.dt is not None else None
    sg_id = repo.sg_id_by_slug(session, q.sg) if q.sg is not None else None
    if (q.dt is not None and template_id is None) or (q.sg is not None and sg_id is None):
        raise NotFound("Not found.")
    project_id = project_gid_or_none(session, q.project) if q.project is not None else None
    org_id = repo.org_id_by_slug(session, q.org_slug) if q.org_slug is not None else None
    if (q.project is not None and project_id is None) or (q.org_slug is not None and org_id is None):
        return None
    claimed = True if q.claimed in _TRUE else False if q.claimed in _FALSE else None
    return repo.DeviceFilter(org_ids=org_ids, org_id=org_id, project_id=project_id, template_id=template_id,
                             sg_id=sg_id, claimed=claimed, external_id=q.external_id,
                             include_inactive=q.include_inactive, prop=parse_property_filter(q.property))


class Devices(DeviceCreation, DeviceClaims, DeviceKeys):
    async def page(self, scope: frozenset[int] | None, query: DeviceQuery, *, offset: int = 0,
                   limit: int = 1000) -> tuple[int, list[DeviceRecord]]:
        """``scope``: the orgs listed (None: every device, assigned or not, for staff)."""
        return await self._page(query, scope, offset, limit)

    async def org_page(self, org_id: int, query: DeviceQuery, *, offset: int = 0,
                       limit: int = 1000) -> tuple[int, list[DeviceRecord]]:
        """production/device/: an org's devices, active or not, for its Api-Key."""
        return await self._page(query, frozenset({org_id}), offset, limit)

    async def _page(self, query: DeviceQuery, org_ids: frozenset[int] | None, offset: int,
                    limit: int) -> tuple[int, list[DeviceRecord]]:
        def read(session: Session) -> tuple[int, list[DeviceRecord]]:
            f = _filter(session, query, org_ids)
            if f is None:
                return 0, []
            count, rows = repo.page(session, f, offset, limit)
            return count, [DeviceRecord(*tuple(row)) for row in rows]

        return await db.read(self._store, read)

    async def get(self, access: Access, slug: str) -> DeviceRecord:
        return await db.read(self._store, lambda s: find_device(s, access, slug))

    async def keys_of(self, device_ids: list[int]) -> dict[int, list[dict[str, str]]]:
        """The downloadable keys of these devices ({type, secret}), for production/device/?keys=1."""
        rows = await db.read(self._store, lambda s: [(k.device_id, k.type, k.secret_ref)
                                                     for k in repo.downloadable_keys(s, device_ids)])
        keys: dict[int, list[dict[str, str]]] = {}
        for device_id, key_type, ref in rows:
            secret = await self._secret(ref)
            if secret is not None:
                keys.setdefault(device_id, []).append({"type": key_type, "secret": secret})
        return keys

    async def update(self, access: Access, slug: str, body: dict[str, Any]) -> DeviceRecord:
        data = UPDATE.parse(body)

        def change(session: Session) -> DeviceRecord:
            device = find_device(session, access, slug)
            require_on_device(access, device, Perm.MODIFY_DEVICE)
            if "project" in data and data["project"] not in (device.project, _slug_of(device.project_gid)):
                raise fs.invalid("project", "claim or unclaim the device to change its project")
            row = repo.device_obj(session, device.id)
            assert row is not None
            for name in ("label", "lat", "lon", "external_id", "active"):
                if name in data:
                    setattr(row, name, data[name])
            if "state" in data:
                row.state = data["state"]
                if "active" not in data:
                    row.active = data["state"] != "N0"
            for name, find in (("sg", repo.sg_id_by_slug), ("template", repo.template_id_by_slug)):
                if name in data:
                    setattr(row, f"{name}_id", _catalogue_id(session, name, data[name], find))
            session.flush()
            return DeviceRecord.of(repo.row_by_id(session, device.id))  # type: ignore[arg-type]

        record = await db.write(self._store, change)
        self._changed(updated=record.slug)
        return record

    async def delete(self, access: Access, slug: str) -> None:
        """Staff only, as on the server; the device's readings stay in the stream store."""
        def remove(session: Session) -> list[str]:
            device = find_device(session, access, slug)
            if not access.is_staff:
                raise PermissionDenied(RESTRICTED, key="restricted")
            refs = [key.secret_ref for key in repo.keys_of(session, device.id)]
            repo.delete_device(session, device.id)
            self._device_secrets.pop(device.id, None)
            return refs

        for ref in await db.write(self._store, remove):
            if self._secrets is not None:
                await asyncio.to_thread(self._secrets.delete, ref)
        self._changed(deleted=slug)

    async def status(self, access: Access, slug: str) -> DeviceStatusRecord:
        def read(session: Session) -> DeviceStatusRecord:
            device = find_device(session, access, slug)
            return DeviceStatusRecord.of(device.id, repo.status_of(session, device.id))

        return await db.read(self._store, read)

    async def statuses(self, devices: list[DeviceRecord]) -> dict[int, DeviceStatusRecord]:
        """The status of many listed devices in one read (the caller already saw the devices)."""
        ids = [device.id for device in devices]

        def read(session: Session) -> dict[int, DeviceStatusRecord]:
            rows = repo.statuses(session, ids)
            return {device_id: DeviceStatusRecord.of(device_id, rows.get(device_id)) for device_id in ids}

        return await db.read(self._store, read)

    async def set_health(self, access: Access, slug: str, body: dict[str, Any]) -> DeviceStatusRecord:
        """PATCH device/<slug>/health/ (the server lets any member do it; here can_modify_device)."""
        data = HEALTH.parse(body)

        def change(session: Session) -> DeviceStatusRecord:
            device = find_device(session, access, slug)
            require_on_device(access, device, Perm.MODIFY_DEVICE)
            status = repo.ensure_status(session, device.id)
            for name, value in data.items():
                setattr(status, name, value)
            session.flush()
            return DeviceStatusRecord.of(device.id, status)

        record = await db.write(self._store, change)
        self._changed(health=slug)
        return record


def _slug_of(gid: int | None) -> str | None:
    return ProjectSlug(gid).slug if gid is not None else None


def _catalogue_id(session: Session, name: str, slug: str | None, find: Any) -> int | None:
    if slug is None:
        return None
    found: int | None = find(session, slug)
    if found is None:
        raise fs.invalid(name, f"Object with slug={slug} does not exist.")
    return found
