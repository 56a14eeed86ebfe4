"""v2 (msgpack / JSON) report decoding: round trips with iotile-core and every refusal."""

from __future__ import annotations

import copy
import json
import math
from datetime import datetime, timezone
from typing import Any

import msgpack  # type: ignore[import-untyped]
import numpy as np
import pytest
from iotile.core.hw.reports import FlexibleDictionaryReport, IOTileReading
from iotile.core.hw.reports.report import IOTileEvent

from appliance.ingest import MAX_ITEMS, DecodedReport, ReportError, ReportFormat, decode_flexible
from appliance.ingest import flexible as flexible_module

UTC = timezone.utc


def base_document() -> dict[str, Any]:
    return {
        "format": "v100", "device": 10, "streamer_index": 100, "streamer_selector": 65536,
        "device_sent_timestamp": 1, "incremental_id": 1, "lowest_id": 2, "highest_id": 5,
        "events": [
            {"stream": "5053", "timestamp": "2017-01-10T10:00:00Z", "streamer_local_id": 2,
             "extra_data": {"foo": "a"}, "device_timestamp": 10, "data": {"samples": [1, 2.5, None]}},
            {"stream": 20563, "timestamp": None, "streamer_local_id": 4, "extra_data": {"foo": "c"}},
        ],
        "data": [
            {"stream": "5051", "timestamp": "2017-01-10T10:02:00", "streamer_local_id": 3, "value": 5},
            {"stream": 20561, "timestamp": None, "streamer_local_id": 5, "value": 6, "device_timestamp": 7},
        ],
    }


def encode(document: Any, kind: str) -> bytes:
    return msgpack.packb(document) if kind == "msgpack" else json.dumps(document).encode()


def decode(document: Any, kind: str = "json") -> DecodedReport:
    return decode_flexible(encode(document, kind), kind)  # type: ignore[arg-type]


def refused(document: Any, kind: str = "json") -> ReportError:
    with pytest.raises(ReportError) as info:
        decode(document, kind)
    return info.value


@pytest.mark.parametrize("kind", ["json", "msgpack"])
def test_decodes_every_field(kind: str) -> None:
    report = decode(base_document(), kind)
    assert report.format is ReportFormat(kind) and report.format_tag == "v100"
    assert (report.device_id, report.streamer_index, report.streamer_selector) == (10, 100, 65536)
    assert (report.sent_timestamp, report.report_id, report.lowest_id, report.highest_id) == (1, 1, 2, 5)
    assert (report.signature_flags, report.count, report.ids_consistent, report.chopped) == (0, 4, True, False)
    assert report.stream.tolist() == [0x5051, 20561]
    assert report.reading_id.tolist() == [3, 5]
    assert report.raw_time.tolist() == [0xFFFFFFFF, 7]
    assert report.value.tolist() == [5, 6]
    assert report.timestamps is not None
    assert str(report.timestamps[0]) == "2017-01-10T10:02:00.000000" and np.isnat(report.timestamps[1])
    first, second = report.events
    assert (first.stream, first.streamer_local_id, first.device_timestamp) == (0x5053, 2, 10)
    assert first.timestamp == datetime(2017, 1, 10, 10, tzinfo=UTC)
    assert first.extra_data == {"foo": "a"} and first.data == {"samples": [1, 2.5, None]}
    assert (second.stream, second.timestamp, second.device_timestamp, second.data) == (20563, None, None, None)


def test_optional_keys_and_unknown_keys() -> None:
    document = base_document()
    for key in ("incremental_id", "events", "data"):
        del document[key]
    document["surprise"] = {"nested": [1, 2, 3]}
    report = decode(document)
    assert report.report_id == 0 and report.count == 0 and report.timestamps is not None
    assert report.readings.shape == (0,) and report.timestamps.shape == (0,)


