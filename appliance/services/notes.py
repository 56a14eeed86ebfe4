"""Notes on devices, projects, data blocks and streams (iotile.cloud's StreamNote).

A target is resolved to its org for the permission check: an unknown target, or one of an org the
caller is not in, is 404. Posting needs membership only (Operators post notes from the field);
reading needs ``can_read_notes``. System notes ('si'/'sc') are written by the appliance itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound
from appliance.services import db
from appliance.services.note_files import Attachment
from appliance.services.permissions import Access, Perm
from appliance.slugs import BlockSlug, DeviceSlug, ProjectSlug, StreamSlug, parse_target
from storage.metadata import MetadataStore
from storage.metadata.repos import notes as repo

LOGGER = logging.getLogger(__name__)

NOTE_TARGET_KINDS = frozenset({"device", "project", "datablock", "stream"})
MAX_NOTE_LENGTH = 10000
ATTACHMENT_PATH = "/api/v1/note/{id}/attachment/"


@dataclass(frozen=True)
class ResolvedTarget:
    slug: str
    org_id: int | None
    live_device_id: int | None  # set for a live device, whose lat/lon follows new locations


@dataclass(frozen=True)
class NoteRecord:
    id: int
    target: str
    timestamp: datetime
    note: str
    type: str
    user_slug: str | None
    username: str | None
    attachment: str | None = None  # the blob key of the attached file (note_files.Attachment)

    def as_json(self, base_url: str = "") -> dict[str, Any]:
        """StreamNoteSerializer; the attachment's ``url`` is absolute when ``base_url`` is given."""
        user_info = None if self.user_slug is None else {
            "username": f"@{self.username}", "slug": self.user_slug, "tiny_avatar": ""}
        attachment = Attachment.parse(self.attachment)
        return {"id": self.id, "target": self.target, "timestamp": self.timestamp, "note": self.note,
                "type": self.type, "user_info": user_info,
                "attachment": attachment.as_json(f"{base_url}{ATTACHMENT_PATH.format(id=self.id)}")
                if attachment else None}


def canonical_target(text: str) -> DeviceSlug | BlockSlug | ProjectSlug | StreamSlug:
    """A d-- slug with block bits is the server's spelling of a data block."""
    target = parse_target(text, kinds=NOTE_TARGET_KINDS)
    if isinstance(target, DeviceSlug) and target.block:
        return target.as_block()
    assert isinstance(target, (DeviceSlug, BlockSlug, ProjectSlug, StreamSlug))
    return target


def resolve_in(session: Session, text: str) -> ResolvedTarget:
    target = canonical_target(text)
    if isinstance(target, DeviceSlug):
        return ResolvedTarget(target.slug, repo.device_org(session, target.id), target.id)
    if isinstance(target, BlockSlug):
        return ResolvedTarget(target.slug, repo.block_org(session, target.device, target.block), None)
    if isinstance(target, ProjectSlug):
        return ResolvedTarget(target.slug, repo.project_org(session, target.gid), None)
    org = repo.stream_org(session, target.project, target.device, target.lid)
    return ResolvedTarget(target.slug, org, None)


def record_of(row: repo.NoteRow) -> NoteRecord:
    note, slug, username = row
    return NoteRecord(note.id, note.target_slug, note.timestamp, note.note, note.type, slug, username,
                      note.attachment)


class NoteService:
    def __init__(self, metadata: MetadataStore) -> None:
        self._metadata = metadata

    async def resolve(self, access: Access, text: str, perm: Perm | None) -> ResolvedTarget:
        """Membership (or ``perm``) in the target's org; an unclaimed target exists for nobody."""
        canonical_target(text)  # a malformed slug is a 400 before any lookup
        target = await db.read(self._metadata, lambda s: resolve_in(s, text))
        if target.org_id is None:
            raise NotFound("target not found")
        if perm is None:
            access.visible(target.org_id, "target")
        else:
            access.require(target.org_id, perm, "target")
        return target

    async def list(self, access: Access, text: str, *, start: datetime | None, end: datetime | None,
                   lastn: int | None, offset: int, limit: int) -> tuple[int, list[NoteRecord]]:
        target = await self.resolve(access, text, Perm.READ_NOTES)
        count, rows = await db.read(self._metadata, lambda s: repo.notes(
            s, target.slug, start=start, end=end, lastn=lastn, offset=offset, limit=limit))
        return count, [record_of(row) for row in rows]

    async def add(self, access: Access, text: str, *, timestamp: datetime, note: str,
                  created_by_id: int | None) -> NoteRecord:
        target = await self.resolve(access, text, None)
        return await self.add_to(target.slug, timestamp=timestamp, note=note, type_="ui",
                                 created_by_id=created_by_id)

    async def add_to(self, target_slug: str, *, timestamp: datetime, note: str, type_: str,
                     created_by_id: int | None = None) -> NoteRecord:
        """No permission check: for the appliance's own system notes, and after ``resolve``."""
        row = await db.write(self._metadata, lambda s: record_of(repo.add_note(
            s, target_slug=target_slug, timestamp=timestamp, note=note, type_=type_,
            created_by_id=created_by_id)))
        LOGGER.info("note %s added on %s", row.id, target_slug)
        return row
