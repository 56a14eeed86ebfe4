"""Orgs and memberships: the base every permission check stands on."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.services import db
from appliance.services.auth import Principal
from appliance.services.permissions import MEMBER_ROLES, Access
from storage.metadata import MetadataStore, Org
from storage.metadata.repos import orgs as repo

_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class OrgRecord:
    id: int
    uuid: str
    name: str
    slug: str
    about: str
    is_vendor: bool
    created_on: datetime
    created_by_id: int | None

    @classmethod
    def of(cls, row: Org) -> OrgRecord:
        return cls(row.id, row.uuid, row.name, row.slug, row.about or "", row.is_vendor, row.created_on,
                   row.created_by_id)


def slugify(name: str) -> str:
    return _SLUG.sub("-", name.lower()).strip("-")[:60]


def check_role(role: object) -> str:
    if role not in MEMBER_ROLES:
        raise ValidationError(f"role must be one of {', '.join(MEMBER_ROLES)}", key="invalid_role")
    return str(role)


class Orgs:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def access_for(self, principal: Principal) -> Access:
        if principal.account is None:
            return Access(api_key_org=principal.org_id)
        if principal.account.is_staff:
            return Access(is_staff=True, account_id=principal.account.id)
        account_id = principal.account.id
        roles = await db.read(self._store, lambda s: repo.roles_of(s, account_id))
        return Access(roles=roles, account_id=account_id)

    async def create(self, name: str, *, created_by_id: int | None, about: str = "",
                     is_vendor: bool = False) -> OrgRecord:
        """The creator becomes the owner (a0), as on iotile.cloud."""
        name = name.strip() if isinstance(name, str) else ""
        if not name or len(name) > 50:
            raise ValidationError("name must be 1 to 50 characters", key="invalid_name")
        slug = slugify(name)
        if not slug:
            raise ValidationError("name must contain letters or digits", key="invalid_name")
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> OrgRecord:
            if repo.name_or_slug_taken(session, name, slug):
                raise Conflict(f"an org named {name!r} already exists", key="duplicate_org")
            org = repo.create(session, uuid=str(uuid.uuid4()), name=name, slug=slug, about=about,
                              is_vendor=is_vendor, created_by_id=created_by_id, now=now)
            if created_by_id is not None:
                repo.add_member(session, org.id, created_by_id, "a0", now)
            return OrgRecord.of(org)

        return await db.write(self._store, insert)

    async def add_member(self, org_id: int, account_id: int, role: str) -> None:
        role = check_role(role)
        now = datetime.now(timezone.utc)
        await db.write(self._store, lambda s: repo.add_member(s, org_id, account_id, role, now))

    async def by_slug(self, slug: str) -> OrgRecord:
        row = await db.read(self._store, lambda s: repo.by_slug(s, slug))
        if row is None:
            raise NotFound("org not found")
        return OrgRecord.of(row)
