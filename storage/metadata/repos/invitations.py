"""Queries for org invitations. Tokens are looked up by their SHA-256 only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, Invitation, Org

InvitationRow = tuple[Invitation, Org, str | None]


def _joined() -> Select[Invitation, Org, str]:
    """Every invitation with its org and the sender's slug (None once the sender is gone)."""
    return (select(Invitation, Org, Account.slug)
            .join(Org, Org.id == Invitation.org_id)
            .outerjoin(Account, Account.id == Invitation.sent_by_id))


def _first(session: Session, stmt: Select[Invitation, Org, str]) -> InvitationRow | None:
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1], row[2])


def by_token_hash(session: Session, token_hash: str) -> InvitationRow | None:
    return _first(session, _joined().where(Invitation.token_hash == token_hash))


def by_uuid(session: Session, org_id: int, uuid: str) -> InvitationRow | None:
    return _first(session, _joined().where(Invitation.org_id == org_id, Invitation.uuid == uuid))


def by_email(session: Session, org_id: int, email: str) -> Invitation | None:
    return session.scalar(select(Invitation).where(Invitation.org_id == org_id, Invitation.email == email))


def page_pending(session: Session, org_id: int, *, offset: int, limit: int) -> tuple[int, list[InvitationRow]]:
    """Invitations not accepted yet (expired ones included, as iotile.cloud lists them)."""
    where = (Invitation.org_id == org_id, Invitation.accepted.is_(False))
    total = int(session.scalar(select(func.count()).select_from(Invitation).where(*where)) or 0)
    stmt = _joined().where(*where).order_by(Invitation.email).offset(offset).limit(limit)
    return total, [(i, o, s) for i, o, s in session.execute(stmt)]


def create(session: Session, *, uuid: str, org_id: int, email: str, role: str, sent_by_id: int | None,
           sent_on: datetime, token_hash: str) -> Invitation:
    row = Invitation(uuid=uuid, org_id=org_id, email=email, role=role, sent_by_id=sent_by_id, sent_on=sent_on,
                     accepted=False, token_hash=token_hash)
    session.add(row)
    session.flush()
    return row


def delete_invitation(session: Session, invitation_id: int) -> None:
    session.execute(delete(Invitation).where(Invitation.id == invitation_id))
