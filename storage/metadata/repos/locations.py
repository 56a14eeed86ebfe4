"""Queries for device locations; a new location on a live device also moves the device's lat/lon."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, Device, DeviceLocation

LocationRow = tuple[DeviceLocation, str | None]  # the location and its author's slug


def add_location(session: Session, *, target_slug: str, timestamp: datetime, lat: float, lon: float,
                 user_id: int | None, device_id: int | None) -> LocationRow:
    """``device_id`` is set for live-device targets, whose current position follows the newest post."""
    row = DeviceLocation(target_slug=target_slug, timestamp=timestamp, lat=lat, lon=lon, user_id=user_id)
    session.add(row)
    if device_id is not None:
        device = session.get(Device, device_id)
        if device is not None:
            device.lat, device.lon = lat, lon
    session.flush()
    author = session.get(Account, user_id) if user_id is not None else None
    return row, author.slug if author else None


def locations(session: Session, target_slug: str, *, start: datetime | None, end: datetime | None,
              offset: int, limit: int) -> tuple[int, Sequence[LocationRow]]:
    stmt = (select(DeviceLocation, Account.slug).outerjoin(Account, Account.id == DeviceLocation.user_id)
            .where(DeviceLocation.target_slug == target_slug))
    if start is not None:
        stmt = stmt.where(DeviceLocation.timestamp >= start)
    if end is not None:
        stmt = stmt.where(DeviceLocation.timestamp < end)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    page = stmt.order_by(DeviceLocation.timestamp, DeviceLocation.id).offset(offset).limit(limit)
    return int(count), [(row, slug) for row, slug in session.execute(page).all()]
