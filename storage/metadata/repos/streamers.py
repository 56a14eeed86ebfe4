"""Queries for streamers and streamer reports (the acknowledgement side of uploads)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, Device, Streamer, StreamerReport


def _visible(stmt: Select[Streamer], org_ids: frozenset[int] | None) -> Select[Streamer]:
    stmt = stmt.join(Device, Device.id == Streamer.device_id)
    return stmt if org_ids is None else stmt.where(Device.org_id.in_(org_ids))


def streamers(session: Session, org_ids: frozenset[int] | None, device_id: int | None,
              offset: int, limit: int) -> tuple[int, Sequence[Streamer]]:
    stmt = _visible(select(Streamer), org_ids)
    if device_id is not None:
        stmt = stmt.where(Streamer.device_id == device_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Streamer.device_id, Streamer.index).offset(offset).limit(limit)).all()
    return int(count), rows


def streamer(session: Session, org_ids: frozenset[int] | None, device_id: int, index: int) -> Streamer | None:
    stmt = _visible(select(Streamer), org_ids).where(Streamer.device_id == device_id, Streamer.index == index)
    return session.scalar(stmt)


def reports(session: Session, org_ids: frozenset[int] | None, *, device_id: int | None, index: int | None,
            start: datetime | None, end: datetime | None, created_by: str | None, offset: int,
            limit: int) -> tuple[int, Sequence[tuple[StreamerReport, Streamer, str | None]]]:
    stmt = (select(StreamerReport, Streamer, Account.slug)
            .join(Streamer, Streamer.id == StreamerReport.streamer_id)
            .join(Device, Device.id == Streamer.device_id)
            .outerjoin(Account, Account.id == StreamerReport.created_by_id))
    if org_ids is not None:
        stmt = stmt.where(Device.org_id.in_(org_ids))
    if device_id is not None:
        stmt = stmt.where(Streamer.device_id == device_id)
    if index is not None:
        stmt = stmt.where(Streamer.index == index)
    if start is not None:
        stmt = stmt.where(StreamerReport.sent_timestamp >= start)
    if end is not None:
        stmt = stmt.where(StreamerReport.sent_timestamp < end)
    if created_by is not None:
        stmt = stmt.where(Account.slug == created_by)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.execute(stmt.order_by(StreamerReport.id.desc()).offset(offset).limit(limit)).all()
    return int(count), rows


def device_org(session: Session, device_id: int) -> int | None:
    return session.scalar(select(Device.org_id).where(Device.id == device_id))
