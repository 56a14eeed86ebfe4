"""Assembling many reports at once gives exactly what assembling each alone gives.

The upload pipeline assembles the small reports of a moment together (one array expression per
step over all of them); nothing of one report may leak into another's rows, counts or times.
Reports are built by iotile-core; streams mix reboots, RTC stamps, trips, version readings,
disabled and scaled streams, and each report has its own streamer state.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import pyarrow as pa  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st
from iotile.core.hw.reports import FlexibleDictionaryReport, IOTileReading, SignedListReport

from appliance.ingest import decode_flexible, decode_signed_list
from appliance.ingest.assemble import Pending, assemble_group
from appliance.ingest.context import UploadTarget
from appliance.ingest.values import Mdo, StreamConfig
from storage.metadata.repos.ingest import DeviceContext
from storage.streams import prepare

UTC = timezone.utc
RECEIVED = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
RTC = 0x80000000
STREAMS = [0x5001, 0x5002, 0x5003, 0x5C00, 0x0E00, 0x0E01, 0x5C08, 0x5C09, 0x1001]
CONFIGS = {
    0x5001: StreamConfig(),
    0x5002: StreamConfig(raw_value_format="<l", mdo=Mdo(3, 2, 1.5)),
    0x5003: StreamConfig(enabled=False),
    0x1001: StreamConfig(raw_value_format="<f", input_mdo=Mdo(10, 1, 0.0)),
}
"""0x5C00/0x0E00/0x0E01/0x5C08/0x5C09 have no StreamId: kept with their raw value."""

reading = st.tuples(st.sampled_from(STREAMS), st.integers(0, 5000),
                    st.one_of(st.integers(0, 100_000), st.integers(RTC + 700_000_000, RTC + 800_000_000)),
                    st.integers(0, 2**32 - 1))
report = st.fixed_dictionaries({
    "device": st.integers(1, 3), "streamer": st.integers(0, 2), "system": st.booleans(),
    "readings": st.lists(reading, max_size=25), "last_id": st.integers(0, 3000), "sent": st.integers(0, 200_000),
    "offset": st.integers(0, 3600),
})


def targets() -> dict[int, UploadTarget]:
    return {device: UploadTarget(DeviceContext(device, 1, 10 + device, True, "N1", 2, None), CONFIGS)
            for device in (1, 2, 3)}


def pending_of(spec: dict[str, object], index: int, known: dict[int, UploadTarget]) -> Pending:
    items = [IOTileReading(raw_time, stream, value, reading_id=reading_id)
             for stream, reading_id, raw_time, value in spec["readings"]]  # type: ignore[attr-defined]
    built = SignedListReport.FromReadings(spec["device"], items, report_id=100 + index,
                                          selector=0x5FFF if spec["system"] else 0x57FF,
                                          streamer=spec["streamer"], sent_timestamp=spec["sent"])
    decoded = decode_signed_list(bytes(built.encode()))
    received = RECEIVED + timedelta(seconds=int(spec["offset"]))  # type: ignore[call-overload]
    return Pending(decoded, known[int(spec["device"])], int(spec["last_id"]), received,  # type: ignore[call-overload]
                   f"uuid-{index}")


def anchor(pending: Pending) -> datetime:
    return pending.received - timedelta(hours=1 + pending.report.report_id % 5)


def rows(batch: object) -> list[dict[str, object]]:
    prepared, _ = prepare(batch, None)  # type: ignore[arg-type]
    table: pa.Table = prepared.table
    return sorted(table.to_pylist(), key=lambda r: tuple(str(v) for v in r.values()))


def assemble(pending: list[Pending]) -> object:
    return assemble_group(pending, previous_base=anchor,
                          event_key=lambda p, e: f"{p.report_uuid}-{e.streamer_local_id}")


@settings(max_examples=60, deadline=None)
@given(st.lists(report, min_size=1, max_size=8))
def test_a_group_is_the_sum_of_its_reports(specs: list[dict[str, object]]) -> None:
    known = targets()
    pending = [pending_of(spec, index, known) for index, spec in enumerate(specs)]
    together = assemble_group(pending, previous_base=anchor, event_key=lambda p, e: "")
    alone = [assemble_group([p], previous_base=anchor, event_key=lambda p, e: "") for p in pending]
    assert together.reports == [group.reports[0] for group in alone]
    expected = [row for group in alone if group.data is not None for row in rows(group.data)]
    got = rows(together.data) if together.data is not None else []
    assert got == sorted(expected, key=lambda r: tuple(str(v) for v in r.values()))


def test_counts_times_and_values_of_one_report() -> None:
    """The numbers the real server would store, worked out by hand for one small report."""
    known = targets()
    spec = {"device": 1, "streamer": 0, "system": False, "last_id": 1, "sent": 100, "offset": 0,
            "readings": [(0x5001, 1, 10, 7), (0x5001, 2, 20, 8), (0x5002, 3, 30, 0xFFFFFFFE),
                         (0x5003, 4, 40, 9), (0x5C00, 5, 50, 0), (0x5001, 6, 60, 10)]}
    pending = pending_of(spec, 0, known)
    group = assemble_group([pending], previous_base=lambda p: None, event_key=lambda p, e: "")
    summary = group.reports[0]
    # ids 2..6 are new; the disabled 0x5003 and the reboot of a user streamer are dropped; + marker
    assert (summary.actual_first_id, summary.actual_last_id, summary.stored_readings) == (2, 6, 4)
    table = prepare(group.data, None)[0].table.to_pylist()
    by_id = {r["streamer_local_id"]: r for r in table if r["variable"] != 0x5A05}
    assert sorted(by_id) == [2, 3, 6]
    assert by_id[3]["value"] == -2 * 3 / 2 + 1.5  # "<l" reads 0xFFFFFFFE as -2, then m/d/o
    # the reboot (id 5) closes the newest block: ids 2-4 form an older, dirty block whose last
    # reading (id 4, 40 s of uptime; dropped later as disabled, but walked) is one second before
    # the newest block's base; there is no earlier report to re-base it on
    assert [by_id[i]["status"] for i in (2, 3, 6)] == [2, 2, 1]
    base = RECEIVED.replace(tzinfo=None) - timedelta(seconds=100)
    assert by_id[6]["timestamp"] == base + timedelta(seconds=60)
    assert by_id[3]["timestamp"] == base - timedelta(seconds=1 + 40 - 30)
    assert by_id[2]["timestamp"] == base - timedelta(seconds=1 + 40 - 20)
    assert by_id[2]["dirty_ts"] == by_id[2]["timestamp"] and by_id[6]["dirty_ts"] is None
    marker = [r for r in table if r["variable"] == 0x5A05]
    assert [(m["streamer_local_id"], m["int_value"]) for m in marker] == [(100, 0)]


def test_v2_reports_keep_their_item_times_beside_binary_reports() -> None:
    known = targets()
    flexible = FlexibleDictionaryReport.FromReadings(
        2, [IOTileReading(5, 0x5001, 42, reading_id=11, reading_time=datetime(2026, 2, 1, tzinfo=UTC)),
            IOTileReading(7, 0x5001, 43, reading_id=12)], [], report_id=3, streamer=1, sent_timestamp=9)
    v2 = decode_flexible(bytes(flexible.encode()), "msgpack")
    binary = pending_of({"device": 1, "streamer": 0, "system": False, "last_id": 0, "sent": 10, "offset": 0,
                         "readings": [(0x5001, 1, 5, 1)]}, 0, known)
    group = assemble([binary, Pending(v2, known[2], 0, RECEIVED, "v2")])
    table = prepare(group.data, None)[0].table.to_pylist()
    v2_rows = {r["streamer_local_id"]: r for r in table if r["device"] == 2 and r["variable"] == 0x5001}
    assert v2_rows[11]["timestamp"] == datetime(2026, 2, 1) and v2_rows[11]["status"] == 3
    assert v2_rows[12]["timestamp"] == RECEIVED.replace(tzinfo=None) - timedelta(seconds=2)
    assert v2_rows[12]["status"] == 0  # uptime without a reboot walk: unknown, as the real server rates it
    binary_rows = [r for r in table if r["device"] == 1 and r["variable"] == 0x5001]
    assert [(r["status"], r["timestamp"]) for r in binary_rows] == [
        (1, RECEIVED.replace(tzinfo=None) - timedelta(seconds=5))]
    assert np.array_equal([s.stored_readings for s in group.reports], [2, 3])
