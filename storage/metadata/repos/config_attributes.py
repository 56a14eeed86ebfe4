"""Queries for configuration attribute names and the attributes set on slug targets."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from storage.metadata.models import ConfigAttribute, ConfigAttributeName


def names(session: Session, search: str | None, tag: str | None, name: str | None) -> Sequence[ConfigAttributeName]:
    """Tags are a JSON list, so the tag filter runs in Python: the name table stays small."""
    stmt = select(ConfigAttributeName).order_by(ConfigAttributeName.name)
    if search:
        stmt = stmt.where(func.lower(ConfigAttributeName.name).contains(search.lower(), autoescape=True))
    if name:
        stmt = stmt.where(ConfigAttributeName.name == name)
    rows = session.scalars(stmt).all()
    return [r for r in rows if tag in (r.tags or [])] if tag else rows


def name_by_text(session: Session, name: str) -> ConfigAttributeName | None:
    return session.scalar(select(ConfigAttributeName).where(ConfigAttributeName.name == name))


def attributes(session: Session, target: str, name_q: str | None, offset: int,
               limit: int) -> tuple[int, Sequence[ConfigAttribute]]:
    stmt = select(ConfigAttribute).join(ConfigAttributeName).where(ConfigAttribute.target == target)
    if name_q:
        stmt = stmt.where(func.lower(ConfigAttributeName.name).contains(name_q.lower(), autoescape=True))
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.options(selectinload(ConfigAttribute.name)).order_by(ConfigAttributeName.name)
                           .offset(offset).limit(limit)).all()
    return int(count), rows


def attribute(session: Session, target: str, name_id: int) -> ConfigAttribute | None:
    return session.scalar(select(ConfigAttribute).where(ConfigAttribute.target == target,
                                                        ConfigAttribute.name_id == name_id))
