"""Orgs and memberships: the base every permission check stands on."""

from __future__ import annotations

import logging
import re
import unicodedata
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, ValidationError
from appliance.services import db
from appliance.services.auth import Principal
from appliance.services.memberships import Memberships
from appliance.services.permissions import MEMBER_ROLES, Access
from storage.metadata import MetadataStore, Org
from storage.metadata.repos import orgs as repo

LOGGER = logging.getLogger(__name__)
_NOT_SLUG = re.compile(r"[^\w\s-]")
_DASHES = re.compile(r"[-\s]+")
NAME_MAX = 50  # iotile.cloud's Org.name max_length
ABOUT_MAX = 10_000


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
    created_by_slug: str | None = None
    domain_names: tuple[str, ...] = ()

    @classmethod
    def of(cls, row: Org, created_by_slug: str | None = None, domain_names: Sequence[str] = ()) -> OrgRecord:
        return cls(row.id, row.uuid, row.name, row.slug, row.about or "", row.is_vendor, row.created_on,
                   row.created_by_id, created_by_slug, tuple(domain_names))


@dataclass(frozen=True)
class OrgExtra:
    """What ``org/<slug>/extra/`` adds to an org: record counts."""

    org: OrgRecord
    counts: Mapping[str, int] = field(default_factory=dict)


def slugify(name: str) -> str:
    """Django's slugify (ASCII-folded, lowercase, runs of spaces/dashes to one dash), as iotile.cloud."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    text = _NOT_SLUG.sub("", text.lower())
    return _DASHES.sub("-", text).strip("-_")[:60]


def check_role(role: object) -> str:
    if role not in MEMBER_ROLES:
        raise ValidationError(f"role must be one of {', '.join(MEMBER_ROLES)}", key="invalid_role",
                              detail={"role": "invalid"})
    return str(role)


def check_name(name: object) -> tuple[str, str]:
    """(name, slug) for an org name, or a 400 naming the problem."""
    name = name.strip() if isinstance(name, str) else ""
    if not name or len(name) > NAME_MAX or any(unicodedata.category(c) == "Cc" for c in name):
        raise ValidationError(f"name must be 1 to {NAME_MAX} characters on one line", key="invalid_name",
                              detail={"name": "invalid"})
    slug = slugify(name)
    if not slug:
        raise ValidationError("name must contain letters or digits", key="invalid_name", detail={"name": "invalid"})
    return name, slug


def check_about(about: object) -> str:
    if not isinstance(about, str) or len(about) > ABOUT_MAX:
        raise ValidationError(f"about must be text of at most {ABOUT_MAX} characters", key="invalid_about",
                              detail={"about": "invalid"})
    return about


def _records(session: Session, rows: Sequence[Org]) -> list[OrgRecord]:
    """Records with the creator's slug and verified domains, in two queries for any number of orgs."""
    creators = repo.creator_slugs(session, {r.created_by_id for r in rows if r.created_by_id is not None})
    domains = repo.domain_names(session, {r.id for r in rows})
    return [OrgRecord.of(r, creators.get(r.created_by_id or 0), domains.get(r.id, ())) for r in rows]


class Orgs:
    """Orgs by slug; their memberships are ``orgs.members``."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self.members = Memberships(store)

    async def access_for(self, principal: Principal) -> Access:
        if principal.account is None:
            return Access(api_key_org=principal.org_id)
        if principal.account.is_staff:
            return Access(is_staff=True, account_id=principal.account.id)
        account_id = principal.account.id
        roles = await db.read(self._store, lambda s: repo.roles_of(s, account_id))
        return Access(roles=roles, account_id=account_id)

    async def member_org_ids(self, account_id: int) -> frozenset[int]:
        """The orgs an account is an active member of (staff included: their Access skips this)."""
        roles = await db.read(self._store, lambda s: repo.roles_of(s, account_id))
        return frozenset(roles)

    async def create(self, name: str, *, created_by_id: int | None, about: str = "",
                     is_vendor: bool = False) -> OrgRecord:
        """The creator becomes the owner (a0), as on iotile.cloud."""
        name, slug = check_name(name)
        about = check_about(about)
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> OrgRecord:
            if repo.name_or_slug_taken(session, name, slug):
                raise Conflict(f"an org named {name!r} already exists", key="duplicate_org")
            org = repo.create(session, uuid=str(uuid.uuid4()), name=name, slug=slug, about=about,
                              is_vendor=is_vendor, created_by_id=created_by_id, now=now)
            if created_by_id is not None:
                repo.add_member(session, org.id, created_by_id, "a0", now)
            return _records(session, [org])[0]

        record = await db.write(self._store, insert)
        LOGGER.info("org %s created by account %s", record.slug, created_by_id)
        return record

    async def add_member(self, org_id: int, account_id: int, role: str) -> None:
        role = check_role(role)
        now = datetime.now(timezone.utc)
        await db.write(self._store, lambda s: repo.add_member(s, org_id, account_id, role, now))

    async def by_slug(self, slug: str) -> OrgRecord:
        def query(session: Session) -> OrgRecord | None:
            row = repo.by_slug(session, slug)
            return None if row is None else _records(session, [row])[0]

        record = await db.read(self._store, query)
        if record is None:
            raise NotFound("org not found", key="org_not_found")
        return record

    async def visible(self, access: Access, slug: str) -> OrgRecord:
        """The org if the caller may see it; otherwise it does not exist for them (404)."""
        org = await self.by_slug(slug)
        access.visible(org.id, "org")
        return org

    async def page(self, org_ids: frozenset[int] | None, *, search: str | None = None,
                   created_by_id: int | None = None, offset: int = 0,
                   limit: int = 100) -> tuple[int, list[OrgRecord]]:
        """``org_ids`` None lists every org (staff)."""
        def query(session: Session) -> tuple[int, list[OrgRecord]]:
            total, rows = repo.page_orgs(session, org_ids, search=search, created_by_id=created_by_id,
                                         offset=offset, limit=limit)
            return total, _records(session, rows)

        return await db.read(self._store, query)

    async def update(self, org_id: int, *, name: str | None = None, about: str | None = None) -> OrgRecord:
        """A new name gives a new slug, as iotile.cloud re-slugs on every save."""
        checked = check_name(name) if name is not None else None
        about = check_about(about) if about is not None else None

        def update(session: Session) -> OrgRecord:
            row = repo.by_id(session, org_id)
            if row is None:
                raise NotFound("org not found", key="org_not_found")
            if checked is not None:
                if repo.name_or_slug_taken(session, checked[0], checked[1], exclude_id=org_id):
                    raise Conflict(f"an org named {checked[0]!r} already exists", key="duplicate_org")
                row.name, row.slug = checked
            if about is not None:
                row.about = about
            session.flush()
            return _records(session, [row])[0]

        return await db.write(self._store, update)

    async def delete(self, org_id: int) -> None:
        """Refused while the org still holds projects, devices or archives: deleting them would orphan
        their stream data, which lives in another database."""
        def remove(session: Session) -> None:
            counts = repo.counts(session, org_id)
            held = {k: counts[k] for k in ("projects", "devices", "datablocks") if counts[k]}
            if held:
                listed = ", ".join(f"{n} {k}" for k, n in held.items())
                raise Conflict(f"the org still has {listed}; move or delete them first", key="org_not_empty")
            repo.delete_org(session, org_id)

        await db.write(self._store, remove)
        LOGGER.info("org %s deleted", org_id)

    async def extra_info(self, org: OrgRecord) -> OrgExtra:
        counts = await db.read(self._store, lambda s: repo.counts(s, org.id))
        return OrgExtra(org, counts)
