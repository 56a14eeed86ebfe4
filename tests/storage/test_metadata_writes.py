"""Group commit and read isolation of MetadataStore, with real threads on a real SQLite file."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from pathlib import Path

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from storage.metadata import Account, IntegrityConflict, Job, MetadataError, MetadataStore, RowNotFound


class Refused(Exception):
    """An error of the caller's own, which must reach it untranslated."""


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    with MetadataStore(tmp_path / "metadata.sqlite3") as opened:
        yield opened


def adder(name: str) -> object:
    def add(session: Session) -> int:
        account = Account(email=f"{name}@example.com", username=name, slug=name)
        session.add(account)
        session.flush()
        return account.id

    return add


def adds_then_fails(session: Session) -> int:
    session.add(Account(email="ghost@example.com", username="ghost", slug="ghost"))
    session.flush()  # really written inside the transaction, then rolled back with its savepoint
    raise Refused("no ghosts")


def usernames(store: MetadataStore) -> set[str]:
    return set(store.read_sync(lambda s: list(s.scalars(select(Account.username)))))


def hold_writer(store: MetadataStore) -> tuple[threading.Event, Future[None]]:
    """Park the writer inside a task so that what is submitted next queues up into one batch."""
    entered, release = threading.Event(), threading.Event()

    def park(session: Session) -> None:
        entered.set()
        release.wait(10)

    parked = store.write(park)
    assert entered.wait(10)
    return release, parked


def test_200_concurrent_writes_all_commit_and_one_failure_stays_alone(store: MetadataStore) -> None:
    names = [f"user{i}" for i in range(200)]
    with ThreadPoolExecutor(max_workers=16) as pool:
        submitted = [pool.submit(store.write, adder(name)) for name in names]
        submitted.insert(100, pool.submit(store.write, adds_then_fails))
        futures = [f.result() for f in submitted]
    wait(futures, timeout=60)
    failed = [f for f in futures if f.exception() is not None]
    assert len(failed) == 1 and isinstance(failed[0].exception(), Refused)
    assert len({f.result() for f in futures if f.exception() is None}) == 200
    assert usernames(store) == set(names)


def test_tasks_of_one_batch_share_a_commit_but_fail_alone(store: MetadataStore) -> None:
    release, parked = hold_writer(store)
    before = store.write_stats()
    good = [store.write(adder(f"user{i}")) for i in range(20)]
    bad = store.write(adds_then_fails)
    duplicate = store.write(lambda s: s.add(Account(email="user3@example.com", username="u", slug="u")))
    more = [store.write(adder(f"late{i}")) for i in range(5)]
    release.set()
    parked.result(10)
    for future in [*good, *more]:
        future.result(10)
    with pytest.raises(Refused):
        bad.result(10)
    with pytest.raises(IntegrityConflict) as caught:
        duplicate.result(10)
    assert (caught.value.kind, caught.value.detail) == ("unique", "account.email")
    stats = store.write_stats()
    assert stats.batches - before.batches == 2  # the parked task's batch, then everything queued
    assert stats.largest_batch == 27
    assert usernames(store) == {f"user{i}" for i in range(20)} | {f"late{i}" for i in range(5)}


def test_a_cancelled_write_never_runs(store: MetadataStore) -> None:
    release, parked = hold_writer(store)
    cancelled = store.write(adder("never"))
    kept = store.write(adder("kept"))
    assert cancelled.cancel()
    release.set()
    kept.result(10)
    assert usernames(store) == {"kept"}


def test_close_finishes_queued_writes_first(tmp_path: Path) -> None:
    store = MetadataStore(tmp_path / "metadata.sqlite3")
    store.open()
    futures = [store.write(adder(f"user{i}")) for i in range(50)]
    store.close()
    assert all(f.done() and f.exception() is None for f in futures)
    with store:
        assert len(usernames(store)) == 50


def test_returned_objects_are_detached_but_loaded(store: MetadataStore) -> None:
    def create(session: Session) -> Account:
        account = Account(email="ada@example.com", username="ada", slug="ada")
        session.add(account)
        return account

    account = store.write_sync(create)
    assert account.id == 1 and account.email == "ada@example.com" and not account.is_staff
    assert account.created_on.tzinfo is not None


def test_sqlalchemy_errors_arrive_translated(store: MetadataStore) -> None:
    with pytest.raises(IntegrityConflict) as check:
        store.write_sync(lambda s: s.add(Job(pid="p1", kind="k", progress=101)))
    assert check.value.kind == "check" and "progress_range" in check.value.detail
    with pytest.raises(IntegrityConflict) as lowercase:
        store.write_sync(lambda s: s.add(Account(email="Ada@Example.com", username="a", slug="a")))
    assert lowercase.value.kind == "check"
    with pytest.raises(RowNotFound):
        store.read_sync(lambda s: s.execute(select(Account).where(Account.id == 42)).scalar_one())
    with pytest.raises(MetadataError):
        store.write_sync(lambda s: s.execute(text("SELECT * FROM no_such_table")))


def test_reads_are_read_only(store: MetadataStore) -> None:
    with pytest.raises(MetadataError, match="readonly"):
        store.read_sync(adder("sneaky"))
    with pytest.raises(MetadataError, match="readonly"):
        store.read_sync(lambda s: s.execute(text("DELETE FROM account")))
    assert usernames(store) == set()


def test_reads_run_while_the_writer_is_busy(store: MetadataStore) -> None:
    store.write_sync(adder("ada"))
    release, parked = hold_writer(store)
    try:
        count = store.read(lambda s: s.scalar(select(func.count()).select_from(Account))).result(10)
    finally:
        release.set()
    parked.result(10)
    assert count == 1


def test_waiting_for_a_write_from_inside_a_write_is_refused(store: MetadataStore) -> None:
    def nested(session: Session) -> int:
        return store.write_sync(adder("inner"))

    with pytest.raises(RuntimeError, match="deadlock"):
        store.write_sync(nested)
    assert usernames(store) == set()
    with pytest.raises(RuntimeError, match="deadlock"):
        store.read_sync(lambda s: store.read_sync(lambda inner: 1))
