"""Queries for accounts and their DRF-style tokens."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.metadata.models import Account, AuthToken


def count(session: Session) -> int:
    return int(session.scalar(select(func.count(Account.id))) or 0)


def by_email(session: Session, email: str) -> Account | None:
    return session.scalar(select(Account).where(Account.email == email))


def email_taken(session: Session, email: str) -> bool:
    return session.scalar(select(Account.id).where(Account.email == email)) is not None


def username_taken(session: Session, username: str) -> bool:
    return session.scalar(select(Account.id).where(Account.username == username)) is not None


def free_value(session: Session, column: InstrumentedAttribute[str], base: str) -> str:
    """``base``, or ``base2``, ``base3``... whichever is not used yet in that unique column."""
    candidate, n = base, 1
    while session.scalar(select(func.count()).where(column == candidate)):
        n += 1
        candidate = f"{base}{n}"
    return candidate


def by_token_hash(session: Session, key_hash: str) -> Account | None:
    stmt = select(Account).join(AuthToken, AuthToken.account_id == Account.id)
    return session.scalar(stmt.where(AuthToken.key_hash == key_hash))


def add_token(session: Session, account_id: int, key_hash: str, now: datetime) -> None:
    session.add(AuthToken(key_hash=key_hash, account_id=account_id, created_on=now))


def delete_tokens(session: Session, account_id: int) -> None:
    session.execute(delete(AuthToken).where(AuthToken.account_id == account_id))


def by_slug(session: Session, slug: str) -> Account | None:
    return session.scalar(select(Account).where(Account.slug == slug))


def page(session: Session, *, search: str | None, offset: int, limit: int) -> tuple[int, Sequence[Account]]:
    """Accounts ordered by username; ``search`` matches e-mail, username or name."""
    stmt = select(Account)
    if search:
        needle = search.lower()
        stmt = stmt.where(func.lower(Account.email).contains(needle, autoescape=True)
                          | func.lower(Account.username).contains(needle, autoescape=True)
                          | func.lower(Account.name).contains(needle, autoescape=True))
    total = int(session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    return total, session.scalars(stmt.order_by(Account.username, Account.id).offset(offset).limit(limit)).all()


def username_taken_by_other(session: Session, username: str, account_id: int) -> bool:
    stmt = select(Account.id).where(Account.username == username, Account.id != account_id)
    return session.scalar(stmt) is not None


def active_staff_count(session: Session) -> int:
    stmt = select(func.count(Account.id)).where(Account.is_staff.is_(True), Account.is_active.is_(True))
    return int(session.scalar(stmt) or 0)
