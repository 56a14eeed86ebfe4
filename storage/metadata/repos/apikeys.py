"""Queries for org API keys (``Api-Key`` credentials); only hashes of the secret part are stored."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from storage.metadata.models import Account, AuthAPIKey

ApiKeyRow = tuple[AuthAPIKey, str | None]


def _joined() -> Select[AuthAPIKey, str]:
    return select(AuthAPIKey, Account.slug).outerjoin(Account, Account.id == AuthAPIKey.created_by_id)


def by_prefix(session: Session, prefix: str) -> AuthAPIKey | None:
    return session.scalar(select(AuthAPIKey).where(AuthAPIKey.prefix == prefix))


def in_org(session: Session, org_id: int, prefix: str) -> ApiKeyRow | None:
    stmt = _joined().where(AuthAPIKey.org_id == org_id, AuthAPIKey.prefix == prefix)
    row = session.execute(stmt).first()
    return None if row is None else (row[0], row[1])


def page_for_org(session: Session, org_id: int, *, offset: int, limit: int) -> tuple[int, list[ApiKeyRow]]:
    total = int(session.scalar(select(func.count()).select_from(AuthAPIKey).where(AuthAPIKey.org_id == org_id))
                or 0)
    stmt = _joined().where(AuthAPIKey.org_id == org_id).order_by(AuthAPIKey.created_on, AuthAPIKey.id)
    return total, [(k, s) for k, s in session.execute(stmt.offset(offset).limit(limit))]


def create(session: Session, *, org_id: int, name: str, prefix: str, hashed_key: str, expiry: datetime | None,
           created_by_id: int | None, now: datetime) -> AuthAPIKey:
    row = AuthAPIKey(org_id=org_id, name=name, prefix=prefix, hashed_key=hashed_key, revoked=False, expiry=expiry,
                     created_by_id=created_by_id, created_on=now)
    session.add(row)
    session.flush()
    return row


def delete_key(session: Session, key_id: int) -> None:
    session.execute(delete(AuthAPIKey).where(AuthAPIKey.id == key_id))
