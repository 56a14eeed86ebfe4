"""Queries for fleets and their memberships.

Fleet rows come back as (Fleet, org slug, creator slug) so one SELECT gives every slug the wire
format names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, Device, Fleet, FleetMembership, Org

FleetRow = Row[Fleet, str, str | None]


def _rows() -> Any:
    return (select(Fleet, Org.slug, Account.slug)
            .join(Org, Fleet.org_id == Org.id)
            .outerjoin(Account, Fleet.created_by_id == Account.id))


def page(session: Session, *, org_ids: frozenset[int] | None, org_id: int | None, device_id: int | None,
         is_network: bool | None, offset: int, limit: int) -> tuple[int, Sequence[FleetRow]]:
    """Fleets of the given orgs (None: all), ordered like the server: org, then name."""
    stmt = _rows()
    if org_ids is not None:
        stmt = stmt.where(Fleet.org_id.in_(org_ids))
    if org_id is not None:
        stmt = stmt.where(Fleet.org_id == org_id)
    if device_id is not None:
        members = select(FleetMembership.fleet_id).where(FleetMembership.device_id == device_id)
        stmt = stmt.where(Fleet.id.in_(members))
    if is_network is not None:
        stmt = stmt.where(Fleet.is_network.is_(is_network))
    count = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = session.execute(stmt.order_by(Org.name, Fleet.name, Fleet.id).offset(offset).limit(limit)).all()
    return int(count), rows


def by_id(session: Session, fleet_id: int) -> FleetRow | None:
    return session.execute(_rows().where(Fleet.id == fleet_id)).first()


def org_id_of(session: Session, fleet_id: int) -> int | None:
    return session.scalar(select(Fleet.org_id).where(Fleet.id == fleet_id))


def name_taken(session: Session, org_id: int, name: str, *, exclude_id: int | None = None) -> bool:
    stmt = select(Fleet.id).where(Fleet.org_id == org_id, Fleet.name == name)
    if exclude_id is not None:
        stmt = stmt.where(Fleet.id != exclude_id)
    return session.scalar(stmt.limit(1)) is not None


def insert(session: Session, **values: Any) -> int:
    fleet = Fleet(**values)
    session.add(fleet)
    session.flush()
    return fleet.id


def update(session: Session, fleet_id: int, values: dict[str, Any]) -> None:
    fleet = session.get(Fleet, fleet_id)
    if fleet is not None:
        for name, value in values.items():
            setattr(fleet, name, value)


def delete(session: Session, fleet_id: int) -> bool:
    fleet = session.get(Fleet, fleet_id)
    if fleet is None:
        return False
    session.delete(fleet)
    return True


def org_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(Org.id).where(Org.slug == slug))


def device_org(session: Session, device_id: int) -> tuple[bool, int | None]:
    """(exists, org id) of a device."""
    row = session.execute(select(Device.org_id).where(Device.id == device_id)).first()
    return (False, None) if row is None else (True, row[0])


def members(session: Session, fleet_id: int, *, offset: int, limit: int) -> tuple[int, Sequence[FleetMembership]]:
    stmt = select(FleetMembership).where(FleetMembership.fleet_id == fleet_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(FleetMembership.device_id).offset(offset).limit(limit)).all()
    return int(count), rows


def membership(session: Session, fleet_id: int, device_id: int) -> FleetMembership | None:
    return session.scalar(select(FleetMembership).where(FleetMembership.fleet_id == fleet_id,
                                                        FleetMembership.device_id == device_id))


def add_member(session: Session, fleet_id: int, device_id: int, *, always_on: bool, is_access_point: bool) -> None:
    session.add(FleetMembership(fleet_id=fleet_id, device_id=device_id, always_on=always_on,
                                is_access_point=is_access_point))
    session.flush()


def remove_member(session: Session, row: FleetMembership) -> None:
    session.delete(row)
