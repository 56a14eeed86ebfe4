"""Deployment requests: deploy a device script to a fleet (or the whole org) matching criteria.

Members of the org see its requests; creating, changing, releasing and deleting one needs
``can_manage_ota``. The script and fleet must be the request's org's own (iotile.cloud checks
neither). A request is released by giving it a ``released_on`` (the server's web pages did that);
it can only be released once its script is released and has a file.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_
from sqlalchemy.orm import Session

from appliance.errors import NotFound
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services import ota_criteria as criteria
from appliance.services.fleets import org_for
from appliance.services.ota_devices import progress, targeted
from appliance.services.ota_records import RequestRecord, VersionRecord, request_record
from appliance.services.permissions import Access, Perm
from appliance.slugs import DeviceScriptSlug, FleetSlug
from storage.metadata import DeploymentRequest, MetadataStore
from storage.metadata.repos import fleets as fleet_repo
from storage.metadata.repos import ota as repo

LOGGER = logging.getLogger(__name__)
ReachedDevice = tuple[int, str | None, str | None, list[VersionRecord]]  # id, sg slug, template slug, versions


def moment(name: str, value: Any) -> datetime:
    """ISO 8601 (naive = UTC), kept to whole seconds: iotile-ext-cloud parses ``%Y-%m-%dT%H:%M:%SZ``."""
    if not isinstance(value, str):
        raise fs.invalid(name, "expected an ISO 8601 date-time")
    text = value.strip()
    try:
        parsed = datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
    except ValueError:
        raise fs.invalid(name, f"{value!r} is not an ISO 8601 date-time") from None
    parsed = parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
    return parsed.replace(microsecond=0)


def _criteria(name: str, value: Any) -> list[str]:
    return criteria.validate(value)


REQUEST_SPEC = fs.Spec(
    {"script": fs.text(40, blank=False), "org": fs.text(60, blank=False), "fleet": fs.nullable(fs.text(40)),
     "selection_criteria": _criteria, "released_on": fs.nullable(moment), "completed_on": fs.nullable(moment)},
    read_only=frozenset({"id", "progress"}), required=frozenset({"script", "org"}))


def request_id(value: str, what: str = "deployment request") -> int:
    """A numeric id from a path or query; anything else matches nothing (404), as DRF's pk lookup."""
    if not (value.isascii() and value.isdigit()) or len(value) > 18:
        raise NotFound(f"{what} not found")
    return int(value)


def _visible(session: Session, access: Access, rid: int) -> DeploymentRequest:
    row = repo.request_by_id(session, rid)
    if row is None:
        raise NotFound("deployment request not found")
    access.visible(row[0].org_id, "deployment request")
    return row[0]


def _writable(session: Session, access: Access, rid: int) -> DeploymentRequest:
    request = _visible(session, access, rid)
    access.require(request.org_id, Perm.MANAGE_OTA, "deployment request")
    return request


def _references(session: Session, org_id: int, data: dict[str, Any]) -> None:
    """Script and fleet slugs become ids of this org's own objects; others read as missing."""
    if "script" in data:
        slug = data.pop("script")
        row = repo.script_by_id(session, DeviceScriptSlug.parse(slug).id)
        if row is None or row[0].org_id != org_id:
            raise fs.invalid("script", f"Object with slug={slug} does not exist.")
        data["script_id"] = row[0].id
    if "fleet" in data:
        slug = data.pop("fleet")
        fleet = FleetSlug.parse(slug).id if slug else None
        if fleet is not None and fleet_repo.org_id_of(session, fleet) != org_id:
            raise fs.invalid("fleet", f"Object with slug={slug} does not exist.")
        data["fleet_id"] = fleet


def _check_release(session: Session, script_id: int, released_on: datetime | None) -> None:
    row = repo.script_by_id(session, script_id)
    if released_on is not None and row is not None and not (row[0].released and row[0].file):
        raise fs.invalid("released_on", "release the device script (with its file) before the request")


def _record(session: Session, rid: int, with_progress: bool = False) -> RequestRecord:
    row = repo.request_by_id(session, rid)
    assert row is not None
    return request_record(row, progress(session, row[0]) if with_progress else None)


