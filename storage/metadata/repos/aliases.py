"""Queries for stream aliases and their taps.

Rows come back with the slugs the wire format names (org, creator) and a tap's stream as its three
integers, so one SELECT answers a page; the appliance formats the slugs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, Org, StreamAlias, StreamAliasTap, StreamId

AliasRow = Row[StreamAlias, str, str | None]  # the alias, its org's slug, its creator's slug
# the tap, its alias's org id, its stream's (project gid, device gid, lid), its creator's slug
TapRow = Row[StreamAliasTap, int, int, int, int, str | None]
SliceRow = Row[datetime, int, int, int, int]  # tap time, stream (project, device, lid), stream org


def _aliases() -> Any:
    return (select(StreamAlias, Org.slug, Account.slug)
            .join(Org, StreamAlias.org_id == Org.id)
            .outerjoin(Account, StreamAlias.created_by_id == Account.id))


def _taps() -> Any:
    return (select(StreamAliasTap, StreamAlias.org_id, StreamId.project_gid, StreamId.device_gid,
                   StreamId.var_lid, Account.slug)
            .join(StreamAlias, StreamAliasTap.alias_id == StreamAlias.id)
            .join(StreamId, StreamAliasTap.stream_id == StreamId.id)
            .outerjoin(Account, StreamAliasTap.created_by_id == Account.id))


def _count(session: Session, stmt: Any) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


def alias_page(session: Session, *, org_ids: frozenset[int] | None, org_id: int | None, offset: int,
               limit: int) -> tuple[int, Sequence[AliasRow]]:
    """Aliases of the given orgs (None: every org), in slug order (which is id order)."""
    stmt = _aliases()
    if org_ids is not None:
        stmt = stmt.where(StreamAlias.org_id.in_(org_ids))
    if org_id is not None:
        stmt = stmt.where(StreamAlias.org_id == org_id)
    rows = session.execute(stmt.order_by(StreamAlias.id).offset(offset).limit(limit)).all()
    return _count(session, stmt), rows


def alias_row(session: Session, alias_id: int) -> AliasRow | None:
    row: AliasRow | None = session.execute(_aliases().where(StreamAlias.id == alias_id)).first()
    return row


def alias_obj(session: Session, alias_id: int) -> StreamAlias | None:
    return session.get(StreamAlias, alias_id)


def add_alias(session: Session, *, name: str, org_id: int, created_by_id: int | None) -> StreamAlias:
    alias = StreamAlias(name=name, org_id=org_id, created_by_id=created_by_id)
    session.add(alias)
    session.flush()
    return alias


def org_id_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(Org.id).where(Org.slug == slug))


def foreign_taps(session: Session, alias_id: int, org_id: int) -> int:
    """How many of the alias's taps read a stream outside ``org_id`` (an org move must leave none)."""
    stmt = (select(func.count(StreamAliasTap.id)).join(StreamId, StreamAliasTap.stream_id == StreamId.id)
            .where(StreamAliasTap.alias_id == alias_id, StreamId.org_id != org_id))
    return int(session.scalar(stmt) or 0)


def tap_page(session: Session, *, org_ids: frozenset[int] | None, alias_id: int | None, offset: int,
             limit: int) -> tuple[int, Sequence[TapRow]]:
    """Taps of aliases in the given orgs (None: every org), optionally of one alias, in id order."""
    stmt = _taps()
    if org_ids is not None:
        stmt = stmt.where(StreamAlias.org_id.in_(org_ids))
    if alias_id is not None:
        stmt = stmt.where(StreamAliasTap.alias_id == alias_id)
    rows = session.execute(stmt.order_by(StreamAliasTap.id).offset(offset).limit(limit)).all()
    return _count(session, stmt), rows


def tap_row(session: Session, tap_id: int) -> TapRow | None:
    row: TapRow | None = session.execute(_taps().where(StreamAliasTap.id == tap_id)).first()
    return row


def tap_obj(session: Session, tap_id: int) -> StreamAliasTap | None:
    return session.get(StreamAliasTap, tap_id)


def stream_ref(session: Session, project_gid: int, device_gid: int, lid: int) -> tuple[int, int] | None:
    """(StreamId id, its org id) of a stream slug's integers, or None when there is no StreamId."""
    row = session.execute(select(StreamId.id, StreamId.org_id).where(
        StreamId.project_gid == project_gid, StreamId.device_gid == device_gid, StreamId.var_lid == lid)).first()
    return None if row is None else (int(row[0]), int(row[1]))


def stream_org(session: Session, stream_id: int) -> int | None:
    return session.scalar(select(StreamId.org_id).where(StreamId.id == stream_id))


def tap_at(session: Session, alias_id: int, timestamp: datetime, *, exclude_id: int | None = None) -> bool:
    """Whether another tap of the alias already starts at ``timestamp``."""
    stmt = select(StreamAliasTap.id).where(StreamAliasTap.alias_id == alias_id, StreamAliasTap.timestamp == timestamp)
    if exclude_id is not None:
        stmt = stmt.where(StreamAliasTap.id != exclude_id)
    return session.scalar(stmt.limit(1)) is not None


def add_tap(session: Session, *, alias_id: int, timestamp: datetime, stream_id: int,
            created_by_id: int | None) -> StreamAliasTap:
    tap = StreamAliasTap(alias_id=alias_id, timestamp=timestamp, stream_id=stream_id, created_by_id=created_by_id)
    session.add(tap)
    session.flush()
    return tap


def slices(session: Session, alias_id: int) -> Sequence[SliceRow]:
    """The alias's taps in time order (ties: the later tap last), each with its stream and its org."""
    stmt = (select(StreamAliasTap.timestamp, StreamId.project_gid, StreamId.device_gid, StreamId.var_lid,
                   StreamId.org_id)
            .join(StreamId, StreamAliasTap.stream_id == StreamId.id)
            .where(StreamAliasTap.alias_id == alias_id)
            .order_by(StreamAliasTap.timestamp, StreamAliasTap.id))
    rows: Sequence[SliceRow] = session.execute(stmt).all()
    return rows
