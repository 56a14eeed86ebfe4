"""Queries for OTA: device scripts, deployment requests and actions, and device versions.

Script and request rows come back with their org slug (and the script's creator slug) so one SELECT
gives what the wire format names by slug.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import Session

from storage.metadata.models import (
    Account,
    DeploymentAction,
    DeploymentRequest,
    Device,
    DeviceScript,
    DeviceTemplate,
    DeviceVersionAttribute,
    FleetMembership,
    Org,
    SensorGraph,
)

ScriptRow = Row[DeviceScript, str, str | None]
RequestRow = Row[DeploymentRequest, str]
DeviceRow = Row[Device, str | None, str | None]


def _count(session: Session, stmt: Select[Any]) -> int:
    return int(session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0)


# --- scripts -----------------------------------------------------------------------------------

def _scripts() -> Any:
    return (select(DeviceScript, Org.slug, Account.slug).join(Org, DeviceScript.org_id == Org.id)
            .outerjoin(Account, DeviceScript.created_by_id == Account.id))


def script_page(session: Session, *, org_ids: frozenset[int] | None, manage_ids: frozenset[int] | None,
                org_id: int | None, version: Sequence[int], offset: int, limit: int) -> tuple[int, Sequence[ScriptRow]]:
    """Scripts of ``org_ids`` (None: all); unreleased ones only in ``manage_ids`` (None: all)."""
    stmt = _scripts()
    if org_ids is not None:
        stmt = stmt.where(DeviceScript.org_id.in_(org_ids))
    if manage_ids is not None:
        stmt = stmt.where(or_(DeviceScript.released.is_(True), DeviceScript.org_id.in_(manage_ids)))
    if org_id is not None:
        stmt = stmt.where(DeviceScript.org_id == org_id)
    columns = (DeviceScript.major_version, DeviceScript.minor_version, DeviceScript.patch_version)
    for column, number in zip(columns, version, strict=False):
        stmt = stmt.where(column == number)
    order = (Org.name, DeviceScript.name, DeviceScript.id)
    return _count(session, stmt), session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()


def script_by_id(session: Session, script_id: int) -> ScriptRow | None:
    return session.execute(_scripts().where(DeviceScript.id == script_id)).first()


def script_taken(session: Session, org_id: int, name: str, version: tuple[int, int, int],
                 exclude_id: int | None) -> bool:
    stmt = select(DeviceScript.id).where(
        DeviceScript.org_id == org_id, DeviceScript.name == name, DeviceScript.major_version == version[0],
        DeviceScript.minor_version == version[1], DeviceScript.patch_version == version[2])
    if exclude_id is not None:
        stmt = stmt.where(DeviceScript.id != exclude_id)
    return session.scalar(stmt.limit(1)) is not None


def insert_script(session: Session, **values: Any) -> int:
    row = DeviceScript(**values)
    session.add(row)
    session.flush()
    return row.id


def update_row(session: Session, model: Any, row_id: int, values: dict[str, Any]) -> None:
    row = session.get(model, row_id)
    if row is not None:
        for name, value in values.items():
            setattr(row, name, value)
        session.flush()


def delete_row(session: Session, model: Any, row_id: int) -> None:
    row = session.get(model, row_id)
    if row is not None:
        session.delete(row)


# --- requests ----------------------------------------------------------------------------------

def _requests() -> Any:
    return select(DeploymentRequest, Org.slug).join(Org, DeploymentRequest.org_id == Org.id)


def active(now: datetime) -> ColumnElement[bool]:
    """Released (released_on in the past) and not completed, as the server's released_and_active_qs."""
    return and_(DeploymentRequest.released_on.is_not(None), DeploymentRequest.released_on <= now,
                DeploymentRequest.completed_on.is_(None))


def request_page(session: Session, *, org_ids: frozenset[int] | None, where: Sequence[ColumnElement[bool]],
                 offset: int, limit: int) -> tuple[int, Sequence[RequestRow]]:
    stmt = _requests().where(*where)
    if org_ids is not None:
        stmt = stmt.where(DeploymentRequest.org_id.in_(org_ids))
    order = (DeploymentRequest.completed_on, DeploymentRequest.released_on, DeploymentRequest.id)
    return _count(session, stmt), session.execute(stmt.order_by(*order).offset(offset).limit(limit)).all()


