"""The declarative base, its naming convention and the column helpers every model shares.

Constraint names are deterministic (``naming_convention``) because SQLite cannot ALTER a constraint:
Alembic's batch mode recreates the table and must be able to name what it drops or keeps. Without a
convention, unnamed constraints would make future migrations guess.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, MetaData, event
from sqlalchemy.ext.mutable import MutableDict, MutableList
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, mapped_column

from storage.metadata.types import UTCDateTime, require_aware, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; one MetaData for the whole metadata.sqlite3 file."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # JSON values track in-place changes of their top level (``status.recipients.append(x)`` is
    # saved); changes deeper inside a nested value still need the attribute to be re-assigned.
    type_annotation_map = {
        datetime: UTCDateTime(),
        dict[str, Any]: MutableDict.as_mutable(JSON()),
        list[Any]: MutableList.as_mutable(JSON()),
        list[str]: MutableList.as_mutable(JSON()),
    }


def one_of(column: str, values: Iterable[str], name: str) -> CheckConstraint:
    """A named CHECK that keeps wire codes (roles, states, data types) honest in the file itself."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f'"{column}" IN ({quoted})', name=name)


def owned_by(target: str, *, index: bool = True, big: bool = False, unique: bool = False) -> Mapped[Any]:
    """A required parent: the child cannot exist without it, so it goes when the parent goes."""
    return _reference(target, "CASCADE", index=index, big=big, unique=unique)


def optional_ref(target: str, *, index: bool = True, big: bool = False, unique: bool = False) -> Mapped[Any]:
    """An optional link that must not take this row with it when the target is deleted."""
    return _reference(target, "SET NULL", index=index, big=big, unique=unique)


def kept_ref(target: str, *, index: bool = True, big: bool = False) -> Mapped[Any]:
    """A link to shared reference data (a template, an SG): refuse to delete what is in use."""
    return _reference(target, "RESTRICT", index=index, big=big, unique=False)


def _reference(target: str, ondelete: str, *, index: bool, big: bool, unique: bool) -> Mapped[Any]:
    key = ForeignKey(target, ondelete=ondelete)
    if big:  # device ids are 64-bit serial numbers
        return mapped_column(BigInteger, key, index=index and not unique, unique=unique or None)
    return mapped_column(key, index=index and not unique, unique=unique or None)


class CreatedMixin:
    """``created_on``/``created_by`` as iotile.cloud has on most models."""

    created_on: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("account.id", ondelete="SET NULL"))


def _guard_assignment(target: Any, value: datetime | None, oldvalue: Any, initiator: Any) -> datetime | None:
    return require_aware(value)


@event.listens_for(Base, "mapper_configured", propagate=True)
def _install_utc_guards(mapper: Mapper[Any], class_: type[Any]) -> None:
    """Refuse naive datetimes on assignment, not only at flush, so the traceback shows the bug."""
    for prop in mapper.column_attrs:
        if any(isinstance(column.type, UTCDateTime) for column in prop.columns):
            event.listen(getattr(class_, prop.key), "set", _guard_assignment, retval=True)
