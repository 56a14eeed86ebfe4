"""The metadata store: SQLAlchemy 2 ORM over SQLite (WAL, foreign keys on), Alembic migrations.

Everything the appliance needs from here is re-exported: the store, the declarative Base, every
model, the UTC column type and the errors the appliance maps onto its own hierarchy.
"""

from __future__ import annotations

from storage.metadata.base import NAMING_CONVENTION, Base
from storage.metadata.db import MetadataStore, WriteStats
from storage.metadata.errors import IntegrityConflict, MetadataError, RowNotFound, SchemaError, StoreClosed
from storage.metadata.models import *  # noqa: F403  (the model list lives in one place)
from storage.metadata.models import __all__ as _models_all
from storage.metadata.types import UTCDateTime, utcnow

__all__ = [
    "NAMING_CONVENTION",
    "Base",
    "IntegrityConflict",
    "MetadataError",
    "MetadataStore",
    "RowNotFound",
    "SchemaError",
    "StoreClosed",
    "UTCDateTime",
    "WriteStats",
    "utcnow",
    *_models_all,
]
