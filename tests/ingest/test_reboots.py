"""The v2 reboot repair against a plain per-reading walk written the way the real server reads."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from appliance.ingest.reboots import CLEAN, DIRTY, UTC, repair

RECEIVED = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc)
Y2K = datetime(2000, 1, 1, tzinfo=timezone.utc)
REBOOT = 0x5C00


def reference(var: list[int], raw: list[int], received: datetime, sent: int,
              previous_base: datetime | None) -> tuple[list[datetime], list[int]]:
    """Newest to oldest, one reading at a time, as ProcessReportV2Action does."""
    n = len(var)
    times: list[datetime] = [received] * n
    status = [0] * n
    base: datetime | None = received - timedelta(seconds=sent)
    end_of_block = received
    clean = True
    for i in reversed(range(n)):
        if raw[i] & 0x80000000 and raw[i] != 0xFFFFFFFF:
            times[i], status[i] = Y2K + timedelta(seconds=raw[i] & 0x7FFFFFFF), UTC
            continue
        if base is None:
            base = end_of_block - timedelta(seconds=raw[i])
        times[i], status[i] = base + timedelta(seconds=raw[i]), CLEAN if clean else DIRTY
        if var[i] == REBOOT:
            clean = False
            end_of_block, base = base - timedelta(seconds=1), None
    if n and status[0] == DIRTY and previous_base is not None:
        for i in range(n):
            if var[i] == REBOOT:
                break
            if status[i] != UTC:
                times[i], status[i] = previous_base + timedelta(seconds=raw[i]), CLEAN
    return times, status


def as_datetimes(values: np.ndarray) -> list[datetime]:
    return [datetime.fromisoformat(str(v)).replace(tzinfo=timezone.utc) for v in values.astype("datetime64[us]")]


def test_single_block_is_clean_and_anchored_on_the_report() -> None:
    timeline = repair([0x5001] * 3, [0, 10, 20], [1, 2, 3], received=RECEIVED, sent_timestamp=40, previous_base=None)
    assert as_datetimes(timeline.timestamp) == [RECEIVED - timedelta(seconds=s) for s in (40, 30, 20)]
    assert timeline.status.tolist() == [CLEAN] * 3 and not timeline.dirty.any()


def test_reboot_splits_blocks_and_older_block_is_dirty_until_rebased() -> None:
    var = [0x5001, 0x5001, REBOOT, 0x5001, 0x5001]
    raw = [100, 200, 0, 10, 20]
    timeline = repair(var, raw, [0] * 5, received=RECEIVED, sent_timestamp=30, previous_base=None)
    base = RECEIVED - timedelta(seconds=30)
    older_end = base - timedelta(seconds=1)
    expected = [older_end - timedelta(seconds=100), older_end, base, base + timedelta(seconds=10),
                base + timedelta(seconds=20)]
    assert as_datetimes(timeline.timestamp) == expected
    assert timeline.status.tolist() == [DIRTY, DIRTY, CLEAN, CLEAN, CLEAN]
    anchor = RECEIVED - timedelta(hours=1)
    rebased = repair(var, raw, [0] * 5, received=RECEIVED, sent_timestamp=30, previous_base=anchor)
    assert as_datetimes(rebased.timestamp)[:2] == [anchor + timedelta(seconds=100), anchor + timedelta(seconds=200)]
    assert rebased.status.tolist() == [CLEAN] * 5


def test_rtc_readings_keep_their_time_and_trip_points_use_their_epoch() -> None:
    rtc = 0x80000000 | 1000
    epoch = int(datetime(2026, 2, 1, tzinfo=timezone.utc).timestamp())
    timeline = repair([0x5001, 0x0E00, 0x5020, 0x5020], [rtc, 5, 15, 25], [0, epoch, 0, 0], received=RECEIVED,
                      sent_timestamp=30, previous_base=None)
    times = as_datetimes(timeline.timestamp)
    assert times[0] == Y2K + timedelta(seconds=1000)
    assert times[1] == datetime(2026, 2, 1, tzinfo=timezone.utc)
    assert times[2] == times[1] + timedelta(seconds=10) and times[3] == times[1] + timedelta(seconds=20)
    assert timeline.status.tolist()[:2] == [UTC, UTC]


readings = st.lists(st.tuples(st.sampled_from([0x5001, 0x5002, REBOOT, 0x5800]),
                              st.one_of(st.integers(0, 100_000), st.just(0x80000000 | 12345))),
                    max_size=60)


@settings(max_examples=300, deadline=None)
@given(readings, st.integers(0, 200_000), st.booleans())
def test_matches_the_per_reading_walk(items: list[tuple[int, int]], sent: int, has_previous: bool) -> None:
    var = [v for v, _ in items]
    raw = [r for _, r in items]
    previous = RECEIVED - timedelta(days=1) if has_previous else None
    timeline = repair(var, raw, [0] * len(var), received=RECEIVED, sent_timestamp=sent, previous_base=previous)
    times, status = reference(var, raw, RECEIVED, sent, previous)
    assert as_datetimes(timeline.timestamp) == times
    assert timeline.status.tolist() == status
