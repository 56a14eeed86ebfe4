"""Queries for orgs and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.metadata.models import Org, OrgMembership


def roles_of(session: Session, account_id: int) -> dict[int, str]:
    """org id -> role for the account's active memberships."""
    stmt = select(OrgMembership.org_id, OrgMembership.role).where(
        OrgMembership.account_id == account_id, OrgMembership.is_active.is_(True))
    return {org_id: role for org_id, role in session.execute(stmt)}


def by_slug(session: Session, slug: str) -> Org | None:
    return session.scalar(select(Org).where(Org.slug == slug))


def name_or_slug_taken(session: Session, name: str, slug: str, *, exclude_id: int | None = None) -> bool:
    stmt = select(Org.id).where((Org.name == name) | (Org.slug == slug))
    if exclude_id is not None:
        stmt = stmt.where(Org.id != exclude_id)
    return session.scalar(stmt.limit(1)) is not None


def create(session: Session, *, uuid: str, name: str, slug: str, about: str, is_vendor: bool,
           created_by_id: int | None, now: datetime) -> Org:
    org = Org(uuid=uuid, name=name, slug=slug, about=about, is_vendor=is_vendor, created_by_id=created_by_id,
              created_on=now)
    session.add(org)
    session.flush()
    return org


def membership(session: Session, org_id: int, account_id: int) -> OrgMembership | None:
    return session.scalar(select(OrgMembership).where(
        OrgMembership.org_id == org_id, OrgMembership.account_id == account_id))


def add_member(session: Session, org_id: int, account_id: int, role: str, now: datetime) -> OrgMembership:
    row = membership(session, org_id, account_id)
    if row is None:
        row = OrgMembership(org_id=org_id, account_id=account_id, role=role, is_active=True, created_on=now)
        session.add(row)
    else:
        row.role, row.is_active = role, True
    session.flush()
    return row


def visible_orgs(session: Session, org_ids: frozenset[int] | None) -> Sequence[Org]:
    stmt = select(Org).order_by(Org.name)
    if org_ids is not None:
        stmt = stmt.where(Org.id.in_(org_ids))
    return session.scalars(stmt).all()
