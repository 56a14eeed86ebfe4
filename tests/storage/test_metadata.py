"""MetadataStore lifecycle against real SQLite files: schema, settings, open/close, reopen."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.orm import Session

from storage.metadata import (
    Account,
    AuthToken,
    Base,
    IntegrityConflict,
    MetadataStore,
    SchemaError,
    StoreClosed,
)
from storage.metadata.migrate import head_revision, include_object
from storage.worker import WriterClosed


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    with MetadataStore(tmp_path / "metadata.sqlite3") as opened:
        yield opened


def add_account(session: Session, name: str = "ada") -> int:
    account = Account(email=f"{name}@example.com", username=name, slug=name)
    session.add(account)
    session.flush()
    return account.id


def schema_diff(path: Path, *, ignore_foreign_tables: bool = True) -> list[object]:
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            opts = {"compare_type": True}
            if ignore_foreign_tables:
                opts["include_object"] = include_object
            return list(compare_metadata(MigrationContext.configure(connection, opts=opts), Base.metadata))
    finally:
        engine.dispose()


def test_migrations_build_exactly_the_models(store: MetadataStore) -> None:
    # APScheduler keeps its jobs in the same file; its table must not count as drift.
    side = store.create_side_engine()
    try:
        SQLAlchemyJobStore(engine=side).jobs_t.create(side, checkfirst=True)
    finally:
        side.dispose()
    assert schema_diff(store.path) == []
    unfiltered = schema_diff(store.path, ignore_foreign_tables=False)  # the filter is what hides it
    assert ("remove_table", "apscheduler_jobs") in [(d[0], getattr(d[1], "name", None)) for d in unfiltered]


def test_every_constraint_on_disk_has_its_conventional_name(store: MetadataStore) -> None:
    engine = create_engine(f"sqlite:///{store.path}")
    try:
        inspector = inspect(engine)
        for table in Base.metadata.tables:
            for fk in inspector.get_foreign_keys(table):
                assert fk["name"] and fk["name"].startswith(f"fk_{table}_"), (table, fk)
            for uq in inspector.get_unique_constraints(table):
                assert uq["name"] and uq["name"].startswith("uq_"), (table, uq)
            assert inspector.get_pk_constraint(table)["name"] == f"pk_{table}"
    finally:
        engine.dispose()


def test_wal_full_sync_and_foreign_keys_on_every_connection(store: MetadataStore) -> None:
    def pragmas(session: Session) -> tuple[object, ...]:
        names = ("journal_mode", "foreign_keys", "synchronous", "busy_timeout")
        return tuple(session.execute(text(f"PRAGMA {name}")).scalar() for name in names)

    assert store.write_sync(pragmas) == ("wal", 1, 2, 10_000)  # synchronous 2 = FULL
    assert store.read_sync(pragmas) == ("wal", 1, 2, 10_000)


def test_foreign_keys_are_enforced(store: MetadataStore) -> None:
    with pytest.raises(IntegrityConflict) as caught:
        store.write_sync(lambda s: s.add(AuthToken(key_hash="0" * 64, account_id=999)))
    assert caught.value.kind == "foreign_key"


def test_open_and_close_are_idempotent(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path / "deep" / "metadata.sqlite3")
    assert not store.path.exists()  # the constructor does no I/O
    store.open()
    store.open()
    assert store.is_open
    store.close()
    store.close()
    assert not store.is_open


def test_work_is_refused_when_not_open(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path / "metadata.sqlite3")
    with pytest.raises(StoreClosed):
        store.read(lambda s: 1)
    store.open()
    store.close()
    for call in (store.write, store.read, store.write_sync, store.read_sync):
        with pytest.raises(StoreClosed):
            call(lambda s: 1)
    with pytest.raises(WriterClosed):  # generic callers can catch the worker's error too
        store.write(lambda s: 1)


def test_reopening_keeps_data_and_does_not_migrate_again(tmp_path: Path) -> None:
    path = tmp_path / "metadata.sqlite3"
    with MetadataStore(path) as store:
        account_id = store.write_sync(add_account)
    schema_before = _schema_sql(path)
    with MetadataStore(path) as store:
        emails = store.read_sync(lambda s: list(s.scalars(select(Account.email))))
        assert emails == ["ada@example.com"]
        assert store.write_sync(lambda s: add_account(s, "bob")) == account_id + 1
    assert _schema_sql(path) == schema_before
    assert _revision(path) == head_revision()


def test_the_same_store_can_be_opened_again_after_close(store: MetadataStore) -> None:
    store.write_sync(add_account)
    store.close()
    store.open()
    assert store.read_sync(lambda s: s.scalar(select(Account.username))) == "ada"


def test_a_database_from_a_newer_version_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "metadata.sqlite3"
    with MetadataStore(path) as store:
        store.write_sync(add_account)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE alembic_version SET version_num = 'from_the_future'")
    raw.close()
    store = MetadataStore(path)
    with pytest.raises(SchemaError, match="newer version"):
        store.open()
    assert not store.is_open
    assert _revision(path) == "from_the_future"


def test_a_failed_upgrade_leaves_the_file_as_it_was(tmp_path: Path) -> None:
    path = tmp_path / "metadata.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute("CREATE TABLE org (id INTEGER PRIMARY KEY)")  # makes the initial migration fail halfway
    raw.close()
    store = MetadataStore(path)
    with pytest.raises(SchemaError, match="already exists"):
        store.open()
    assert [name for name, _ in _schema_sql(path)] == ["org"]  # one transaction: nothing half-made


def _schema_sql(path: Path) -> list[tuple[str, str]]:
    raw = sqlite3.connect(path)
    try:
        return raw.execute("SELECT name, sql FROM sqlite_master ORDER BY name").fetchall()
    finally:
        raw.close()


def _revision(path: Path) -> str:
    raw = sqlite3.connect(path)
    try:
        return str(raw.execute("SELECT version_num FROM alembic_version").fetchone()[0])
    finally:
        raw.close()
