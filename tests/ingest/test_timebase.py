"""Time and stream-id helpers against iotile-core's own rules and the stream store's status codes."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from iotile.core.hw.reports import IOTileReading

from appliance.ingest import (
    REBOOT_STREAM,
    is_rtc,
    is_system,
    reading_status,
    reading_times,
    reboot_mask,
    rtc_mask,
    rtc_to_datetime,
    streamids,
    system_mask,
    timebase,
)
from storage.streams import ReadingStatus

UTC = timezone.utc
raw_times = st.lists(st.integers(0, 0xFFFFFFFF) | st.sampled_from([0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF]),
                     max_size=50)


def test_rtc_stamps() -> None:
    assert rtc_to_datetime(0x80000064) == datetime(2000, 1, 1, 0, 1, 40, tzinfo=UTC)
    assert rtc_to_datetime(0x80000000) == datetime(2000, 1, 1, tzinfo=UTC)
    assert rtc_to_datetime(0xFFFFFFFE) == datetime(2000, 1, 1, tzinfo=UTC) + timedelta(seconds=0x7FFFFFFE)
    assert rtc_to_datetime(100) is None
    assert rtc_to_datetime(0xFFFFFFFF) is None, "InvalidRawTime is unknown, not an RTC stamp"
    assert [is_rtc(t) for t in (0, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF)] == [False, False, True, False]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw_times, st.integers(0, 0xFFFFFFFF),
       st.datetimes(min_value=datetime(2010, 1, 1), max_value=datetime(2040, 1, 1)))
def test_reading_times_match_iotile_core(raws: list[int], sent: int, received: datetime) -> None:
    base = received - timedelta(seconds=sent)
    expected = [np.datetime64(IOTileReading(t, 0x5001, 0, time_base=base).reading_time, "us") for t in raws]
    ours = reading_times(received, sent, np.array(raws, dtype=np.uint32))
    assert ours.dtype == np.dtype("datetime64[us]") and list(ours) == expected
    assert rtc_mask(np.array(raws, dtype=np.uint32)).tolist() == [is_rtc(t) for t in raws]
    assert [rtc_to_datetime(t) is not None for t in raws] == [is_rtc(t) for t in raws]


def test_reading_times_with_an_aware_received_time() -> None:
    raws = np.array([0, 10, 0x80000064], dtype=np.uint32)
    aware = datetime(2024, 1, 1, 14, tzinfo=timezone(timedelta(hours=2)))
    assert [str(t) for t in reading_times(aware, 100, raws)] == [
        "2024-01-01T11:58:20.000000", "2024-01-01T11:58:30.000000", "2000-01-01T00:01:40.000000"]


def test_status_codes_match_the_stream_store() -> None:
    assert timebase.STATUS_UNKNOWN == ReadingStatus.UNKNOWN
    assert timebase.STATUS_UTC == ReadingStatus.UTC
    raws = np.array([0, 0x80000001, 0xFFFFFFFF, 5], dtype=np.uint32)
    assert reading_status(raws).tolist() == [ReadingStatus.UNKNOWN, ReadingStatus.UTC, ReadingStatus.UNKNOWN,
                                             ReadingStatus.UNKNOWN]
    assert reading_status(raws).dtype == np.uint8


@pytest.mark.parametrize(("stream", "system", "kind", "index"), [
    (0x5001, False, streamids.StreamType.OUTPUT, 1),
    (0x5C00, True, streamids.StreamType.OUTPUT, 1024),
    (0x5800, True, streamids.StreamType.OUTPUT, 0),
    (0x1001, False, streamids.StreamType.UNBUFFERED, 1),
    (0x3C00, True, streamids.StreamType.INPUT, 1024),
    (0x0E00, True, streamids.StreamType.BUFFERED, 1536),
])
def test_stream_ids(stream: int, system: bool, kind: streamids.StreamType, index: int) -> None:
    assert is_system(stream) is system
    assert streamids.stream_type(stream) is kind
    assert streamids.stream_index(stream) == index


def test_unassigned_stream_types_raise() -> None:
    with pytest.raises(ValueError):
        streamids.stream_type(0xF001)


def test_vectorized_stream_masks() -> None:
    streams = np.array([0x5001, 0x5C00, 0x5800, 0x1001, 0x5C01], dtype=np.uint16)
    assert system_mask(streams).tolist() == [is_system(int(s)) for s in streams]
    assert reboot_mask(streams).tolist() == [int(s) == REBOOT_STREAM for s in streams]
