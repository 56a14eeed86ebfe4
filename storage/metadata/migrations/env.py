"""Alembic environment for metadata.sqlite3.

It only runs inside storage.metadata.migrate, which passes an open connection (already in a
transaction) through ``config.attributes``; there is no alembic.ini and no URL here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

import storage.metadata.models  # noqa: F401  (registers every table on Base.metadata)
from storage.metadata.base import Base
from storage.metadata.migrate import include_object, render_item


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if context.is_offline_mode() or not isinstance(connection, Connection):
        raise RuntimeError("run metadata migrations through storage.metadata.migrate, not the alembic CLI")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things; batch mode recreates the table
        include_object=include_object,
        render_item=render_item,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