def request_by_id(session: Session, request_id: int) -> RequestRow | None:
    return session.execute(_requests().where(DeploymentRequest.id == request_id)).first()


def insert_request(session: Session, **values: Any) -> int:
    row = DeploymentRequest(**values)
    session.add(row)
    session.flush()
    return row.id


def device_requests(session: Session, org_id: int, fleet_ids: Iterable[int], now: datetime) -> Sequence[RequestRow]:
    """Released, active requests on one of ``fleet_ids`` or on the whole org, oldest release first."""
    scope = or_(DeploymentRequest.fleet_id.in_(list(fleet_ids)),
                and_(DeploymentRequest.fleet_id.is_(None), DeploymentRequest.org_id == org_id))
    order = (DeploymentRequest.released_on, DeploymentRequest.id)
    return session.execute(_requests().where(scope, active(now)).order_by(*order)).all()


def fleet_ids_of(session: Session, device_id: int) -> list[int]:
    return list(session.scalars(select(FleetMembership.fleet_id).where(FleetMembership.device_id == device_id)))


def scope_devices(session: Session, request: DeploymentRequest) -> list[int]:
    """The devices a request can reach: its fleet's members, or the org's claimed, active devices."""
    if request.fleet_id is not None:
        stmt = select(FleetMembership.device_id).where(FleetMembership.fleet_id == request.fleet_id)
    else:
        stmt = select(Device.id).where(Device.org_id == request.org_id, Device.project_id.is_not(None),
                                       Device.active.is_(True))
    return list(session.scalars(stmt))


# --- actions -----------------------------------------------------------------------------------

def action_page(session: Session, *, org_ids: frozenset[int] | None, request_id: int | None,
                device_id: int | None, offset: int, limit: int) -> tuple[int, Sequence[DeploymentAction]]:
    stmt = select(DeploymentAction).join(DeploymentRequest, DeploymentAction.request_id == DeploymentRequest.id)
    if org_ids is not None:
        stmt = stmt.where(DeploymentRequest.org_id.in_(org_ids))
    if request_id is not None:
        stmt = stmt.where(DeploymentAction.request_id == request_id)
    if device_id is not None:
        stmt = stmt.where(DeploymentAction.device_id == device_id)
    order = (DeploymentAction.request_id, DeploymentAction.device_id)
    return _count(session, stmt), session.scalars(stmt.order_by(*order).offset(offset).limit(limit)).all()


def action_by_id(session: Session, action_id: int) -> tuple[DeploymentAction, int] | None:
    """The action and its request's org."""
    row = session.execute(select(DeploymentAction, DeploymentRequest.org_id)
                          .join(DeploymentRequest, DeploymentAction.request_id == DeploymentRequest.id)
                          .where(DeploymentAction.id == action_id)).first()
    return None if row is None else (row[0], row[1])


def action_for(session: Session, request_id: int, device_id: int) -> DeploymentAction | None:
    return session.scalar(select(DeploymentAction).where(DeploymentAction.request_id == request_id,
                                                         DeploymentAction.device_id == device_id))


