"""Fleets: named groups of one org's devices (``g--`` slugs), as iotile.cloud's fleet app.

A network fleet (``is_network``) has access points: devices that read the others (iotile-ext-cloud's
``get_whitelist``). Any member of the org sees its fleets; changing them, and who is in them, needs
``can_manage_ota`` (Developers and staff), the permission the server's fleet pages check.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound, ValidationError
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.permissions import Access, Perm
from appliance.slugs import DeviceSlug, FleetSlug
from storage.metadata import MetadataStore
from storage.metadata.repos import fleets as repo

LOGGER = logging.getLogger(__name__)

_READ_ONLY = frozenset({"id", "slug", "created_on", "created_by"})
FLEET_SPEC = fs.Spec({"name": fs.text(50, blank=False), "org": fs.text(60, blank=False),
                      "description": fs.text(10000), "is_network": fs.boolean},
                     read_only=_READ_ONLY, required=frozenset({"name", "org"}))
MEMBER_SPEC = fs.Spec({"device": fs.text(64, blank=False), "always_on": fs.boolean, "is_access_point": fs.boolean},
                      required=frozenset({"device"}))


@dataclass(frozen=True)
class FleetRecord:
    id: int
    name: str
    org: str
    org_id: int
    description: str
    is_network: bool
    created_on: datetime
    created_by: str | None

    @property
    def slug(self) -> str:
        return FleetSlug(self.id).slug

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "slug": self.slug, "org": self.org,
                "description": self.description, "created_on": self.created_on, "created_by": self.created_by,
                "is_network": self.is_network}


@dataclass(frozen=True)
class MemberRecord:
    device_id: int
    always_on: bool
    is_access_point: bool

    def as_json(self) -> dict[str, Any]:
        return {"device": DeviceSlug(self.device_id).slug, "always_on": self.always_on,
                "is_access_point": self.is_access_point}


def _record(row: repo.FleetRow) -> FleetRecord:
    fleet, org_slug, creator = row
    return FleetRecord(fleet.id, fleet.name, org_slug, fleet.org_id, fleet.description, fleet.is_network,
                       fleet.created_on, creator)


def fleet_id(slug: str) -> int:
    return FleetSlug.parse(slug).id


def _visible(session: Session, access: Access, slug: str) -> FleetRecord:
    row = repo.by_id(session, fleet_id(slug))
    if row is None:
        raise NotFound("fleet not found")
    access.visible(row[0].org_id, "fleet")
    return _record(row)


def _writable(session: Session, access: Access, slug: str) -> FleetRecord:
    record = _visible(session, access, slug)
    access.require(record.org_id, Perm.MANAGE_OTA, "fleet")
    return record


def org_for(session: Session, access: Access, slug: str) -> int:
    """An org named in a query or body: unknown orgs and orgs the caller is not in are 404."""
    org_id = repo.org_by_slug(session, slug)
    if org_id is None:
        raise NotFound("org not found")
    access.visible(org_id, "org")
    return org_id


def device_in(session: Session, access: Access, slug: str, org_id: int) -> int:
    """A live device of ``org_id`` named in a body (unknown or hidden devices read as missing, as DRF says)."""
    device = DeviceSlug.parse(slug)
    exists, device_org = repo.device_org(session, device.id) if not device.block else (False, None)
    if not exists or (device_org is not None and not access.is_member(device_org)):
        raise fs.invalid("device", f"Object with slug={slug} does not exist.")
    if device_org != org_id:
        raise fs.invalid("device", "Device and Fleet must be part of same Org")
    return device.id


class FleetService:
    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    async def page(self, access: Access, scope: frozenset[int] | None, *, org: str | None, device: str | None,
                   is_network: bool | None, offset: int, limit: int) -> tuple[int, list[FleetRecord]]:
        device_id = DeviceSlug.parse(device).id if device else None

        def read(session: Session) -> tuple[int, list[FleetRecord]]:
            org_id = org_for(session, access, org) if org else None
            if device_id is not None:
                exists, device_org = repo.device_org(session, device_id)
                if not exists or not access.is_member(device_org):
                    raise NotFound("device not found")
            count, rows = repo.page(session, org_ids=scope, org_id=org_id, device_id=device_id,
                                    is_network=is_network, offset=offset, limit=limit)
            return count, [_record(r) for r in rows]

        return await db.read(self._metadata, read)

    async def get(self, access: Access, slug: str) -> FleetRecord:
        fleet_id(slug)  # a malformed slug is a 400 before any lookup
        return await db.read(self._metadata, lambda s: _visible(s, access, slug))

    async def create(self, access: Access, body: dict[str, Any], *, created_by_id: int | None) -> FleetRecord:
        data = FLEET_SPEC.parse(body, partial=False)

        def insert(session: Session) -> FleetRecord:
            org_id = org_for(session, access, data.pop("org"))
            access.require(org_id, Perm.MANAGE_OTA, "org")
            self._check_name(session, org_id, data["name"], None)
            new_id = repo.insert(session, org_id=org_id, created_by_id=created_by_id, **data)
            row = repo.by_id(session, new_id)
            assert row is not None
            return _record(row)

        record = await db.write(self._metadata, insert)
        LOGGER.info("fleet %s (%s) created in org %s", record.slug, record.name, record.org)
        return record

    async def update(self, access: Access, slug: str, body: dict[str, Any]) -> FleetRecord:
        fleet_id(slug)
        data = FLEET_SPEC.parse(body)

        def change(session: Session) -> FleetRecord:
            record = _writable(session, access, slug)
            if "org" in data and data.pop("org") != record.org:
                raise fs.invalid("org", "a fleet cannot move to another org")
            if "name" in data:
                self._check_name(session, record.org_id, data["name"], record.id)
            repo.update(session, record.id, data)
            return _visible(session, access, slug)

        return await db.write(self._metadata, change)

    async def delete(self, access: Access, slug: str) -> None:
        """Deployment requests aimed at the fleet go with it (never widened to the whole org)."""
        fleet_id(slug)
        await db.write(self._metadata, lambda s: repo.delete(s, _writable(s, access, slug).id))
        LOGGER.info("fleet %s deleted", slug)

    @staticmethod
    def _check_name(session: Session, org_id: int, name: str, exclude_id: int | None) -> None:
        if repo.name_taken(session, org_id, name, exclude_id=exclude_id):
            raise ValidationError("The fields org, name must make a unique set.", key="duplicate_fleet",
                                  detail={"non_field_errors": ["The fields org, name must make a unique set."]})

    async def members(self, access: Access, slug: str, *, offset: int, limit: int) -> tuple[int, list[MemberRecord]]:
        fleet_id(slug)

        def read(session: Session) -> tuple[int, list[MemberRecord]]:
            record = _visible(session, access, slug)
            count, rows = repo.members(session, record.id, offset=offset, limit=limit)
            return count, [MemberRecord(r.device_id, r.always_on, r.is_access_point) for r in rows]

        return await db.read(self._metadata, read)

    async def register(self, access: Access, slug: str, body: dict[str, Any]) -> MemberRecord:
        fleet_id(slug)
        data = MEMBER_SPEC.parse(body, partial=False)
        member = MemberRecord(0, bool(data.get("always_on", False)), bool(data.get("is_access_point", False)))

        def add(session: Session) -> MemberRecord:
            record = _writable(session, access, slug)
            device_id = device_in(session, access, data["device"], record.org_id)
            if repo.membership(session, record.id, device_id) is not None:
                raise ValidationError(f"Device {DeviceSlug(device_id).slug} already exists in fleet",
                                      key="duplicate_member")
            repo.add_member(session, record.id, device_id, always_on=member.always_on,
                            is_access_point=member.is_access_point)
            return MemberRecord(device_id, member.always_on, member.is_access_point)

        added = await db.write(self._metadata, add)
        LOGGER.info("device %s joined fleet %s", added.device_id, slug)
        return added

    async def deregister(self, access: Access, slug: str, body: dict[str, Any]) -> MemberRecord:
        """Answers with what was removed (the server echoes the request body)."""
        fleet_id(slug)
        data = MEMBER_SPEC.parse(body, partial=False)

        def remove(session: Session) -> MemberRecord:
            record = _writable(session, access, slug)
            device_id = DeviceSlug.parse(data["device"]).id  # a device since moved away can still leave
            row = repo.membership(session, record.id, device_id)
            if row is None:
                raise ValidationError("Device not found", key="not_a_member")
            removed = MemberRecord(device_id, row.always_on, row.is_access_point)
            repo.remove_member(session, row)
            return removed

        return await db.write(self._metadata, remove)