@pytest.mark.parametrize(("stamp", "expected"), [
    ("2019-08-12T08:58:12.869999", datetime(2019, 8, 12, 8, 58, 12, 869999, UTC)),
    ("2019-08-12T08:58:12Z", datetime(2019, 8, 12, 8, 58, 12, tzinfo=UTC)),
    ("2019-08-12T10:58:12+02:00", datetime(2019, 8, 12, 8, 58, 12, tzinfo=UTC)),
    ("2019-08-12T03:58:12-0500", datetime(2019, 8, 12, 8, 58, 12, tzinfo=UTC)),
    ("2019-08-12 08:58", datetime(2019, 8, 12, 8, 58, tzinfo=UTC)),
    ("2019-08-12T08:58:12,5Z", datetime(2019, 8, 12, 8, 58, 12, 500000, UTC)),
    ("2019-08-12T08:58:12.123456789", datetime(2019, 8, 12, 8, 58, 12, 123456, UTC)),
])
def test_timestamps_are_utc(stamp: str, expected: datetime) -> None:
    document = base_document()
    document["events"][0]["timestamp"] = stamp
    document["data"][0]["timestamp"] = stamp
    report = decode(document)
    assert report.events[0].timestamp == expected
    assert report.timestamps is not None
    assert report.timestamps[0] == np.datetime64(expected.replace(tzinfo=None), "us")


def test_integral_floats_and_python2_bytes_are_accepted() -> None:
    """What the Companion app and Python 2 packers really send."""
    document = base_document()
    document["device_sent_timestamp"] = 4294967295.0
    document["data"][1]["device_timestamp"] = 4294967295.0
    packed = msgpack.packb(_to_bytes(document), use_bin_type=True)
    report = decode_flexible(packed, "msgpack")
    assert report.sent_timestamp == 0xFFFFFFFF and report.format_tag == "v100"
    assert report.stream.tolist() == [0x5051, 20561]
    assert report.events[0].extra_data == {"foo": "a"}


