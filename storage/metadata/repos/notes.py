"""Queries for stream notes, and the org a note/location target belongs to.

Targets arrive already parsed (the appliance's slugs module); this module only needs their integers,
so it never imports the appliance package.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, DataBlock, Device, Project, StreamId, StreamNote

NoteRow = tuple[StreamNote, str | None, str | None]  # the note, its author's slug and username


def device_org(session: Session, device_id: int) -> int | None:
    return session.scalar(select(Device.org_id).where(Device.id == device_id))


def block_org(session: Session, device_id: int, block: int) -> int | None:
    stmt = select(DataBlock.org_id).where(DataBlock.device_id == device_id, DataBlock.block == block)
    return session.scalar(stmt)


def project_org(session: Session, project_id: int) -> int | None:
    return session.scalar(select(Project.org_id).where(Project.id == project_id))


def stream_org(session: Session, project_gid: int, device_gid: int, lid: int) -> int | None:
    stmt = select(StreamId.org_id).where(
        StreamId.project_gid == project_gid, StreamId.device_gid == device_gid, StreamId.var_lid == lid)
    return session.scalar(stmt)


def add_note(session: Session, *, target_slug: str, timestamp: datetime, note: str, type_: str,
             created_by_id: int | None) -> NoteRow:
    row = StreamNote(target_slug=target_slug, timestamp=timestamp, note=note, type=type_,
                     created_by_id=created_by_id)
    session.add(row)
    session.flush()
    author = session.get(Account, created_by_id) if created_by_id is not None else None
    return row, author.slug if author else None, author.username if author else None


def _window(stmt: Select[tuple[StreamNote]], target_slug: str, start: datetime | None,
            end: datetime | None) -> Select[tuple[StreamNote]]:
    stmt = stmt.where(StreamNote.target_slug == target_slug)
    if start is not None:
        stmt = stmt.where(StreamNote.timestamp >= start)
    if end is not None:
        stmt = stmt.where(StreamNote.timestamp < end)
    return stmt


def notes(session: Session, target_slug: str, *, start: datetime | None, end: datetime | None,
          lastn: int | None, offset: int, limit: int) -> tuple[int, Sequence[NoteRow]]:
    """Oldest first; ``lastn`` keeps only the newest n of the window, still oldest first (as the server)."""
    ids = _window(select(StreamNote.id), target_slug, start, end)
    if lastn is not None:
        ids = ids.order_by(StreamNote.timestamp.desc(), StreamNote.id.desc()).limit(lastn)
    chosen = ids.subquery()
    count = session.scalar(select(func.count()).select_from(chosen)) or 0
    stmt = (select(StreamNote, Account.slug, Account.username)
            .outerjoin(Account, Account.id == StreamNote.created_by_id)
            .where(StreamNote.id.in_(select(chosen.c.id)))
            .order_by(StreamNote.timestamp, StreamNote.id).offset(offset).limit(limit))
    rows = [(note, slug, username) for note, slug, username in session.execute(stmt).all()]
    return int(count), rows


def note_obj(session: Session, note_id: int) -> StreamNote | None:
    return session.get(StreamNote, note_id)


def note_row(session: Session, note_id: int) -> NoteRow | None:
    stmt = (select(StreamNote, Account.slug, Account.username)
            .outerjoin(Account, Account.id == StreamNote.created_by_id).where(StreamNote.id == note_id))
    found = session.execute(stmt).first()
    return None if found is None else (found[0], found[1], found[2])


def set_attachment(session: Session, note_id: int, key: str | None) -> str | None:
    """Point the note at a new attachment blob (or none); returns the key it pointed at before."""
    note = session.get(StreamNote, note_id)
    if note is None:
        raise LookupError(f"note {note_id} vanished")
    previous, note.attachment = note.attachment, key
    session.flush()
    return previous
