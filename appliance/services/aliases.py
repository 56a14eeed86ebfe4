"""Stream aliases (``a--`` slugs): virtual streams that read different physical streams over time.

Permissions follow iotile.cloud's streamalias views: any member lists the aliases (and taps) of
their orgs, but reading one by slug, creating, changing and deleting need
``can_manage_stream_aliases`` in its org (a0, a1, d1, staff). The appliance's matrix decides the
rest: another org's alias is 404, not the server's 403. The taps live in alias_taps.py, reads
through an alias in alias_reads.py.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from appliance.errors import NotFound, ValidationError
from appliance.services import db
from appliance.services.permissions import Access, Perm
from appliance.slugs import AliasSlug, gid
from storage.metadata import MetadataStore
from storage.metadata.models import StreamAlias
from storage.metadata.repos import aliases as repo

LOGGER = logging.getLogger(__name__)
MAX_NAME = 100
ALIAS_GROUPS = 4


@dataclass(frozen=True)
class AliasRecord:
    id: int
    name: str
    org_id: int
    org: str
    created_on: datetime
    created_by: str | None

    @classmethod
    def of(cls, row: repo.AliasRow) -> AliasRecord:
        alias, org, creator = row
        return cls(alias.id, alias.name, alias.org_id, org, alias.created_on, creator)

    @property
    def slug(self) -> str:
        return AliasSlug(self.id).slug

    def as_json(self) -> dict[str, object]:
        """StreamAliasSerializer's fields; ``gid`` is the slug's hex without its prefix."""
        return {"id": self.id, "slug": self.slug, "gid": gid(self.id, ALIAS_GROUPS), "name": self.name,
                "org": self.org, "created_on": self.created_on, "created_by": self.created_by}


@dataclass(frozen=True)
class AliasFields:
    """What a caller may set; None leaves a field as it is (PATCH) or is missing (POST/PUT)."""

    name: str | None = None
    org: str | None = None


def require_manage(access: Access, org_id: int, what: str = "stream alias") -> None:
    """404 outside the org, 403 without can_manage_stream_aliases."""
    access.require(org_id, Perm.MANAGE_STREAM_ALIASES, what)


def managed_alias(session: Session, access: Access, alias_id: int) -> StreamAlias:
    """The alias, for a caller who may manage it (missing and hidden aliases are both 404)."""
    alias = repo.alias_obj(session, alias_id)
    if alias is None or not access.is_member(alias.org_id):
        raise NotFound("stream alias not found")
    require_manage(access, alias.org_id)
    return alias


def visible_alias_id(session: Session, access: Access, text: str) -> int:
    """An alias slug the caller can see (a ``?target=`` filter); 400 malformed, 404 missing or hidden."""
    alias = repo.alias_obj(session, AliasSlug.parse(text).id)
    if alias is None or not access.is_member(alias.org_id):
        raise NotFound("stream alias not found")
    return alias.id


def org_for_write(session: Session, access: Access, slug: str) -> int:
    """The org an alias is put in: 404 unknown or hidden, 403 without the permission there."""
    org_id = repo.org_id_by_slug(session, slug)
    if org_id is None:
        raise NotFound("org not found")
    require_manage(access, org_id, "org")
    return org_id


def _record(session: Session, alias_id: int) -> AliasRecord:
    row = repo.alias_row(session, alias_id)
    if row is None:
        raise NotFound("stream alias not found")
    return AliasRecord.of(row)


def _move(session: Session, access: Access, alias: StreamAlias, org_slug: str) -> None:
    """Moving an alias must not let another org's members read this org's streams through it."""
    org_id = org_for_write(session, access, org_slug)
    if org_id != alias.org_id and repo.foreign_taps(session, alias.id, org_id):
        raise ValidationError("Stream is not in the Org of Alias: the alias has taps on streams of its "
                              "current org; delete them before moving it", key="stream_org")
    alias.org_id = org_id


class StreamAliases:
    """Alias CRUD; every check and write of one request runs in one metadata transaction."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def page(self, access: Access, scope: frozenset[int] | None, *, org_slug: str | None, offset: int,
                   limit: int) -> tuple[int, list[AliasRecord]]:
        """``scope``: the orgs listed (None: every org, staff with ?staff=1); ``org_slug``: ?org=."""
        def read(s: Session) -> tuple[int, list[AliasRecord]]:
            org_id = None
            if org_slug is not None:
                org_id = repo.org_id_by_slug(s, org_slug)
                access.visible(org_id, "org")
            count, rows = repo.alias_page(s, org_ids=scope, org_id=org_id, offset=offset, limit=limit)
            return count, [AliasRecord.of(row) for row in rows]
        return await db.read(self._store, read)

    async def get(self, access: Access, slug: str) -> AliasRecord:
        alias_id = AliasSlug.parse(slug).id
        return await db.read(self._store, lambda s: _record(s, managed_alias(s, access, alias_id).id))

    async def create(self, access: Access, fields: AliasFields, created_by_id: int | None) -> AliasRecord:
        name, org_slug = fields.name, fields.org
        if name is None or org_slug is None:
            raise ValidationError("name and org are required", key="missing_field")

        def write(s: Session) -> AliasRecord:
            org_id = org_for_write(s, access, org_slug)
            alias = repo.add_alias(s, name=name, org_id=org_id, created_by_id=created_by_id)
            LOGGER.info("stream alias %s created in org %d", AliasSlug(alias.id).slug, org_id)
            return _record(s, alias.id)
        return await db.write(self._store, write)

    async def update(self, access: Access, slug: str, fields: AliasFields) -> AliasRecord:
        alias_id = AliasSlug.parse(slug).id

        def write(s: Session) -> AliasRecord:
            alias = managed_alias(s, access, alias_id)
            if fields.org is not None:
                _move(s, access, alias, fields.org)
            if fields.name is not None:
                alias.name = fields.name
            s.flush()
            return _record(s, alias.id)
        return await db.write(self._store, write)

    async def delete(self, access: Access, slug: str) -> None:
        """Its taps go with it (ON DELETE CASCADE); the streams and their data stay."""
        alias_id = AliasSlug.parse(slug).id
        await db.write(self._store, lambda s: s.delete(managed_alias(s, access, alias_id)))
