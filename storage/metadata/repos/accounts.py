"""Queries for accounts and their DRF-style tokens."""

from __future__ import annotations

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
