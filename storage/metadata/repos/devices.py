"""Queries for devices, their status and keys, and the clean-up an unclaim does.

Device lists are the hottest registry read (10,000 devices a page at most), so they select plain
columns with the related slugs joined in, not ORM objects.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, bindparam, delete, func, insert, select
from sqlalchemy.orm import Session, aliased

from storage.metadata.models import (
    Account,
    Device,
    DeviceKey,
    DeviceLocation,
    DeviceStatus,
    DeviceTemplate,
    GenericProperty,
    Job,
    Org,
    Project,
    SensorGraph,
    Streamer,
    StreamerReport,
    StreamNote,
)
from storage.metadata.repos.property_filters import PropertyMatch, device_target, has_property

_Claimer = aliased(Account)
DEVICE_COLUMNS = (
    Device.id, Device.org_id, Org.slug, Device.project_id, Project.uuid, DeviceTemplate.slug, SensorGraph.slug,
    Device.external_id, Device.label, Device.lat, Device.lon, Device.active, Device.state, Device.created_on,
    Device.claimed_on, _Claimer.slug, Device.claimed_by_id, Device.created_by_id, Device.sg_id,
)
DeviceRow = Row[Any]


@dataclass(frozen=True)
class DeviceFilter:
    """The list filters of /device/; ``org_ids`` None means every org (staff with ?staff=1)."""

    org_ids: frozenset[int] | None
    org_id: int | None = None
    project_id: int | None = None
    template_id: int | None = None
    sg_id: int | None = None
    claimed: bool | None = None
    external_id: str | None = None
    include_inactive: bool = False
    prop: PropertyMatch | None = None


def _rows() -> Any:
    return (
        select(*DEVICE_COLUMNS)
        .outerjoin(Org, Device.org_id == Org.id)
        .outerjoin(Project, Device.project_id == Project.id)
        .outerjoin(DeviceTemplate, Device.template_id == DeviceTemplate.id)
        .outerjoin(SensorGraph, Device.sg_id == SensorGraph.id)
        .outerjoin(_Claimer, Device.claimed_by_id == _Claimer.id)
    )


def _where(f: DeviceFilter) -> list[Any]:
    wheres: list[Any] = []
    if f.org_ids is not None:
        wheres.append(Device.org_id.in_(f.org_ids))
    for column, value in ((Device.org_id, f.org_id), (Device.project_id, f.project_id),
                          (Device.template_id, f.template_id), (Device.sg_id, f.sg_id),
                          (Device.external_id, f.external_id)):
        if value is not None:
            wheres.append(column == value)
    if f.claimed is not None:
        wheres.append(Device.project_id.is_not(None) if f.claimed else Device.project_id.is_(None))
    if not f.include_inactive:
        wheres.append(Device.active.is_(True))
    if f.prop is not None:
        wheres.append(has_property(device_target(Device.id), f.prop))
    return wheres


def page(session: Session, f: DeviceFilter, offset: int, limit: int) -> tuple[int, Sequence[DeviceRow]]:
    """Executed on the Core connection: these are plain column tuples, and skipping the ORM's
    execution layer halves the cost of a page."""
    wheres = _where(f)
    connection = session.connection()
    count = connection.execute(select(func.count(Device.id)).where(*wheres)).scalar() or 0
    rows = connection.execute(_rows().where(*wheres).order_by(Device.id).offset(offset).limit(limit)).all()
    return int(count), rows


_BY_ID = _rows().where(Device.id == bindparam("device_id"))


def row_by_id(session: Session, device_id: int) -> DeviceRow | None:
    return session.connection().execute(_BY_ID, {"device_id": device_id}).first()


def rows_by_ids(session: Session, ids: Sequence[int]) -> list[DeviceRow]:
    rows: list[DeviceRow] = []
    for start in range(0, len(ids), 500):
        rows += session.execute(_rows().where(Device.id.in_(ids[start:start + 500])).order_by(Device.id)).all()
    return rows


def device_obj(session: Session, device_id: int) -> Device | None:
    return session.get(Device, device_id)


def org_id_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(Org.id).where(Org.slug == slug))


def template_id_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(DeviceTemplate.id).where(DeviceTemplate.slug == slug))


def sg_id_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(SensorGraph.id).where(SensorGraph.slug == slug))


def taken_ids(session: Session, ids: Sequence[int]) -> list[int]:
    taken: list[int] = []
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        taken += session.scalars(select(Device.id).where(Device.id.in_(chunk))).all()
    return sorted(taken)


def next_id(session: Session) -> int:
    return int(session.scalar(select(func.max(Device.id))) or 0) + 1


def insert_many(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """New devices and their status rows, in the caller's transaction."""
    if not rows:
        return
    session.execute(insert(Device), list(rows))
    session.execute(insert(DeviceStatus), [{"device_id": row["id"]} for row in rows])


