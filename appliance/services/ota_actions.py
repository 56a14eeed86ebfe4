"""Deployment actions posted by gateways and phones, and the device versions read from 5c08/5c09.

Any member of the org posts an action for one of its devices (a gateway usually signs in as an
Operator). There is one action per request and device: a repeated attempt updates it and appends to
its log (iotile.cloud adds a row per POST). Changing or deleting actions and versions is for staff
with ``?staff=1``, as on the server.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound, PermissionDenied
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.ota_records import ActionRecord, VersionRecord, action_record, current_versions, version_record
from appliance.services.ota_requests import moment, request_id
from appliance.services.permissions import Access
from appliance.slugs import DeviceSlug
from storage.metadata import DeploymentAction, DeviceVersionAttribute, MetadataStore
from storage.metadata.repos import fleets as fleet_repo
from storage.metadata.repos import ota as repo

LOGGER = logging.getLogger(__name__)
RESTRICTED = "Restricted Access. Contact Arch"
MAX_LOG = 100_000

ACTION_SPEC = fs.Spec(
    {"deployment": fs.integer(1, (1 << 62)), "device": fs.text(64, blank=False), "last_attempt_on": fs.nullable(moment),
     "attempt_successful": fs.boolean, "log": fs.nullable(fs.text(MAX_LOG))},
    read_only=frozenset({"id", "created_on", "device_confirmation"}), required=frozenset({"deployment", "device"}))
ACTION_CHANGES = fs.Spec({"last_attempt_on": fs.nullable(moment), "attempt_successful": fs.boolean,
                          "log": fs.nullable(fs.text(MAX_LOG))},
                         read_only=frozenset({"id", "deployment", "device", "created_on", "device_confirmation"}))
_TYPES = {"os": "os", "app": "sg", "sg": "sg"}
_U32 = fs.integer(0, (1 << 32) - 1)
VERSION_SPEC = fs.Spec(
    {"device": fs.text(64, blank=False), "type": fs.choice(("os", "app")), "tag": fs.integer(0, (1 << 20) - 1),
     "major_version": fs.integer(0, 63), "minor_version": fs.integer(0, 63), "streamer_local_id": _U32,
     "updated_ts": moment},
    read_only=frozenset({"id", "version", "created_on"}), required=frozenset({"device", "type", "tag"}))


def require_staff_mode(staff_mode: bool) -> None:
    if not staff_mode:
        raise PermissionDenied(RESTRICTED, key="staff_only")


def visible_device(session: Session, access: Access, slug: str, *, field: str | None = None) -> tuple[int, int]:
    """(device id, org id) of a device the caller can see; a body ``field`` reads as missing (400)."""
    device = DeviceSlug.parse(slug)
    exists, org_id = fleet_repo.device_org(session, device.id) if not device.block else (False, None)
    if not exists or org_id is None or not access.is_member(org_id):
        if field:
            raise fs.invalid(field, f"Object with slug={slug} does not exist.")
        raise NotFound("device not found")
    return device.id, org_id


def _action(session: Session, access: Access, action_id: int) -> DeploymentAction:
    found = repo.action_by_id(session, action_id)
    if found is None:
        raise NotFound("deployment action not found")
    access.visible(found[1], "deployment action")
    return found[0]


def _joined(old: str | None, new: str | None) -> str:
    return "\n".join(part for part in (old, new) if part)


class ActionService:
    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    async def page(self, access: Access, scope: frozenset[int] | None, *, request: str | None, device: str | None,
                   offset: int, limit: int) -> tuple[int, list[ActionRecord]]:
        rid = request_id(request) if request else None

        def read(session: Session) -> tuple[int, list[ActionRecord]]:
            if rid is not None:
                row = repo.request_by_id(session, rid)
                access.visible(row[0].org_id if row else None, "deployment request")
            device_id = visible_device(session, access, device)[0] if device else None
            count, rows = repo.action_page(session, org_ids=scope, request_id=rid, device_id=device_id,
                                           offset=offset, limit=limit)
            return count, [action_record(r) for r in rows]

        return await db.read(self._metadata, read)

    async def get(self, access: Access, action_id: str) -> ActionRecord:
        number = request_id(action_id, "deployment action")
        return await db.read(self._metadata, lambda s: action_record(_action(s, access, number)))

    async def create(self, access: Access, body: dict[str, Any]) -> ActionRecord:
        data = ACTION_SPEC.parse(body, partial=False)

        def save(session: Session) -> ActionRecord:
            row = repo.request_by_id(session, data["deployment"])
            if row is None or not access.is_member(row[0].org_id):
                raise fs.invalid("deployment", f'Invalid pk "{data["deployment"]}" - object does not exist.')
            device_id, org_id = visible_device(session, access, data["device"], field="device")
            if org_id != row[0].org_id:
                raise fs.invalid("device", "the device is not in the deployment request's org")
            existing = repo.action_for(session, row[0].id, device_id)
            attempted = data.get("last_attempt_on") or datetime.now(timezone.utc).replace(microsecond=0)
            values = {"last_attempt_on": attempted,
                      "attempt_successful": bool(data.get("attempt_successful", False)),
                      "log": _joined(existing.log if existing else None, data.get("log"))}
            return action_record(repo.save_action(session, row[0].id, device_id, values))

        record = await db.write(self._metadata, save)
        LOGGER.info("deployment %s on device %s: attempt %s", record.request_id, record.device_id,
                    "succeeded" if record.attempt_successful else "failed")
        return record

    async def update(self, access: Access, action_id: str, body: dict[str, Any], *, staff_mode: bool) -> ActionRecord:
        require_staff_mode(staff_mode)
        number = request_id(action_id, "deployment action")
        data = ACTION_CHANGES.parse(body)

        def change(session: Session) -> ActionRecord:
            action = _action(session, access, number)
            if "log" in data:
                data["log"] = data["log"] or ""
            repo.update_row(session, DeploymentAction, action.id, data)
            return action_record(_action(session, access, number))

        return await db.write(self._metadata, change)

    async def delete(self, access: Access, action_id: str, *, staff_mode: bool) -> None:
        require_staff_mode(staff_mode)
        number = request_id(action_id, "deployment action")
        await db.write(self._metadata, lambda s: repo.delete_row(s, DeploymentAction, _action(s, access, number).id))


class VersionService:
    """``ota/version/``: the version history ingest records from 5c08 (os) and 5c09 (app) readings."""

    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    async def page(self, access: Access, scope: frozenset[int] | None, *, device: str | None, kind: str | None,
                   latest: bool, offset: int, limit: int) -> tuple[int, list[VersionRecord]]:
        if kind is not None and kind not in _TYPES:
            raise fs.invalid("type", "must be os or app")

        def read(session: Session) -> tuple[int, list[VersionRecord]]:
            device_id = visible_device(session, access, device)[0] if device else None
            whole = (0, 1 << 62) if latest else (offset, limit)
            count, rows = repo.version_page(session, org_ids=scope, device_id=device_id,
                                            kind=_TYPES[kind] if kind else None, offset=whole[0], limit=whole[1])
            records = [version_record(r) for r in rows]
            if not latest:
                return count, records
            ordered = sorted(records, key=lambda r: (r.updated_ts, r.id))
            chosen = [v for device in current_versions(ordered).values() for v in device.values()]
            chosen.sort(key=lambda r: (r.device_id, r.type))
            return len(chosen), chosen[offset:offset + limit]

        return await db.read(self._metadata, read)

    async def get(self, access: Access, version_id: str) -> VersionRecord:
        number = request_id(version_id, "device version")
        return await db.read(self._metadata, lambda s: self._visible(s, access, number))

    @staticmethod
    def _visible(session: Session, access: Access, version_id: int) -> VersionRecord:
        found = repo.version_by_id(session, version_id)
        if found is None:
            raise NotFound("device version not found")
        access.visible(found[1], "device version")
        return version_record(found[0])

    async def create(self, access: Access, body: dict[str, Any], *, staff_mode: bool) -> VersionRecord:
        require_staff_mode(staff_mode)
        data = VERSION_SPEC.parse(body, partial=False)

        def insert(session: Session) -> VersionRecord:
            device_id = visible_device(session, access, data.pop("device"), field="device")[0]
            data["type"] = _TYPES[data["type"]]
            data.setdefault("updated_ts", datetime.now(timezone.utc).replace(microsecond=0))
            return version_record(repo.insert_version(session, device_id=device_id, **data))

        return await db.write(self._metadata, insert)

    async def delete(self, access: Access, version_id: str, *, staff_mode: bool) -> None:
        require_staff_mode(staff_mode)
        number = request_id(version_id, "device version")
        await db.write(self._metadata, lambda s: repo.delete_row(
            s, DeviceVersionAttribute, self._visible(s, access, number).id))
