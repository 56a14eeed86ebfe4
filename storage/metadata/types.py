"""Column types shared by every model.

Timestamps are the classic source of silent bugs in a program that runs on operators' PCs in any
time zone: a naive ``datetime.now()`` stored beside UTC values corrupts ordering and the wire format
(``...Z``). So the database holds naive UTC (what SQLite can compare as text), Python only ever sees
aware UTC datetimes, and a naive value is refused loudly both at attribute assignment (the line with
the bug is in the traceback) and at bind time (Core statements and filters).
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The one clock for column defaults: aware, UTC."""
    return datetime.now(timezone.utc)


def require_aware(value: datetime | None) -> datetime | None:
    """Refuse naive datetimes; convert aware ones to UTC."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, got {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"naive datetime {value.isoformat()} refused: give a timezone-aware value")
    return value.astimezone(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """A DATETIME column that stores naive UTC and returns aware UTC."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        aware = require_aware(value)
        return None if aware is None else aware.replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=timezone.utc)

    @property
    def python_type(self) -> type[datetime]:
        return datetime
