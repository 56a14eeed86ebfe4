"""Property tests: whatever bytes arrive, decoding returns a report or raises ReportError, nothing else."""

from __future__ import annotations

import json
import struct
from typing import Any

import msgpack  # type: ignore[import-untyped]
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from iotile.core.hw.reports import IOTileReading, SignedListReport

from appliance.ingest import DecodedReport, ReportError, decode_flexible, decode_signed_list

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
VALID = bytes(SignedListReport.FromReadings(
    0x1234, [IOTileReading(i * 10, 0x5001, 100 + i, reading_id=i + 1) for i in range(8)], report_id=9,
    sent_timestamp=90, selector=0xD7FF,
).encode())
USER_KEY = bytes(range(32))


def decode_or_refuse(raw: bytes) -> DecodedReport | None:
    """The property under test: only a DecodedReport or a ReportError may come out."""
    try:
        return decode_signed_list(raw, user_key_lookup=lambda device: USER_KEY if device % 2 else None)
    except ReportError as err:
        assert err.key and err.message and err.status == 400
        return None


@SETTINGS
@given(st.binary(max_size=400))
def test_random_bytes(raw: bytes) -> None:
    decode_or_refuse(raw)


@SETTINGS
@given(st.binary(min_size=20, max_size=20), st.integers(0, 20), st.binary(max_size=64))
def test_random_headers_with_format_one(header: bytes, readings: int, tail: bytes) -> None:
    length = 44 + 16 * readings
    head = bytes([1, length & 0xFF]) + struct.pack("<H", length >> 8) + header[4:]
    decode_or_refuse(head + bytes(length - 20))
    decode_or_refuse(head + tail)


@SETTINGS
@given(st.integers(0, len(VALID) * 8 - 1))
def test_every_single_bit_flip_is_refused(bit: int) -> None:
    raw = bytearray(VALID)
    raw[bit // 8] ^= 1 << (bit % 8)
    assert decode_or_refuse(bytes(raw)) is None


@SETTINGS
@given(st.integers(0, len(VALID) - 1))
def test_every_truncation_is_refused(size: int) -> None:
    assert decode_or_refuse(VALID[:size]) is None


@SETTINGS
@given(st.binary(min_size=1, max_size=100))
def test_trailing_bytes_are_refused(tail: bytes) -> None:
    assert decode_or_refuse(VALID + tail) is None


@SETTINGS
@example(0)
@example(44)
@example(196604)
@example(196608)
@example(0xFFFFFF)
@given(st.integers(0, 0xFFFFFF))
def test_length_field_lies(length: int) -> None:
    assume(length != len(VALID))
    raw = bytearray(VALID)
    raw[1:4] = bytes([length & 0xFF]) + struct.pack("<H", length >> 8)
    assert decode_or_refuse(bytes(raw)) is None


@SETTINGS
@given(st.integers(0, 255), st.binary(min_size=16, max_size=16))
def test_any_signature_flags_and_signature(flags: int, signature: bytes) -> None:
    raw = bytearray(VALID)
    raw[16] = flags
    raw[-16:] = signature
    assert decode_or_refuse(bytes(raw)) is None


def test_chopped_size_report_and_the_impossible_196608() -> None:
    readings = [IOTileReading(i, 0x5001, i, reading_id=i + 1) for i in range(12285)]
    raw = bytes(SignedListReport.FromReadings(1, readings).encode())
    report = decode_or_refuse(raw)
    assert report is not None and report.chopped and len(raw) == 196604
    assert decode_or_refuse(raw + bytes(4)) is None
    forged = bytearray(raw + bytes(4))
    forged[1:4] = bytes([0]) + struct.pack("<H", 196608 >> 8)
    assert decode_or_refuse(bytes(forged)) is None


json_scalars = (st.none() | st.booleans() | st.integers(-(2**63), 2**64 - 1) | st.floats(allow_nan=True)
                | st.text(max_size=12) | st.sampled_from(["5001", "v100", "2024-01-01T00:00:00Z", "zz"]))
json_values = st.recursive(json_scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=8), inner, max_size=4), max_leaves=20)
KEYS = ["format", "device", "streamer_index", "streamer_selector", "device_sent_timestamp", "lowest_id",
        "highest_id", "incremental_id", "events", "data"]
ITEM_KEYS = ["stream", "streamer_local_id", "timestamp", "device_timestamp", "value", "extra_data", "data"]
items = st.lists(st.dictionaries(st.sampled_from(ITEM_KEYS), json_values, max_size=7) | json_values, max_size=4)
documents = st.dictionaries(st.sampled_from(KEYS), json_values | items, max_size=10)


def flexible_or_refuse(raw: bytes, kind: str) -> DecodedReport | None:
    try:
        return decode_flexible(raw, kind)  # type: ignore[arg-type]
    except ReportError as err:
        assert err.key and err.message and err.status == 400
        return None


def good_document() -> dict[str, Any]:
    return {"format": "v100", "device": 1, "streamer_index": 0, "streamer_selector": 0xFFFF,
            "device_sent_timestamp": 5, "lowest_id": 1, "highest_id": 2,
            "data": [{"stream": "5001", "streamer_local_id": 1, "value": 3, "timestamp": None}],
            "events": [{"stream": 0x5020, "streamer_local_id": 2, "extra_data": {"a": 1}}]}


@SETTINGS
@given(st.binary(max_size=300))
def test_random_bytes_as_v2(raw: bytes) -> None:
    flexible_or_refuse(raw, "msgpack")
    flexible_or_refuse(raw, "json")


@SETTINGS
@given(documents)
def test_random_documents(document: dict[str, Any]) -> None:
    flexible_or_refuse(msgpack.packb(document), "msgpack")
    flexible_or_refuse(json.dumps(document).encode(), "json")


@SETTINGS
@given(st.sampled_from(KEYS), json_values, st.sampled_from(["data", "events"]), st.sampled_from(ITEM_KEYS),
       json_values)
def test_one_field_replaced(key: str, value: Any, section: str, item_key: str, item_value: Any) -> None:
    document = good_document()
    document[key] = value
    flexible_or_refuse(msgpack.packb(document), "msgpack")
    document = good_document()
    document[section][0][item_key] = item_value
    flexible_or_refuse(msgpack.packb(document), "msgpack")
    flexible_or_refuse(json.dumps(document).encode(), "json")


@SETTINGS
@given(st.integers(0, 400), st.integers(0, 255))
def test_mutated_msgpack(position: int, byte: int) -> None:
    raw = bytearray(msgpack.packb(good_document()))
    raw[position % len(raw)] = byte
    flexible_or_refuse(bytes(raw), "msgpack")
    flexible_or_refuse(bytes(raw[: position % len(raw)]), "msgpack")


def test_json_integers_beyond_any_range() -> None:
    document = good_document()
    body = json.dumps(document).replace('"device": 1', '"device": ' + "9" * 5000).encode()
    assert flexible_or_refuse(body, "json") is None
    body = json.dumps(document).replace('"device": 1', '"device": ' + "9" * 50).encode()
    assert flexible_or_refuse(body, "json") is None
