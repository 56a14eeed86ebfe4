"""StreamStore against real DuckDB files: what goes in comes back, filtered and paged right."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from storage.streams import (
    DataBatch,
    EventBatch,
    ReadingStatus,
    ReadingType,
    StreamSelector,
    StreamStore,
    StreamStoreError,
)

T0 = datetime(2024, 3, 1, 12, 0, 0)
STREAM = StreamSelector(project=1, device=0x10, variable=0x5001)


def stamps(*seconds: float) -> np.ndarray:
    """Naive UTC datetime64[us] at T0 + seconds."""
    return np.datetime64(T0, "us") + (np.asarray(seconds) * 1_000_000).astype("timedelta64[us]")


def readings(device: int = 0x10, variable: int = 0x5001, count: int = 10, project: int = 1) -> DataBatch:
    """``count`` readings one second apart, seq ids 1..count, int_value = value = seq * 10."""
    seq = np.arange(1, count + 1)
    return DataBatch.for_stream(
        project,
        device,
        variable,
        timestamp=stamps(*range(count)),
        streamer_local_id=seq,
        int_value=seq * 10,
        value=seq * 10.0,
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StreamStore]:
    with StreamStore(tmp_path / "streams.duckdb") as opened:
        yield opened


def test_numpy_batch_reads_back_exactly(store: StreamStore) -> None:
    batch = DataBatch(
        project=np.array([1, 1, 1], dtype=np.uint32),
        device=np.array([0x10, 0x10, 0x10], dtype=np.uint64),
        variable=np.array([0x5001, 0x5001, 0x5001], dtype=np.uint16),
        timestamp=stamps(0, 1.5, 2.000001),
        device_timestamp=np.array([100, 101, 102]),
        streamer_local_id=np.ma.masked_array([7, 8, 9], mask=[False, True, False]),
        int_value=np.array([-5, 0, 2**40]),
        value=np.array([1.25, np.nan, -3.5]),
        status=np.array([ReadingStatus.CLEAN, ReadingStatus.DIRTY, ReadingStatus.UTC], dtype=np.uint8),
        type=np.array([ReadingType.NUM, ReadingType.ITR, ReadingType.PE], dtype=np.uint8),
        dirty_ts=np.array(["NaT", "2024-03-01T11:00:00", "NaT"], dtype="datetime64[us]"),
    )
    assert store.append_data(batch).result() == 3

    rows = store.query_data(STREAM).rows.to_pylist()

    assert [r["id"] for r in rows] == [1, 2, 3]
    seconds = [timedelta(0), timedelta(seconds=1.5), timedelta(seconds=2, microseconds=1)]
    assert [r["timestamp"] for r in rows] == [T0 + s for s in seconds]
    assert [r["streamer_local_id"] for r in rows] == [7, None, 9]
    assert [r["int_value"] for r in rows] == [-5, 0, 2**40]
    assert [r["value"] for r in rows] == [1.25, None, -3.5]  # NaN means "no value"
    assert [r["device_timestamp"] for r in rows] == [100, 101, 102]
    assert [r["status"] for r in rows] == [1, 2, 3]
    assert [r["type"] for r in rows] == [0, 1, 4]
    assert [r["dirty_ts"] for r in rows] == [None, datetime(2024, 3, 1, 11), None]
    assert {(r["project"], r["device"], r["variable"]) for r in rows} == {(1, 0x10, 0x5001)}


def test_arrow_table_with_zoned_time_is_stored_as_utc(store: StreamStore) -> None:
    paris = pa.array([0, 1_000_000], pa.timestamp("us", tz="Europe/Paris"))
    table = pa.table(
        {
            "project": pa.array([1, 1], pa.int64()),
            "device": pa.array([0x10, 0x10], pa.int64()),
            "variable": pa.array([0x5001, 0x5001], pa.int32()),
            "timestamp": paris,
            "int_value": pa.array([1, None], pa.int64()),
            "value": pa.array([0.5, 1.5], pa.float32()),
        }
    )
    assert store.append_data(table).result() == 2

    page = store.query_data(STREAM)

    assert page.rows.column("timestamp").to_pylist() == [datetime(1970, 1, 1), datetime(1970, 1, 1, 0, 0, 1)]
    assert page.rows.column("int_value").to_pylist() == [1, None]
    assert page.rows.column("value").to_pylist() == [0.5, 1.5]
    assert page.rows.column("status").to_pylist() == [0, 0]
    assert page.rows.schema.field("timestamp").type == pa.timestamp("us")


def test_time_window_includes_start_and_excludes_end(store: StreamStore) -> None:
    store.append_data(readings()).result()

    page = store.query_data(STREAM, start=T0 + timedelta(seconds=2), end=T0 + timedelta(seconds=5))
    assert page.rows.column("streamer_local_id").to_pylist() == [3, 4, 5]
    assert page.total == 3

    zoned = datetime(2024, 3, 1, 13, 0, 8, tzinfo=timezone(timedelta(hours=1)))  # = T0 + 8 s in UTC
    assert store.count_data(STREAM, start=zoned) == 2
    assert store.count_data(STREAM, end=T0) == 0


def test_sequence_and_id_ranges_are_inclusive(store: StreamStore) -> None:
    store.append_data(readings()).result()

    assert store.query_data(STREAM, seq_min=4, seq_max=6).rows.column("int_value").to_pylist() == [40, 50, 60]
    assert store.query_data(STREAM, id_min=9).rows.column("id").to_pylist() == [9, 10]
    assert store.count_data(STREAM, id_max=2, seq_min=2) == 1


def test_lastn_keeps_the_newest_and_pages_through_them(store: StreamStore) -> None:
    store.append_data(readings(count=10)).result()

    newest = store.query_data(STREAM, lastn=4)
    assert newest.rows.column("streamer_local_id").to_pylist() == [7, 8, 9, 10]
    assert newest.total == 4

    page = store.query_data(STREAM, lastn=4, offset=1, limit=2)
    assert page.rows.column("streamer_local_id").to_pylist() == [8, 9]
    assert (page.total, page.has_more) == (4, True)

    backwards = store.query_data(STREAM, lastn=4, order="desc", offset=2)
    assert backwards.rows.column("streamer_local_id").to_pylist() == [8, 7]
    assert not backwards.has_more
    assert store.query_data(STREAM, lastn=100).total == 10


def test_rows_of_a_stream_order_by_time_then_sequence_then_id(store: StreamStore) -> None:
    same_time = DataBatch.for_stream(
        1,
        0x10,
        0x5001,
        timestamp=stamps(5, 5, 1, 5),
        streamer_local_id=[3, 1, 9, 2],
        int_value=[0, 1, 2, 3],
    )
    store.append_data(same_time).result()
    store.append_data(DataBatch.for_stream(1, 0x10, 0x5001, timestamp=stamps(5), streamer_local_id=[2])).result()

    rows = store.query_data(STREAM).rows
    assert rows.column("streamer_local_id").to_pylist() == [9, 1, 2, 2, 3]
    assert rows.column("id").to_pylist()[2:4] == sorted(rows.column("id").to_pylist()[2:4])


def test_selectors_by_project_device_variable_and_block(store: StreamStore) -> None:
    block_device = (1 << 48) | 0x10  # data block 1 of device 0x10, archived under project 0
    for batch in (
        readings(device=0x10, variable=0x5001, count=3),
        readings(device=0x10, variable=0x5002, count=4),
        readings(device=0x11, variable=0x5001, count=5),
        readings(device=0x12, variable=0x5001, count=6, project=2),
        readings(device=block_device, variable=0x5001, count=7, project=0),
    ):
        store.append_data(batch).result()

    assert store.count_data(StreamSelector()) == 25
    assert store.count_data(StreamSelector(device=0x10)) == 7
    assert store.count_data(StreamSelector(project=1)) == 12
    assert store.count_data(StreamSelector(project=1, variable=0x5001)) == 8
    assert store.count_data(StreamSelector(project=2, device=0x12, variable=0x5001)) == 6
    assert store.count_data(StreamSelector(project=0, device=block_device)) == 7
    assert store.count_data(StreamSelector(device=0x99)) == 0


def test_aggregate_per_bucket(store: StreamStore) -> None:
    # 6 readings 20 minutes apart: values 1..6 -> hour 12 holds 1,2,3 and hour 13 holds 4,5,6.
    batch = DataBatch.for_stream(
        1, 0x10, 0x5001, timestamp=stamps(*(i * 1200 for i in range(6))), value=np.arange(1.0, 7.0)
    )
    store.append_data(batch).result()

    table = store.aggregate(STREAM, timedelta(hours=1))
    assert table.column_names == ["bucket_start", "count", "min", "max", "avg", "sum"]
    assert table.to_pylist() == [
        {"bucket_start": T0, "count": 3, "min": 1.0, "max": 3.0, "avg": 2.0, "sum": 6.0},
        {"bucket_start": T0 + timedelta(hours=1), "count": 3, "min": 4.0, "max": 6.0, "avg": 5.0, "sum": 15.0},
    ]
    windowed = store.aggregate(STREAM, timedelta(days=1), start=T0 + timedelta(minutes=30))
    assert windowed.to_pylist()[0]["count"] == 4
    assert windowed.to_pylist()[0]["bucket_start"] == datetime(2024, 3, 1)
    with pytest.raises(ValueError, match="bucket"):
        store.aggregate(STREAM, timedelta(0))


def test_stream_stats_and_delete(store: StreamStore) -> None:
    store.append_data(readings(variable=0x5001, count=10)).result()
    store.append_data(readings(variable=0x5C00, count=3)).result()

    stats = store.stream_stats(StreamSelector(device=0x10)).to_pylist()
    assert [(s["variable"], s["count"], s["first"], s["last"]) for s in stats] == [
        (0x5001, 10, T0, T0 + timedelta(seconds=9)),
        (0x5C00, 3, T0, T0 + timedelta(seconds=2)),
    ]

    trimmed = store.delete_data(StreamSelector(device=0x10), end=T0 + timedelta(seconds=5), keep_variables=[0x5C00])
    assert trimmed.result() == 5
    assert store.count_data(StreamSelector(variable=0x5001)) == 5
    assert store.count_data(StreamSelector(variable=0x5C00)) == 3
    assert store.delete_data(StreamSelector(device=0x10)).result() == 8


def test_events_round_trip(store: StreamStore) -> None:
    events = EventBatch(
        project=np.array([1, 1]),
        device=np.array([0x10, 0x10]),
        variable=np.array([0x5020, 0x5020]),
        timestamp=np.array(["2024-03-01T12:00:01", "NaT"], dtype="datetime64[us]"),
        streamer_local_id=np.array([5, 4]),
        uuid=["0b8e37a8-5e1c-4c7e-9d32-1f5cb5d2c1aa", None],
        ext=["json", "json.gz"],
        format_version=np.array([2, 2]),
        extra_data=['{"max": 3}', {"pressure": [1, 2]}],
        blob_key=["ab/cd", None],
    )
    assert store.append_events(events).result() == 2

    rows = store.query_events(StreamSelector(variable=0x5020)).rows.to_pylist()
    assert [r["streamer_local_id"] for r in rows] == [4, 5]  # no time yet sorts first
    assert rows[1]["uuid"] == "0b8e37a8-5e1c-4c7e-9d32-1f5cb5d2c1aa"
    assert len(rows[0]["uuid"]) == 36
    assert [r["extra_data"] for r in rows] == ['{"pressure":[1,2]}', '{"max": 3}']
    assert [r["ext"] for r in rows] == ["json.gz", "json"]
    assert store.count_events(StreamSelector(device=0x10), start=T0) == 1
    assert store.delete_events(StreamSelector(device=0x10)).result() == 2


def test_event_with_invalid_json_is_refused(store: StreamStore) -> None:
    one = np.array([1])
    bad = EventBatch(project=one, device=one, variable=one, timestamp=stamps(0), extra_data=["{not json"])
    with pytest.raises(ValueError, match="JSON"):
        store.append_events(bad)
    assert store.count_events(StreamSelector()) == 0


def test_reopen_keeps_data_and_ids_are_never_reused(tmp_path: Path) -> None:
    path = tmp_path / "streams.duckdb"
    with StreamStore(path) as store:
        store.append_data(readings(count=10)).result()
        store.delete_data(STREAM, start=T0 + timedelta(seconds=8)).result()  # ids 9, 10 gone for good

    with StreamStore(path) as store:
        assert store.count_data(STREAM) == 8
        store.append_data(readings(device=0x11, count=2)).result()
        new_ids = store.query_data(StreamSelector(device=0x11)).rows.column("id").to_pylist()
        # never reused, even the trimmed 9 and 10 (ids come from blocks reserved on disk)
        assert new_ids[0] > 10 and new_ids[1] == new_ids[0] + 1


def test_open_and_close_are_idempotent_and_closed_store_refuses(tmp_path: Path) -> None:
    store = StreamStore(tmp_path / "streams.duckdb")
    with pytest.raises(StreamStoreError):
        store.count_data(STREAM)
    store.open()
    store.open()
    store.close()
    store.close()
    with pytest.raises(StreamStoreError):
        store.append_data(readings())
    with pytest.raises(StreamStoreError):
        store.query_data(STREAM)


def test_numpy_view_of_a_page_masks_nulls(store: StreamStore) -> None:
    store.append_data(
        DataBatch.for_stream(
            1, 0x10, 0x5001, timestamp=stamps(0, 1), int_value=np.ma.masked_array([1, 2], mask=[True, False])
        )
    ).result()

    columns = store.query_data(STREAM).numpy()

    assert columns["int_value"].dtype == np.int64
    assert np.ma.getmaskarray(columns["int_value"]).tolist() == [True, False]
    assert columns["timestamp"].dtype == np.dtype("datetime64[us]")
