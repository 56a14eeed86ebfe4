"""Registering devices: one, a list, a range of serial numbers, or a CSV batch, all or nothing.

On iotile.cloud only staff create devices (``POST device/?staff=1``). The appliance also lets org
admins register devices into their own org and an org Api-Key do it through ``production/device/``
(the factory line of a site), because here the site is its own manufacturer of record.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.devices_claim import claim_in_session, project_for_claim
from appliance.services.devices_records import DeviceRecord, DevicesBase
from appliance.services.permissions import Access, Perm
from appliance.slugs import SERIAL_MASK, DeviceSlug, SlugError
from storage.metadata.repos import devices as repo

MAX_BATCH = 10_000
VIRTUAL_TEMPLATE = "generic-virtual-device-v1-0-0"
RESTRICTED = "Restricted Access. Contact Arch"


def serial(name: str, value: Any) -> int:
    """A serial number: an int, decimal or 0x-hex text, or a d-- slug (never a data block)."""
    try:
        if isinstance(value, str) and value.startswith("d--"):
            number = DeviceSlug.parse(value).id
        elif isinstance(value, str) and value.lower().startswith("0x"):
            number = int(value, 16)
        elif isinstance(value, str) and value.isdigit():
            number = int(value)
        else:
            number = value
    except (SlugError, ValueError):
        raise fs.invalid(name, "expected a serial number or a d-- slug") from None
    if isinstance(number, bool) or not isinstance(number, int) or not 0 < number <= SERIAL_MASK:
        raise fs.invalid(name, f"expected a serial number from 1 to {SERIAL_MASK}")
    return number


_COMMON = {
    "label": fs.text(100), "external_id": fs.text(24), "template": fs.nullable(fs.text(60)),
    "sg": fs.nullable(fs.text(60)), "active": fs.boolean, "org": fs.nullable(fs.text(60)),
    "project": fs.nullable(fs.text(36)),
}
ITEM = fs.Spec({**_COMMON, "id": serial, "lat": fs.nullable(fs.number(-90, 90)),
                "lon": fs.nullable(fs.number(-180, 180))},
               read_only=frozenset({"slug", "gid", "busy", "created_on", "claimed_by", "claimed_on", "state"}))
RANGE = fs.Spec({**_COMMON, "first": serial, "last": serial, "count": fs.integer(1, MAX_BATCH)},
                required=frozenset({"first"}))
VIRTUAL = fs.Spec({"qty": fs.integer(1, 1), "sg": fs.text(60), "user": fs.text(150)},
                  required=frozenset({"sg", "user"}))


@dataclass
class _Refs:
    """Slug lookups and permission checks done once per batch, not once per device."""

    session: Session
    access: Access
    ids: dict[tuple[str, str], int | None] = field(default_factory=dict)
    projects: dict[str, tuple[int, int]] = field(default_factory=dict)

    def catalogue(self, kind: str, slug: str | None) -> int | None:
        if slug is None:
            return None
        if (kind, slug) not in self.ids:
            find = repo.template_id_by_slug if kind == "template" else repo.sg_id_by_slug
            self.ids[kind, slug] = find(self.session, slug)
        found = self.ids[kind, slug]
        if found is None:
            raise fs.invalid(kind, f"Object with slug={slug} does not exist.")
        return found

    def org(self, slug: str | None, project: tuple[int, int] | None) -> int | None:
        """The org new devices go to, and whether this caller may put them there."""
        if project is not None:
            if slug is not None and repo.org_id_by_slug(self.session, slug) != project[1]:
                raise fs.invalid("project", "the project belongs to another org")
            if not self.access.is_staff:
                self.access.require(project[1], Perm.MANAGE_ORG_AND_PROJECTS, "project")
            return project[1]
        if self.access.api_key_org is not None:
            if slug is not None and repo.org_id_by_slug(self.session, slug) != self.access.api_key_org:
                raise fs.invalid("org", "an Api-Key registers devices in its own org only")
            return self.access.api_key_org
        if slug is None:
            if not self.access.is_staff:
                raise PermissionDenied(RESTRICTED, key="restricted")
            return None
        if ("org", slug) not in self.ids:
            org_id = repo.org_id_by_slug(self.session, slug)
            if org_id is None:
                raise NotFound("org not found")
            self.access.require(org_id, Perm.MANAGE_ORG_AND_PROJECTS, "org")
            self.ids["org", slug] = org_id
        return self.ids["org", slug]

    def project(self, ref: str) -> tuple[int, int]:
        if self.access.api_key_org is not None:
            raise fs.invalid("project", "claiming needs a user account, not an Api-Key")
        if ref not in self.projects:
            self.projects[ref] = project_for_claim(self.session, self.access, ref)
        return self.projects[ref]


def _row(item: dict[str, Any], refs: _Refs, account_id: int | None, now: datetime) -> tuple[dict[str, Any], Any]:
    project = refs.project(item["project"]) if item.get("project") else None
    org_id = refs.org(item.get("org"), project)
    active = item.get("active", True)
    row = {"id": item["id"], "org_id": org_id, "project_id": None,
           "template_id": refs.catalogue("template", item.get("template")),
           "sg_id": refs.catalogue("sg", item.get("sg")), "external_id": item.get("external_id", ""),
           "label": item.get("label", ""), "lat": item.get("lat"), "lon": item.get("lon"), "active": active,
           "state": "N1" if active else "N0", "created_on": now, "created_by_id": account_id}
    return row, project


def _assign_ids(session: Session, items: list[dict[str, Any]]) -> None:
    """Items without an id get the next free serial numbers; duplicates are refused whole (409)."""
    given = [item["id"] for item in items if "id" in item]
    dupes = sorted(n for n, times in Counter(given).items() if times > 1)
    taken = dupes or repo.taken_ids(session, given)
    if taken:
        shown = ", ".join(DeviceSlug(n).slug for n in taken[:5])
        raise Conflict(f"device(s) already exist: {shown}{' ...' if len(taken) > 5 else ''}",
                       key="duplicate_device", detail={"existing": [DeviceSlug(n).slug for n in taken[:100]]})
    next_free = max([repo.next_id(session), *(n + 1 for n in given)])
    for item in items:
        if "id" not in item:
            item["id"], next_free = next_free, next_free + 1


def parse_csv(text: str) -> list[dict[str, Any]]:
    """A header row naming device fields, then one device per row; empty cells are left out."""
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames:
        raise ValidationError("the CSV needs a header row naming the columns", key="bad_csv")
    items: list[dict[str, Any]] = []
    for number, row in enumerate(reader, start=2):
        if None in row:
            raise ValidationError(f"CSV line {number}: more cells than columns", key="bad_csv")
        item = {name.strip(): value.strip() for name, value in row.items() if value and value.strip()}
        if item:
            items.append(item)
        if len(items) > MAX_BATCH:
            raise ValidationError(f"at most {MAX_BATCH} devices per batch", key="batch_too_large")
    return items


def range_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    data = RANGE.parse(body, partial=False)
    first = data.pop("first")
    last = data.pop("last", None)
    count = data.pop("count", None)
    if (last is None) == (count is None):
        raise ValidationError("give either last or count", key="invalid_range")
    last = first + count - 1 if count is not None else last
    if last < first or last - first >= MAX_BATCH or last > SERIAL_MASK:
        raise ValidationError(f"a range holds 1 to {MAX_BATCH} serial numbers", key="invalid_range")
    label = data.pop("label", "")
    return [{**data, "id": n, "label": label.replace("{id}", f"{n & 0xFFFF:04x}")}
            for n in range(first, last + 1)]


class DeviceCreation(DevicesBase):
    async def create(self, access: Access, items: Sequence[dict[str, Any]], *,
                     parsed: bool = False) -> list[DeviceRecord]:
        """Register devices (those with a ``project`` are claimed into it at once), all or none."""
        if not items or len(items) > MAX_BATCH:
            raise ValidationError(f"give 1 to {MAX_BATCH} devices", key="batch_too_large")
        clean = [dict(item) if parsed else ITEM.parse(_object(item)) for item in items]
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> list[DeviceRecord]:
            refs = _Refs(session, access)
            _assign_ids(session, clean)
            made = [_row(item, refs, access.account_id, now) for item in clean]
            repo.insert_many(session, [row for row, _ in made])
            for row, project in made:
                if project is not None:
                    claim_in_session(session, row["id"], project[0], access.account_id, now)
            return [DeviceRecord.of(r) for r in repo.rows_by_ids(session, [row["id"] for row, _ in made])]

        records = await db.write(self._store, insert)
        self._changed(created=len(records))
        return records

    async def create_range(self, access: Access, body: dict[str, Any]) -> list[DeviceRecord]:
        return await self.create(access, range_items(body), parsed=True)

    async def create_csv(self, access: Access, text: str) -> list[DeviceRecord]:
        items = parse_csv(text)
        return await self.create(access, [ITEM.parse(item) for item in items], parsed=True)

    async def create_virtual(self, access: Access, body: dict[str, Any]) -> list[DeviceRecord]:
        """production/device/create_virtual/: one device of the key's org, "claimed by" a staff user."""
        data = VIRTUAL.parse(body, partial=False)
        org_id = access.api_key_org
        if org_id is None:
            raise PermissionDenied("an org Api-Key is required", key="api_key_required")
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> list[DeviceRecord]:
            user_id = repo.staff_account_id(session, data["user"])
            if user_id is None:
                raise fs.invalid("user", f"Object with slug={data['user']} does not exist.")
            sg_id = repo.sg_id_by_slug(session, data["sg"])
            if sg_id is None:
                raise fs.invalid("sg", f"Object with slug={data['sg']} does not exist.")
            device_id = repo.next_id(session)
            repo.insert_many(session, [{
                "id": device_id, "org_id": org_id, "template_id": repo.template_id_by_slug(session, VIRTUAL_TEMPLATE),
                "sg_id": sg_id, "created_on": now, "created_by_id": user_id, "claimed_by_id": user_id}])
            return [DeviceRecord.of(r) for r in repo.rows_by_ids(session, [device_id])]

        records = await db.write(self._store, insert)
        self._changed(created=1)
        return records


def _object(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise ValidationError("expected a JSON object for each device", key="bad_json")
    return item
