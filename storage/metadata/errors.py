"""Errors the metadata store raises on purpose.

storage/ must not import appliance/, so the store speaks its own small vocabulary and the appliance
layer maps it onto its error hierarchy (IntegrityConflict -> a 400/409, RowNotFound -> NotFound, the
rest -> StorageError). SQLAlchemy's exceptions never leave a write or read future untranslated, so
callers above storage/ never need to import sqlalchemy to handle a failure.
"""

from __future__ import annotations

import re

from sqlalchemy import exc as sa_exc

from storage.worker import WriterClosed

_SQLITE_CONSTRAINT = re.compile(r"(UNIQUE|NOT NULL|CHECK|FOREIGN KEY) constraint failed(?::\s*(.*))?")


class MetadataError(Exception):
    """Base of every error raised by storage.metadata."""


class StoreClosed(MetadataError, WriterClosed):
    """Work was submitted to a store that is not open (also a WriterClosed for generic callers)."""


class SchemaError(MetadataError):
    """The database file cannot be brought to this program's schema (e.g. written by a newer one)."""


class RowNotFound(MetadataError):
    """A query that must return exactly one row returned none."""


class IntegrityConflict(MetadataError):
    """A constraint refused the write; nothing of the failing task was stored.

    ``kind`` is one of ``unique``, ``not_null``, ``check``, ``foreign_key`` (or ``unknown``) and
    ``detail`` is what SQLite named, e.g. ``account.email`` or a check constraint's name, so the
    appliance can tell "this email is taken" from a programming error without parsing text.
    """

    def __init__(self, message: str, *, kind: str, detail: str) -> None:
        super().__init__(message)
        self.kind = kind
        self.detail = detail

    @classmethod
    def from_sqlite(cls, err: sa_exc.IntegrityError) -> IntegrityConflict:
        text = str(err.orig) if err.orig is not None else str(err)
        match = _SQLITE_CONSTRAINT.search(text)
        if match is None:
            return cls(text, kind="unknown", detail="")
        kind = match.group(1).lower().replace(" ", "_")
        return cls(text, kind=kind, detail=(match.group(2) or "").strip())


def translate(err: Exception) -> Exception:
    """Map a SQLAlchemy failure onto this module's errors; anything else passes through unchanged.

    Errors the caller's own function raised on purpose (the appliance's ValidationError, say) must
    reach the caller as they are, so only SQLAlchemy's own exceptions are translated.
    """
    translated: Exception
    if isinstance(err, sa_exc.IntegrityError):
        translated = IntegrityConflict.from_sqlite(err)
    elif isinstance(err, sa_exc.NoResultFound):
        translated = RowNotFound(str(err))
    elif isinstance(err, sa_exc.StatementError) and isinstance(err.orig, ValueError):
        return err.orig  # a refused bind value, e.g. a naive datetime given to UTCDateTime
    elif isinstance(err, sa_exc.DBAPIError):
        translated = MetadataError(str(err.orig) if err.orig is not None else str(err))
    else:
        return err
    translated.__cause__ = err
    return translated