def status_of(session: Session, device_id: int) -> DeviceStatus | None:
    return session.get(DeviceStatus, device_id)


def statuses(session: Session, device_ids: Sequence[int]) -> dict[int, DeviceStatus]:
    found: dict[int, DeviceStatus] = {}
    for start in range(0, len(device_ids), 500):
        chunk = device_ids[start:start + 500]
        found.update((row.device_id, row) for row in session.scalars(
            select(DeviceStatus).where(DeviceStatus.device_id.in_(chunk))))
    return found


def ensure_status(session: Session, device_id: int) -> DeviceStatus:
    status = session.get(DeviceStatus, device_id)
    if status is None:
        status = DeviceStatus(device_id=device_id)
        session.add(status)
        session.flush()
    return status


def key_of(session: Session, device_id: int, key_type: str) -> DeviceKey | None:
    return session.scalar(select(DeviceKey).where(DeviceKey.device_id == device_id, DeviceKey.type == key_type))


def save_key(session: Session, device_id: int, key_type: str, secret_ref: str, *, created_by_id: int | None,
             now: datetime, downloadable: bool = False) -> None:
    row = key_of(session, device_id, key_type)
    if row is None:
        session.add(DeviceKey(device_id=device_id, type=key_type, secret_ref=secret_ref, downloadable=downloadable,
                              created_by_id=created_by_id, created_on=now))
    else:
        row.secret_ref = secret_ref
    session.flush()


def keys_of(session: Session, device_id: int) -> Sequence[DeviceKey]:
    return session.scalars(select(DeviceKey).where(DeviceKey.device_id == device_id)).all()


def downloadable_keys(session: Session, device_ids: Sequence[int]) -> Sequence[DeviceKey]:
    if not device_ids:
        return []
    return session.scalars(select(DeviceKey).where(DeviceKey.device_id.in_(device_ids),
                                                   DeviceKey.downloadable.is_(True))).all()


def active_job(session: Session, kind: str, key: str) -> str | None:
    """The pid of a queued or running job of this kind on this key, so it is not scheduled twice."""
    return session.scalar(select(Job.pid).where(Job.kind == kind, Job.concurrency_key == key,
                                                Job.status.in_(("queued", "running"))).limit(1))


def delete_annotations(session: Session, slug: str) -> list[str]:
    """What an unclaim removes from the device itself: properties, user notes, locations. Returns
    the blob keys of the deleted notes' attachments, for the caller to remove after the commit."""
    user_notes = (StreamNote.target_slug == slug, StreamNote.type == "ui")
    attachments = [key for key in session.scalars(select(StreamNote.attachment).where(*user_notes)) if key]
    session.execute(delete(GenericProperty).where(GenericProperty.target == slug))
    session.execute(delete(StreamNote).where(*user_notes))
    session.execute(delete(DeviceLocation).where(DeviceLocation.target_slug == slug))
    return attachments


def delete_streamer_reports(session: Session, device_id: int, *, streamers_too: bool) -> None:
    """Reports always go; streamers (and with them their last_id) only when streams are cleaned."""
    streamer_ids = select(Streamer.id).where(Streamer.device_id == device_id).scalar_subquery()
    session.execute(delete(StreamerReport).where(StreamerReport.streamer_id.in_(streamer_ids)))
    if streamers_too:
        session.execute(delete(Streamer).where(Streamer.device_id == device_id))


def delete_device(session: Session, device_id: int) -> None:
    session.execute(delete(Device).where(Device.id == device_id))


def account_obj(session: Session, account_id: int) -> Account | None:
    return session.get(Account, account_id)


def account_slug(session: Session, account_id: int) -> str | None:
    return session.scalar(select(Account.slug).where(Account.id == account_id))


def staff_account_id(session: Session, slug: str) -> int | None:
    return session.scalar(select(Account.id).where(Account.slug == slug, Account.is_staff.is_(True),
                                                   Account.is_active.is_(True)))
