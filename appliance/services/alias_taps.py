"""Stream alias taps: "from this time on, the alias reads this stream" (iotile.cloud's tap/).

A tap's stream must be a StreamId of the alias's org (the server's serializer check). Taps may be
added in any order; reads sort them by time. Two taps of one alias at the same instant are refused:
the server accepts them and its stitched read then picks one of the two streams arbitrarily.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from appliance.errors import NotFound, ValidationError
from appliance.services import db
from appliance.services.aliases import managed_alias, visible_alias_id
from appliance.services.permissions import Access
from appliance.slugs import AliasSlug, StreamSlug
from storage.metadata import MetadataStore
from storage.metadata.models import StreamAlias, StreamAliasTap
from storage.metadata.repos import aliases as repo

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class TapRecord:
    id: int
    alias_id: int
    org_id: int
    timestamp: datetime
    stream: StreamSlug
    created_on: datetime
    created_by: str | None

    @classmethod
    def of(cls, row: repo.TapRow) -> TapRecord:
        tap, org_id, project, device, lid, creator = row
        return cls(tap.id, tap.alias_id, org_id, tap.timestamp, StreamSlug(project, device, lid), tap.created_on,
                   creator)

    def as_json(self) -> dict[str, object]:
        """StreamAliasTapSerializer's fields (alias and stream by slug)."""
        return {"id": self.id, "alias": AliasSlug(self.alias_id).slug, "timestamp": self.timestamp,
                "stream": self.stream.slug, "created_on": self.created_on, "created_by": self.created_by}


@dataclass(frozen=True)
class TapFields:
    """What a caller may set; None leaves a field as it is (PATCH) or is missing (POST/PUT)."""

    alias: str | None = None
    timestamp: datetime | None = None
    stream: str | None = None


def _record(session: Session, tap_id: int) -> TapRecord:
    row = repo.tap_row(session, tap_id)
    if row is None:
        raise NotFound("stream alias tap not found")
    return TapRecord.of(row)


def _managed_tap(session: Session, access: Access, tap_id: int) -> StreamAliasTap:
    tap = repo.tap_obj(session, tap_id)
    if tap is None:
        raise NotFound("stream alias tap not found")
    managed_alias(session, access, tap.alias_id)
    return tap


def _stream_in(session: Session, access: Access, slug: str, org_id: int) -> int:
    """The StreamId of ``slug`` in the alias's org; a stream the caller cannot see reads as missing."""
    stream = StreamSlug.parse(slug)
    found = repo.stream_ref(session, stream.project, stream.device, stream.lid)
    if found is None or not access.is_member(found[1]):
        raise ValidationError(f"stream: Object with slug={slug} does not exist.", key="unknown_stream")
    if found[1] != org_id:
        raise ValidationError("Stream is not in the Org of Alias", key="stream_org")
    return found[0]


def _free_time(session: Session, alias_id: int, timestamp: datetime, tap_id: int | None = None) -> None:
    if repo.tap_at(session, alias_id, timestamp, exclude_id=tap_id):
        raise ValidationError("timestamp: the alias already has a tap at this time", key="duplicate_tap")


def _target_alias(session: Session, access: Access, slug: str) -> StreamAlias:
    """The alias a tap is put on: 400 malformed, 404 unknown or hidden, 403 without the permission."""
    return managed_alias(session, access, AliasSlug.parse(slug).id)


class AliasTaps:
    """Tap CRUD, checked against the alias's org in the same transaction as the write."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def page(self, access: Access, scope: frozenset[int] | None, *, target: str | None, offset: int,
                   limit: int) -> tuple[int, list[TapRecord]]:
        """``target``: one alias's taps (``?target=a--...``)."""
        def read(s: Session) -> tuple[int, list[TapRecord]]:
            alias_id = visible_alias_id(s, access, target) if target is not None else None
            count, rows = repo.tap_page(s, org_ids=scope, alias_id=alias_id, offset=offset, limit=limit)
            return count, [TapRecord.of(row) for row in rows]
        return await db.read(self._store, read)

    async def get(self, access: Access, tap_id: int) -> TapRecord:
        return await db.read(self._store, lambda s: _record(s, _managed_tap(s, access, tap_id).id))

    async def create(self, access: Access, fields: TapFields, created_by_id: int | None) -> TapRecord:
        alias_slug, timestamp, stream_slug = fields.alias, fields.timestamp, fields.stream
        if alias_slug is None or timestamp is None or stream_slug is None:
            raise ValidationError("alias, timestamp and stream are required", key="missing_field")

        def write(s: Session) -> TapRecord:
            alias = _target_alias(s, access, alias_slug)
            stream_id = _stream_in(s, access, stream_slug, alias.org_id)
            _free_time(s, alias.id, timestamp)
            tap = repo.add_tap(s, alias_id=alias.id, timestamp=timestamp, stream_id=stream_id,
                               created_by_id=created_by_id)
            return _record(s, tap.id)
        return await db.write(self._store, write)

    async def update(self, access: Access, tap_id: int, fields: TapFields) -> TapRecord:
        def write(s: Session) -> TapRecord:
            tap = _managed_tap(s, access, tap_id)
            alias = _target_alias(s, access, fields.alias) if fields.alias is not None else tap.alias
            if fields.stream is not None:
                tap.stream_id = _stream_in(s, access, fields.stream, alias.org_id)
            elif repo.stream_org(s, tap.stream_id) != alias.org_id:
                raise ValidationError("Stream is not in the Org of Alias", key="stream_org")
            timestamp = fields.timestamp or tap.timestamp
            _free_time(s, alias.id, timestamp, tap.id)
            tap.alias_id, tap.timestamp = alias.id, timestamp
            s.flush()
            return _record(s, tap.id)
        return await db.write(self._store, write)

    async def delete(self, access: Access, tap_id: int) -> None:
        await db.write(self._store, lambda s: s.delete(_managed_tap(s, access, tap_id)))