class RequestService:
    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    async def page(self, access: Access, scope: frozenset[int] | None, *, fleet: str | None, org: str | None,
                   within: str | None, offset: int, limit: int) -> tuple[int, list[RequestRecord]]:
        """Without filters: every request of the caller's orgs. With ``fleet``, ``org`` or ``scope``
        (the server's filters): only released, active ones, as the server lists them."""
        def read(session: Session) -> tuple[int, list[RequestRecord]]:
            where = self._filters(session, access, fleet, org, within)
            count, rows = repo.request_page(session, org_ids=scope, where=where, offset=offset, limit=limit)
            return count, [request_record(r) for r in rows]

        return await db.read(self._metadata, read)

    @staticmethod
    def _filters(session: Session, access: Access, fleet: str | None, org: str | None,
                 within: str | None) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if fleet:
            ids = [_fleet_org(session, access, slug)[0] for slug in fleet.split(",")]
            where.append(DeploymentRequest.fleet_id.in_(ids))
        if org:
            where.append(DeploymentRequest.org_id.in_([org_for(session, access, slug) for slug in org.split(",")]))
        if within == "global":
            where.append(false())  # no vendor-wide deployments on an appliance
        elif within and within.startswith("g--"):
            fleet_id, org_id = _fleet_org(session, access, within)
            where.append(or_(DeploymentRequest.fleet_id == fleet_id,
                             and_(DeploymentRequest.fleet_id.is_(None), DeploymentRequest.org_id == org_id)))
        elif within:
            where.append(DeploymentRequest.org_id == org_for(session, access, within))
        if where:
            where.append(repo.active(datetime.now(timezone.utc)))
        return where

    async def get(self, access: Access, rid: str) -> RequestRecord:
        number = request_id(rid)
        return await db.read(self._metadata, lambda s: _record(s, _visible(s, access, number).id, True))

    async def create(self, access: Access, body: dict[str, Any], *, created_by_id: int | None) -> RequestRecord:
        data = REQUEST_SPEC.parse(body, partial=False)

        def insert(session: Session) -> RequestRecord:
            org_id = org_for(session, access, data.pop("org"))
            access.require(org_id, Perm.MANAGE_OTA, "org")
            _references(session, org_id, data)
            _check_release(session, data["script_id"], data.get("released_on"))
            rid = repo.insert_request(session, org_id=org_id, created_by_id=created_by_id, **data)
            return _record(session, rid, True)

        record = await db.write(self._metadata, insert)
        LOGGER.info("deployment request %s created in %s (fleet %s)", record.id, record.org, record.fleet_id)
        return record

    async def update(self, access: Access, rid: str, body: dict[str, Any]) -> RequestRecord:
        number = request_id(rid)
        data = REQUEST_SPEC.parse(body)

        def change(session: Session) -> RequestRecord:
            request = _writable(session, access, number)
            if "org" in data and fleet_repo.org_by_slug(session, data.pop("org")) != request.org_id:
                raise fs.invalid("org", "a deployment request cannot move to another org")
            _references(session, request.org_id, data)
            _check_release(session, data.get("script_id", request.script_id),
                           data.get("released_on", request.released_on))
            repo.update_row(session, DeploymentRequest, request.id, data)
            return _record(session, request.id, True)

        return await db.write(self._metadata, change)

    async def delete(self, access: Access, rid: str) -> None:
        number = request_id(rid)
        await db.write(self._metadata, lambda s: repo.delete_row(s, DeploymentRequest,
                                                                  _writable(s, access, number).id))
        LOGGER.info("deployment request %s deleted", number)

    async def devices(self, access: Access, rid: str, *, offset: int, limit: int) -> tuple[int, list[ReachedDevice]]:
        """(device id, sg slug, template slug, current versions) of the devices the request reaches."""
        number = request_id(rid)

        def read(session: Session) -> tuple[int, list[ReachedDevice]]:
            chosen, current = targeted(session, _visible(session, access, number))
            result: list[ReachedDevice] = []
            for device_id in chosen[offset:offset + limit]:
                row = repo.device_row(session, device_id)
                versions = current.get(device_id, {})
                result.append((device_id, row[2] if row else None, row[1] if row else None,
                               [versions[k] for k in sorted(versions)]))
            return len(chosen), result

        return await db.read(self._metadata, read)


def _fleet_org(session: Session, access: Access, slug: str) -> tuple[int, int]:
    fleet_id = FleetSlug.parse(slug).id
    org_id = fleet_repo.org_id_of(session, fleet_id)
    if org_id is None:
        raise NotFound("fleet not found")
    access.visible(org_id, "fleet")
    return fleet_id, org_id
