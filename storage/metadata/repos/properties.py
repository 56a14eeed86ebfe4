"""Queries for generic properties, their org templates, and who owns a slug target.

Properties and config attributes hang on slug strings rather than foreign keys, so permission
checks first have to find which org (or user) the slug belongs to; that lookup lives here too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.metadata.models import (
    Account,
    DataBlock,
    Device,
    GenericProperty,
    GenericPropertyTemplate,
    GenericPropertyTemplateEnum,
    Org,
    Project,
)


@dataclass(frozen=True)
class TargetOwner:
    """Who a target belongs to; ``org_id`` None with ``account_id`` set means a user target."""

    kind: str
    org_id: int | None
    account_id: int | None = None
    project_id: int | None = None


def device_owner(session: Session, device_id: int) -> TargetOwner | None:
    row = session.get(Device, device_id)
    if row is None:
        return None
    return TargetOwner("device", row.org_id, project_id=row.project_id)


def project_owner(session: Session, project_id: int) -> TargetOwner | None:
    row = session.get(Project, project_id)
    return TargetOwner("project", row.org_id, project_id=row.id) if row is not None else None


def block_owner(session: Session, device_id: int, block: int) -> TargetOwner | None:
    org_id = session.scalar(select(DataBlock.org_id).where(DataBlock.device_id == device_id,
                                                           DataBlock.block == block))
    return TargetOwner("datablock", org_id) if org_id is not None else None


def org_owner(session: Session, slug: str) -> TargetOwner | None:
    org_id = session.scalar(select(Org.id).where(Org.slug == slug))
    return TargetOwner("org", org_id) if org_id is not None else None


def user_owner(session: Session, slug: str) -> TargetOwner | None:
    account_id = session.scalar(select(Account.id).where(Account.slug == slug))
    return TargetOwner("user", None, account_id=account_id) if account_id is not None else None


def org_slug(session: Session, org_id: int) -> str | None:
    return session.scalar(select(Org.slug).where(Org.id == org_id))


def account_slug(session: Session, account_id: int) -> str | None:
    return session.scalar(select(Account.slug).where(Account.id == account_id))


def properties(session: Session, target: str, offset: int, limit: int) -> tuple[int, Sequence[GenericProperty]]:
    stmt = select(GenericProperty).where(GenericProperty.target == target)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(GenericProperty.name).offset(offset).limit(limit)).all()
    return int(count), rows


def find_property(session: Session, target: str, name: str) -> GenericProperty | None:
    return session.scalar(select(GenericProperty).where(GenericProperty.target == target,
                                                        GenericProperty.name == name))


def template_by_name(session: Session, org_id: int, name: str) -> GenericPropertyTemplate | None:
    return session.scalar(select(GenericPropertyTemplate).options(selectinload(GenericPropertyTemplate.enums))
                          .where(GenericPropertyTemplate.org_id == org_id, GenericPropertyTemplate.name == name))


def template(session: Session, template_id: int) -> GenericPropertyTemplate | None:
    return session.scalar(select(GenericPropertyTemplate).options(selectinload(GenericPropertyTemplate.enums))
                          .where(GenericPropertyTemplate.id == template_id))


def templates(session: Session, org_ids: frozenset[int] | None, org_id: int | None, name: str | None,
              offset: int, limit: int) -> tuple[int, Sequence[GenericPropertyTemplate]]:
    stmt = select(GenericPropertyTemplate)
    if org_ids is not None:
        stmt = stmt.where(GenericPropertyTemplate.org_id.in_(org_ids))
    if org_id is not None:
        stmt = stmt.where(GenericPropertyTemplate.org_id == org_id)
    if name is not None:
        stmt = stmt.where(GenericPropertyTemplate.name == name)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    stmt = stmt.options(selectinload(GenericPropertyTemplate.enums))
    rows = session.scalars(stmt.order_by(GenericPropertyTemplate.org_id, GenericPropertyTemplate.name)
                           .offset(offset).limit(limit)).all()
    return int(count), rows


def org_id_by_slug(session: Session, slug: str) -> int | None:
    return session.scalar(select(Org.id).where(Org.slug == slug))


def add_enum(session: Session, row: GenericPropertyTemplate, value: str, created_by_id: int | None) -> None:
    """Adding a value twice is harmless, as on the real server (get_or_create)."""
    if value not in {e.value for e in row.enums}:
        row.enums.append(GenericPropertyTemplateEnum(value=value, created_by_id=created_by_id))
