"""SQLite engines with the connection settings the store depends on.

Every connection gets its PRAGMAs in the pool's ``connect`` hook, on the raw DBAPI connection,
because several of them (journal_mode, foreign_keys) are silently ignored inside a transaction.
pysqlite's own implicit transaction handling is switched off (``isolation_level = None``) and each
engine emits its own BEGIN, as SQLAlchemy documents for SQLite: otherwise SAVEPOINTs, which group
commit relies on, do not work, and the writer could not take the lock up front with BEGIN IMMEDIATE.
"""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection
from sqlalchemy.pool import NullPool, QueuePool

from storage.metadata.errors import MetadataError

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class EngineRole:
    """How one kind of connection behaves.

    ``begin`` is IMMEDIATE for anything that writes, so the write lock is taken at BEGIN (where
    busy_timeout waits for it) rather than at the first write of a deferred transaction, where
    SQLite may fail at once with SQLITE_BUSY to avoid a deadlock.
    """

    begin: str = "BEGIN IMMEDIATE"
    foreign_keys: bool = True
    query_only: bool = False
    set_wal: bool = True


WRITER = EngineRole()
READER = EngineRole(begin="BEGIN", query_only=True, set_wal=False)
MIGRATOR = EngineRole(foreign_keys=False)  # batch migrations recreate tables; FKs are checked after
SIDE = EngineRole()  # third-party writers such as APScheduler's job store


def create_sqlite_engine(path: Path, role: EngineRole, *, busy_timeout_ms: int, pool_size: int = 1) -> Engine:
    """An engine on ``path``; ``pool_size`` 0 means no pooling (one-off connections)."""
    url = URL.create("sqlite+pysqlite", database=str(path))
    options: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if pool_size > 0:
        options.update(poolclass=QueuePool, pool_size=pool_size, max_overflow=0)
    else:
        options.update(poolclass=NullPool)
    engine = create_engine(url, **options)
    pragmas = _pragmas(role, busy_timeout_ms)

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        _apply_pragmas(dbapi_connection, pragmas, set_wal=role.set_wal)

    @event.listens_for(engine, "begin")
    def _begin(connection: Connection) -> None:
        connection.exec_driver_sql(role.begin)

    return engine


def _pragmas(role: EngineRole, busy_timeout_ms: int) -> list[str]:
    # synchronous=FULL: in WAL mode NORMAL may lose the last commits on power loss, and an upload
    # is acknowledged only once its commit is durable (decision 3).
    pragmas = [
        f"PRAGMA busy_timeout = {int(busy_timeout_ms)}",
        "PRAGMA synchronous = FULL",
        f"PRAGMA foreign_keys = {'ON' if role.foreign_keys else 'OFF'}",
    ]
    if role.query_only:
        pragmas.append("PRAGMA query_only = ON")
    return pragmas


def _apply_pragmas(dbapi_connection: sqlite3.Connection, pragmas: list[str], *, set_wal: bool) -> None:
    cursor = dbapi_connection.cursor()
    try:
        for pragma in pragmas:  # busy_timeout first: switching to WAL may have to wait for a lock
            cursor.execute(pragma)
        if set_wal:
            mode = cursor.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":  # e.g. a network file system without shared memory
                raise MetadataError(f"SQLite refused WAL journal mode (got {mode!r})")
    finally:
        cursor.close()
