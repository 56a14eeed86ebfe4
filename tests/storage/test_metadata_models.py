"""The models' rules as SQLite enforces them: UTC timestamps, keys, cascades, wire codes."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

import storage.metadata as metadata
from storage.metadata import (
    Account,
    Base,
    DataBlock,
    Device,
    DeviceStatus,
    DeviceTemplate,
    IntegrityConflict,
    Job,
    MetadataStore,
    Org,
    OrgMembership,
    Project,
    Streamer,
    StreamerReport,
    StreamFilter,
    StreamId,
)

T = TypeVar("T")
PLUS_TWO = timezone(timedelta(hours=2))
SERIAL = 0x0001_0000_0002  # a serial number above 32 bits


@pytest.fixture
def store(tmp_path: Path) -> Iterator[MetadataStore]:
    with MetadataStore(tmp_path / "metadata.sqlite3") as opened:
        yield opened


def seed(session: Session) -> None:
    """An org with a member, a project, a template and a claimed device with a streamer."""
    session.add(Account(id=1, email="ada@example.com", username="ada", slug="ada"))
    session.add(Org(id=1, uuid="o-1", name="Acme", slug="acme", created_by_id=1))
    session.add(OrgMembership(account_id=1, org_id=1, role="a0"))
    session.add(Project(gid=1, uuid="p-1", name="Line 1", org_id=1))
    session.add(DeviceTemplate(id=1, external_sku="POD-1", slug="pod-1-v1-0-0"))
    session.add(Device(id=SERIAL, org_id=1, project_id=1, template_id=1, status=DeviceStatus()))
    session.add(Streamer(id=1, device_id=SERIAL, index=0))
    session.add(StreamerReport(uuid="r-1", streamer_id=1, blob_key="reports/r-1.bin"))
    session.add(StreamId(org_id=1, project_id=1, project_gid=1, device_id=SERIAL, device_gid=SERIAL, var_lid=0x5001))


def test_every_model_is_exported_and_mapped() -> None:
    exported = {obj for obj in map(metadata.__dict__.get, metadata.__all__) if isinstance(obj, type)}
    mapped = {mapper.class_ for mapper in Base.registry.mappers}
    assert mapped <= exported
    assert len(Base.metadata.tables) == len(mapped) == 48


def test_timestamps_come_back_as_the_same_instant_in_utc(store: MetadataStore) -> None:
    local = datetime(2024, 3, 1, 14, 30, 15, 123456, tzinfo=PLUS_TWO)
    store.write_sync(lambda s: s.add(Job(pid="p1", kind="export", run_after=local)))
    run_after = store.read_sync(lambda s: s.scalar(select(Job.run_after)))
    assert run_after == local and run_after.tzinfo is timezone.utc
    assert run_after.hour == 12
    raw = sqlite3.connect(store.path)
    try:  # on disk: naive UTC, so SQLite's text comparison orders instants correctly
        assert raw.execute("SELECT run_after FROM job").fetchone()[0] == "2024-03-01 12:30:15.123456"
    finally:
        raw.close()


def test_defaults_are_aware_utc_now(store: MetadataStore) -> None:
    job = store.write_sync(lambda s: _added(s, Job(pid="p1", kind="export")))
    assert job.created_on.tzinfo is timezone.utc
    assert abs(job.created_on - datetime.now(timezone.utc)) < timedelta(minutes=1)


def test_naive_datetimes_are_refused_where_the_bug_is(store: MetadataStore) -> None:
    naive = datetime(2024, 3, 1, 12, 0)  # noqa: DTZ001  (the point of the test)
    with pytest.raises(ValueError, match="naive"):
        Job(pid="p1", kind="export", run_after=naive)
    job = Job(pid="p1", kind="export")
    with pytest.raises(ValueError, match="naive"):
        job.started_on = naive
    with pytest.raises(ValueError, match="naive"):
        store.read_sync(lambda s: s.scalars(select(Job).where(Job.run_after < naive)).all())


def test_big_serial_numbers_are_the_device_key(store: MetadataStore) -> None:
    store.write_sync(seed)
    device = store.read_sync(lambda s: s.get(Device, SERIAL))
    assert device is not None and device.id == SERIAL and device.state == "N1"
    status = store.read_sync(lambda s: s.get(DeviceStatus, SERIAL))
    assert status is not None and status.health_check_period == 7200 and status.last_known_state == "UNK"


def test_project_id_is_its_gid_allocated_as_max_plus_one(store: MetadataStore) -> None:
    store.write_sync(seed)
    project = store.write_sync(lambda s: _added(s, Project(uuid="p-2", name="Line 2", org_id=1)))
    assert project.gid == project.id == 2
    assert store.read_sync(lambda s: s.scalar(select(Project.name).where(Project.gid == 2))) == "Line 2"


def test_a_stream_slug_maps_to_one_row(store: MetadataStore) -> None:
    store.write_sync(seed)
    again = StreamId(org_id=1, project_id=1, project_gid=1, device_id=SERIAL, device_gid=SERIAL, var_lid=0x5001)
    with pytest.raises(IntegrityConflict) as unique:
        store.write_sync(lambda s: s.add(again))
    assert unique.value.kind == "unique"
    wrong_gid = StreamId(org_id=1, project_id=1, project_gid=7, device_gid=0, var_lid=0x5001)
    with pytest.raises(IntegrityConflict) as check:
        store.write_sync(lambda s: s.add(wrong_gid))
    assert check.value.kind == "check"


def test_archived_streams_live_under_their_block(store: MetadataStore) -> None:
    store.write_sync(seed)

    def archive(session: Session) -> None:
        block = _added(session, DataBlock(org_id=1, title="Trip 1", device_id=SERIAL, block=1))
        session.add(StreamId(org_id=1, block_id=block.id, device_gid=(1 << 48) | SERIAL, var_lid=0x5001))

    store.write_sync(archive)
    assert store.read_sync(lambda s: s.scalar(select(StreamId.id).where(StreamId.project_gid == 0))) == 2


def test_one_filter_per_device_and_one_default_per_project(store: MetadataStore) -> None:
    store.write_sync(seed)
    store.write_sync(lambda s: s.add(StreamFilter(org_id=1, project_id=1, var_lid=0x5001)))
    store.write_sync(lambda s: s.add(StreamFilter(org_id=1, project_id=1, device_id=SERIAL, var_lid=0x5001)))
    for device_id in (None, SERIAL):
        duplicate = StreamFilter(org_id=1, project_id=1, device_id=device_id, var_lid=0x5001)
        with pytest.raises(IntegrityConflict):
            store.write_sync(lambda s, f=duplicate: s.add(f))


def test_deleting_an_org_takes_what_cannot_live_without_it(store: MetadataStore) -> None:
    store.write_sync(seed)
    store.write_sync(lambda s: s.execute(delete(Org).where(Org.id == 1)))
    assert row_counts(store, Project, OrgMembership, StreamId) == [0, 0, 0]
    device = store.read_sync(lambda s: s.get(Device, SERIAL))
    assert device is not None and device.org_id is None and device.project_id is None


def test_deleting_a_device_takes_its_status_streamers_and_reports(store: MetadataStore) -> None:
    store.write_sync(seed)
    store.write_sync(lambda s: s.execute(delete(Device)))
    assert row_counts(store, DeviceStatus, Streamer, StreamerReport) == [0, 0, 0]


def test_a_template_in_use_cannot_be_deleted(store: MetadataStore) -> None:
    store.write_sync(seed)
    with pytest.raises(IntegrityConflict) as caught:
        store.write_sync(lambda s: s.execute(delete(DeviceTemplate)))
    assert caught.value.kind == "foreign_key"


def test_wire_codes_are_checked(store: MetadataStore) -> None:
    store.write_sync(seed)
    with pytest.raises(IntegrityConflict, match="ck_org_membership_role"):
        store.write_sync(lambda s: s.add(OrgMembership(account_id=1, org_id=1, role="zz")))
    with pytest.raises(IntegrityConflict, match="ck_device_state"):
        store.write_sync(lambda s: s.add(Device(id=3, state="X9")))


def test_json_columns_round_trip(store: MetadataStore) -> None:
    store.write_sync(seed)

    def configure(session: Session) -> None:
        status = session.get(DeviceStatus, SERIAL)
        assert status is not None
        status.notification_recipients = ["email:ops@example.com", "org:admin"]
        session.add(Job(pid="p1", kind="export", args={"devices": [SERIAL], "format": "csv"}))

    def add_recipient(session: Session) -> None:
        status = session.get(DeviceStatus, SERIAL)
        assert status is not None
        status.notification_recipients.append("user:ada")  # in place: must still be saved

    store.write_sync(configure)
    store.write_sync(add_recipient)
    status = store.read_sync(lambda s: s.get(DeviceStatus, SERIAL))
    assert status is not None
    assert status.notification_recipients == ["email:ops@example.com", "org:admin", "user:ada"]
    assert store.read_sync(lambda s: s.scalar(select(Job.args))) == {"devices": [SERIAL], "format": "csv"}


def row_counts(store: MetadataStore, *models: type[Base]) -> list[int]:
    return store.read_sync(lambda s: [s.scalar(select(func.count()).select_from(m)) or 0 for m in models])


def _added(session: Session, obj: T) -> T:
    session.add(obj)
    session.flush()
    return obj