def _to_bytes(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode()
    if isinstance(value, dict):
        return {_to_bytes(k): _to_bytes(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_to_bytes(v) for v in value]
    return value


REQUIRED = ["format", "device", "streamer_index", "streamer_selector", "device_sent_timestamp", "lowest_id",
            "highest_id"]


@pytest.mark.parametrize("key", REQUIRED)
def test_missing_required_key(key: str) -> None:
    document = base_document()
    del document[key]
    error = refused(document)
    assert error.key == "missing_key" and key in error.message


@pytest.mark.parametrize(("key", "value", "error_key"), [
    ("format", "v200", "bad_format"), ("format", "", "bad_format"), ("format", 100, "bad_type"),
    ("device", "10", "bad_type"), ("device", True, "bad_type"), ("device", -1, "out_of_range"),
    ("device", 2**48, "out_of_range"), ("device", 1.5, "bad_type"), ("device", None, "bad_type"),
    ("streamer_index", 0x10000, "out_of_range"), ("streamer_selector", 2**32, "out_of_range"),
    ("device_sent_timestamp", False, "bad_type"), ("lowest_id", None, "bad_type"),
    ("highest_id", [], "bad_type"), ("incremental_id", "1", "bad_type"), ("lowest_id", 2**64, "out_of_range"),
    ("data", None, "bad_type"), ("events", {"a": 1}, "bad_type"), ("data", "[]", "bad_type"),
])
def test_wrong_top_level_types(key: str, value: Any, error_key: str) -> None:
    document = base_document()
    document[key] = value
    error = refused(document)
    assert error.key == error_key and key in error.message


@pytest.mark.parametrize(("section", "key", "value", "error_key"), [
    ("data", "stream", "xyz", "bad_stream"), ("data", "stream", "12345", "bad_stream"),
    ("data", "stream", "0x5001", "bad_stream"), ("data", "stream", 0x10000, "out_of_range"),
    ("data", "stream", True, "bad_type"), ("data", "stream", 1.5, "bad_type"),
    ("data", "value", 1.5, "bad_type"), ("data", "value", -1, "out_of_range"), ("data", "value", True, "bad_type"),
    ("data", "value", 2**32, "out_of_range"), ("data", "value", None, "bad_type"),
    ("data", "timestamp", "yesterday", "bad_timestamp"), ("data", "timestamp", 12, "bad_type"),
    ("data", "timestamp", "2024-13-01T00:00:00", "bad_timestamp"),
    ("data", "timestamp", "2024-01-01T00:00:00+25:00", "bad_timestamp"),
    ("data", "timestamp", "0001-01-01T00:00:00+01:00", "bad_timestamp"),
    ("data", "timestamp", "2024-01-01T00:00:00" + "0" * 100, "bad_timestamp"),
    ("data", "device_timestamp", "7", "bad_type"), ("data", "streamer_local_id", None, "bad_type"),
    ("events", "extra_data", [1], "bad_type"), ("events", "extra_data", "x", "bad_type"),
    ("events", "streamer_local_id", 2**32, "out_of_range"), ("events", "timestamp", True, "bad_type"),
])
def test_wrong_item_types(section: str, key: str, value: Any, error_key: str) -> None:
    document = base_document()
    document[section][1][key] = value
    error = refused(document)
    assert error.key == error_key and f"{section}[1].{key}" in error.message


@pytest.mark.parametrize(("section", "key"), [("data", "stream"), ("data", "value"),
                                              ("data", "streamer_local_id"), ("events", "stream"),
                                              ("events", "streamer_local_id")])
def test_missing_item_keys(section: str, key: str) -> None:
    document = base_document()
    del document[section][0][key]
    error = refused(document)
    assert error.key == "missing_key" and f"{section}[0].{key}" in error.message


@pytest.mark.parametrize("item", [1, "x", None, [1, 2]])
def test_items_must_be_objects(item: Any) -> None:
    document = base_document()
    document["data"].append(item)
    assert refused(document).key == "bad_type"


@pytest.mark.parametrize("body", [b"", b"[1, 2]", b'"v100"', b"{", b"\xff\xfe{}", b'{"a": 1} x', b"null"])
def test_malformed_json(body: bytes) -> None:
    with pytest.raises(ReportError) as info:
        decode_flexible(body, "json")
    assert info.value.key in {"bad_json", "bad_type"}


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_json_non_finite_numbers(literal: str) -> None:
    body = json.dumps(base_document()).replace('"foo": "a"', f'"foo": {literal}').encode()
    with pytest.raises(ReportError) as info:
        decode_flexible(body, "json")
    assert info.value.key == "bad_number"


@pytest.mark.parametrize("number", [math.nan, math.inf, -math.inf])
def test_msgpack_non_finite_numbers(number: float) -> None:
    document = base_document()
    document["events"][0]["data"] = {"x": [number]}
    assert refused(document, "msgpack").key == "bad_number"
    document = base_document()
    document["device"] = number
    assert refused(document, "msgpack").key == "bad_type"


@pytest.mark.parametrize("body", [b"", b"\xc1", b"\x93\x01", b"\x81\x01\x02", b"\xa2\xff\xfe", b"\x80\x80",
                                  b"\x91" * 5000 + b"\xc0", b"\xdd\xff\xff\xff\xff"])
def test_malformed_msgpack(body: bytes) -> None:
    with pytest.raises(ReportError) as info:
        decode_flexible(body, "msgpack")
    assert info.value.key == "bad_msgpack"


def test_msgpack_only_values_cannot_be_stored() -> None:
    for odd in (msgpack.ExtType(5, b"xx"), msgpack.Timestamp(1)):
        document = base_document()
        document["events"][0]["extra_data"] = {"x": odd}
        assert refused(document, "msgpack").key == "bad_type"
    document = base_document()
    document["events"][0]["extra_data"] = {"x": b"\xff"}
    assert refused(document, "msgpack").key == "bad_type"


def test_deep_json_is_refused_before_parsing() -> None:
    for body in (b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000):
        with pytest.raises(ReportError) as info:
            decode_flexible(body, "json")
        assert info.value.key == "too_deep"
    document = base_document()
    document["events"][0]["data"] = json.loads("[" * 40 + "]" * 40)
    assert refused(document).key == "too_deep"


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    document = base_document()
    document["events"][0]["extra_data"] = {"text": "[[[[{{{{" * 100 + '\\"]]', "q": '"\\'}
    assert decode(document).events[0].extra_data["text"].startswith("[[[[")


@pytest.mark.parametrize("body", [b'"' + b'\\"' * 1_000_000 + b"\\", b'"' * 2_000_000, b'["\\' * 500_000])
def test_pathological_json_strings_are_refused_in_linear_time(body: bytes) -> None:
    """A backtracking string scan would take hours on these; the suite's timeout catches a regression."""
    with pytest.raises(ReportError) as info:
        decode_flexible(body, "json")
    assert info.value.key in {"bad_json", "too_deep", "too_large"}


def test_deep_msgpack_payload_is_refused() -> None:
    nested: Any = 1
    for _ in range(40):
        nested = {"a": nested}
    document = base_document()
    document["events"][0]["data"] = nested
    assert refused(document, "msgpack").key == "too_deep"


def test_huge_lists_are_refused() -> None:
    document = base_document()
    document["data"] = list(range(MAX_ITEMS + 1))
    error = refused(document, "msgpack")
    assert error.key == "too_many_items" and str(MAX_ITEMS) in error.message


@pytest.mark.parametrize("kind", ["json", "msgpack"])
def test_container_budget(kind: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(flexible_module, "MAX_CONTAINERS", 50)
    document = base_document()
    document["junk"] = [{} for _ in range(100)]
    assert refused(document, kind).key == "too_large"
    del document["junk"]
    assert decode(document, kind).count == 4


def test_ids_consistency_counts_events_too() -> None:
    document = base_document()
    document["highest_id"] = 4
    assert not decode(document).ids_consistent


def test_does_not_mutate_or_alias_input() -> None:
    document = base_document()
    snapshot = copy.deepcopy(document)
    report = decode(document)
    assert document == snapshot
    assert not report.readings.flags.writeable
    assert report.timestamps is not None and not report.timestamps.flags.writeable


def iotile_core_report(seed: int) -> tuple[bytes, list[IOTileReading], list[IOTileEvent]]:
    rng = np.random.default_rng(seed)
    base = datetime(2024, 3, 1, 12, 0, 0)
    readings = [IOTileReading(int(t), 0x5000 + int(s), int(v), reading_id=int(i),
                              time_base=base if i % 2 else None)
                for s, t, v, i in zip(rng.integers(0, 16, 40), rng.integers(0, 2**32, 40),
                                      rng.integers(0, 2**32, 40), rng.integers(0, 2**32, 40), strict=True)]
    events = [IOTileEvent(int(t), 0x5020, {"peak": float(p), "axis": "z"}, {"samples": [1, 2]}, reading_id=int(i),
                          reading_time=base if i % 2 else None)
              for t, p, i in zip(rng.integers(0, 2**31, 5), rng.random(5), rng.integers(1, 2**32, 5), strict=True)]
    report = FlexibleDictionaryReport.FromReadings(
        int(rng.integers(0, 2**32)), readings, events, report_id=int(rng.integers(0, 2**32)),
        selector=0xD7FF, streamer=int(rng.integers(0, 2**16)), sent_timestamp=int(rng.integers(0, 2**32)),
    )
    return bytes(report.encode()), readings, events


@pytest.mark.parametrize("seed", range(4))
def test_round_trip_with_iotile_core(seed: int) -> None:
    raw, _readings, _events = iotile_core_report(seed)
    theirs = FlexibleDictionaryReport(raw, signed=False, encrypted=False)
    for ours in (decode_flexible(raw, "msgpack"), decode_flexible(json.dumps(msgpack.unpackb(raw)).encode(), "json")):
        assert (ours.device_id, ours.report_id, ours.sent_timestamp) == (theirs.origin, theirs.report_id,
                                                                         theirs.sent_timestamp)
        assert (ours.streamer_index, ours.streamer_selector) == (theirs.origin_streamer, theirs.streamer_selector)
        assert (ours.lowest_id, ours.highest_id, ours.ids_consistent) == (theirs.lowest_id, theirs.highest_id, True)
        expected = [(r.stream, r.reading_id, r.raw_time, r.value) for r in theirs.visible_readings]
        assert list(zip(ours.stream.tolist(), ours.reading_id.tolist(), ours.raw_time.tolist(),
                        ours.value.tolist(), strict=True)) == expected
        assert ours.timestamps is not None
        assert [None if np.isnat(t) else t.astype(datetime) for t in ours.timestamps] == [
            None if r.reading_time is None else r.reading_time.replace(tzinfo=None) for r in theirs.visible_readings]
        assert [(e.stream, e.streamer_local_id, e.device_timestamp, e.extra_data, e.data) for e in ours.events] == [
            (e.stream, e.reading_id, e.raw_time, e.summary_data, e.raw_data) for e in theirs.visible_events]
        assert [e.timestamp for e in ours.events] == [
            None if e.reading_time is None else e.reading_time.astimezone(UTC) for e in theirs.visible_events]
