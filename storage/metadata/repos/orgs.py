"""Queries for orgs and memberships."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, Select, delete, func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, DataBlock, Device, Fleet, Org, OrgDomain, OrgMembership, Project

MembershipRow = tuple[OrgMembership, Account]


def roles_of(session: Session, account_id: int) -> dict[int, str]:
    """org id -> role for the account's active memberships."""
    stmt = select(OrgMembership.org_id, OrgMembership.role).where(
        OrgMembership.account_id == account_id, OrgMembership.is_active.is_(True))
    return {org_id: role for org_id, role in session.execute(stmt)}


def by_slug(session: Session, slug: str) -> Org | None:
    return session.scalar(select(Org).where(Org.slug == slug))


def by_id(session: Session, org_id: int) -> Org | None:
    return session.get(Org, org_id)


def name_or_slug_taken(session: Session, name: str, slug: str, *, exclude_id: int | None = None) -> bool:
    """Names compare without case: two orgs differing only in case would get one slug anyway."""
    stmt = select(Org.id).where((func.lower(Org.name) == name.lower()) | (Org.slug == slug))
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


def creator_slugs(session: Session, account_ids: set[int]) -> dict[int, str]:
    if not account_ids:
        return {}
    stmt = select(Account.id, Account.slug).where(Account.id.in_(account_ids))
    return {account_id: slug for account_id, slug in session.execute(stmt)}


def domain_names(session: Session, org_ids: set[int]) -> dict[int, list[str]]:
    """Verified e-mail domains per org (iotile.cloud's ``domain_names``)."""
    names: dict[int, list[str]] = {}
    if not org_ids:
        return names
    stmt = select(OrgDomain.org_id, OrgDomain.name).where(OrgDomain.org_id.in_(org_ids),
                                                          OrgDomain.verified.is_(True))
    for org_id, name in session.execute(stmt.order_by(OrgDomain.name)):
        names.setdefault(org_id, []).append(name)
    return names


def _org_filter(stmt: Select[Org], org_ids: frozenset[int] | None, search: str | None,
                created_by_id: int | None) -> Select[Org]:
    if org_ids is not None:
        stmt = stmt.where(Org.id.in_(org_ids))
    if search:
        stmt = stmt.where(func.lower(Org.name).contains(search.lower(), autoescape=True))
    if created_by_id is not None:
        stmt = stmt.where(Org.created_by_id == created_by_id)
    return stmt


def page_orgs(session: Session, org_ids: frozenset[int] | None, *, search: str | None, created_by_id: int | None,
              offset: int, limit: int) -> tuple[int, Sequence[Org]]:
    """One page of orgs ordered by name (as iotile.cloud); ``org_ids`` None means every org."""
    base = _org_filter(select(Org), org_ids, search, created_by_id)
    total = int(session.scalar(select(func.count()).select_from(base.subquery())) or 0)
    rows = session.scalars(base.order_by(Org.name, Org.id).offset(offset).limit(limit)).all()
    return total, rows


def visible_orgs(session: Session, org_ids: frozenset[int] | None) -> Sequence[Org]:
    stmt = select(Org).order_by(Org.name)
    if org_ids is not None:
        stmt = stmt.where(Org.id.in_(org_ids))
    return session.scalars(stmt).all()


def delete_org(session: Session, org_id: int) -> None:
    session.execute(delete(Org).where(Org.id == org_id))


def _count(session: Session, stmt: Select[int]) -> int:
    return int(session.scalar(stmt) or 0)


def _count_where(session: Session, *conditions: ColumnElement[bool]) -> int:
    return _count(session, select(func.count()).where(*conditions))


def counts(session: Session, org_id: int) -> dict[str, int]:
    """The record counts iotile.cloud shows in ``org/<slug>/extra/``."""
    return {
        "projects": _count_where(session, Project.org_id == org_id),
        "datablocks": _count_where(session, DataBlock.org_id == org_id),
        "members": member_count(session, org_id),
        "devices": _count_where(session, Device.org_id == org_id),
        "fleets": _count_where(session, Fleet.org_id == org_id),
        "networks": _count_where(session, Fleet.org_id == org_id, Fleet.is_network.is_(True)),
    }


# -- memberships -------------------------------------------------------------------------------------


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


def _members_stmt(org_id: int, include_inactive: bool) -> Select[OrgMembership, Account]:
    stmt = select(OrgMembership, Account).join(Account, Account.id == OrgMembership.account_id)
    stmt = stmt.where(OrgMembership.org_id == org_id)
    if not include_inactive:
        stmt = stmt.where(OrgMembership.is_active.is_(True), Account.is_active.is_(True))
    return stmt


def page_members(session: Session, org_id: int, *, include_inactive: bool, offset: int,
                 limit: int) -> tuple[int, list[MembershipRow]]:
    base = _members_stmt(org_id, include_inactive)
    total = _count(session, select(func.count()).select_from(base.subquery()))
    rows = session.execute(base.order_by(Account.username).offset(offset).limit(limit)).all()
    return total, [(m, a) for m, a in rows]


def member_by_account_slug(session: Session, org_id: int, account_slug: str) -> MembershipRow | None:
    stmt = _members_stmt(org_id, include_inactive=True).where(Account.slug == account_slug)
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def member_of(session: Session, org_id: int, account_id: int) -> MembershipRow | None:
    stmt = _members_stmt(org_id, include_inactive=True).where(Account.id == account_id)
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def member_count(session: Session, org_id: int) -> int:
    """Active members with active accounts, as iotile.cloud's ``member_count``."""
    base = _members_stmt(org_id, include_inactive=False)
    return _count(session, select(func.count()).select_from(base.subquery()))


def owner_count(session: Session, org_id: int, *, excluding_account: int | None = None) -> int:
    """Active owners (a0) with active accounts; the last one must stay."""
    stmt = _members_stmt(org_id, include_inactive=False).where(OrgMembership.role == "a0")
    if excluding_account is not None:
        stmt = stmt.where(OrgMembership.account_id != excluding_account)
    return _count(session, select(func.count()).select_from(stmt.subquery()))


def delete_membership(session: Session, membership_id: int) -> None:
    session.execute(delete(OrgMembership).where(OrgMembership.id == membership_id))