def save_action(session: Session, request_id: int, device_id: int, values: dict[str, Any]) -> DeploymentAction:
    """One action per (request, device): a repeated attempt updates it."""
    row = action_for(session, request_id, device_id)
    if row is None:
        row = DeploymentAction(request_id=request_id, device_id=device_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return row


def actions_of_device(session: Session, device_id: int) -> Sequence[DeploymentAction]:
    stmt = select(DeploymentAction).where(DeploymentAction.device_id == device_id)
    return session.scalars(stmt.order_by(DeploymentAction.last_attempt_on, DeploymentAction.id)).all()


def actions_of_request(session: Session, request_id: int) -> Sequence[DeploymentAction]:
    return session.scalars(select(DeploymentAction).where(DeploymentAction.request_id == request_id)).all()


def pending_action(session: Session, device_id: int) -> DeploymentAction | None:
    """The device's latest successful attempt that the device has not confirmed yet."""
    stmt = select(DeploymentAction).where(DeploymentAction.device_id == device_id,
                                          DeploymentAction.attempt_successful.is_(True),
                                          DeploymentAction.device_confirmation.is_(False))
    order = (DeploymentAction.last_attempt_on.desc().nulls_last(), DeploymentAction.id.desc())
    return session.scalar(stmt.order_by(*order).limit(1))


# --- devices and versions ----------------------------------------------------------------------

def device_row(session: Session, device_id: int) -> DeviceRow | None:
    """The device with its template and sensor graph slugs."""
    stmt = (select(Device, DeviceTemplate.slug, SensorGraph.slug)
            .outerjoin(DeviceTemplate, Device.template_id == DeviceTemplate.id)
            .outerjoin(SensorGraph, Device.sg_id == SensorGraph.id).where(Device.id == device_id))
    return session.execute(stmt).first()


def versions_of(session: Session, device_ids: Iterable[int]) -> Sequence[DeviceVersionAttribute]:
    """Every version row of the devices, oldest first, so the last one of each type is current."""
    ids = list(device_ids)
    stmt = select(DeviceVersionAttribute).where(DeviceVersionAttribute.device_id.in_(ids))
    return session.scalars(stmt.order_by(DeviceVersionAttribute.updated_ts, DeviceVersionAttribute.id)).all()


def version_page(session: Session, *, org_ids: frozenset[int] | None, device_id: int | None, kind: str | None,
                 offset: int, limit: int) -> tuple[int, Sequence[DeviceVersionAttribute]]:
    stmt = select(DeviceVersionAttribute).join(Device, DeviceVersionAttribute.device_id == Device.id)
    if org_ids is not None:
        stmt = stmt.where(Device.org_id.in_(org_ids))
    if device_id is not None:
        stmt = stmt.where(DeviceVersionAttribute.device_id == device_id)
    if kind is not None:
        stmt = stmt.where(DeviceVersionAttribute.type == kind)
    order = (DeviceVersionAttribute.device_id, DeviceVersionAttribute.type, DeviceVersionAttribute.updated_ts,
             DeviceVersionAttribute.id)
    return _count(session, stmt), session.scalars(stmt.order_by(*order).offset(offset).limit(limit)).all()


def version_by_id(session: Session, version_id: int) -> tuple[DeviceVersionAttribute, int | None] | None:
    row = session.execute(select(DeviceVersionAttribute, Device.org_id)
                          .join(Device, DeviceVersionAttribute.device_id == Device.id)
                          .where(DeviceVersionAttribute.id == version_id)).first()
    return None if row is None else (row[0], row[1])


def insert_version(session: Session, **values: Any) -> DeviceVersionAttribute:
    row = DeviceVersionAttribute(**values)
    session.add(row)
    session.flush()
    return row


def matching_template(session: Session, tag: int, major: int, minor: int) -> int | None:
    """The newest active device template for an OS tag and version (any version of the tag as a fallback)."""
    order = (DeviceTemplate.major_version.desc(), DeviceTemplate.minor_version.desc(),
             DeviceTemplate.patch_version.desc(), DeviceTemplate.id.desc())
    base = select(DeviceTemplate.id).where(DeviceTemplate.os_tag == tag, DeviceTemplate.active.is_(True))
    exact = base.where(DeviceTemplate.os_major_version == major, DeviceTemplate.os_minor_version == minor)
    return session.scalar(exact.order_by(*order).limit(1)) or session.scalar(base.order_by(*order).limit(1))


def matching_sg(session: Session, tag: int, major: int, minor: int) -> int | None:
    """The newest active sensor graph for an app tag and version (any version of the tag as a fallback)."""
    order = (SensorGraph.major_version.desc(), SensorGraph.minor_version.desc(), SensorGraph.patch_version.desc(),
             SensorGraph.id.desc())
    base = select(SensorGraph.id).where(SensorGraph.app_tag == tag, SensorGraph.active.is_(True))
    exact = base.where(SensorGraph.app_major_version == major, SensorGraph.app_minor_version == minor)
    return session.scalar(exact.order_by(*order).limit(1)) or session.scalar(base.order_by(*order).limit(1))
