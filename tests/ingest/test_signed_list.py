"""SignedListReport decoding: the reference vectors, every refusal, and round trips with iotile-core."""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest
from iotile.core.hw.auth.auth_provider import AuthProvider
from iotile.core.hw.auth.env_auth_provider import EnvAuthProvider
from iotile.core.hw.reports import IndividualReadingReport, IOTileReading, SignedListReport

from appliance.errors import ValidationError
from appliance.ingest import (
    READING_DTYPE,
    DecodedReport,
    ReportError,
    ReportFormat,
    decode_signed_list,
    reading_times,
)

HASH_VECTOR = bytes.fromhex(
    "015c00003412000004000000280000000000ff570150000001000000000000006400000001500000020000000a000000"
    "65000000015000000300000014000000660000000100000003000000f55cd59e1c0362b6a89f5837f381cfce"
)
USER_KEY_VECTOR = bytes.fromhex(
    "015c00003412000004000000280000000100ffffc47ad3bbbb0f8900d4a336625896ffa2a93f6d937a74552aa3877d1e"
    "7cbcfb3fdb8232730791ba5c35b832fb4988d3e80100000003000000308bf780f65e22ec3ad768ba8d83e5e4"
)
USER_KEY = bytes.fromhex("00112233445566778899aabbccddeeff" * 2)
VECTOR_READINGS = [(0x5001, 1, 0, 100), (0x5001, 2, 10, 101), (0x5001, 3, 20, 102)]
RECEIVED = datetime(2024, 1, 1, 12, 0, 0)


def build(readings: list[tuple[int, int, int, int]], *, device: int = 0x1234, report_id: int = 0,
          sent: int = 0, flags: int = 0, streamer: int = 0, selector: int = 0xFFFF) -> bytes:
    """An independent hash-signed encoder (struct + hashlib), so tests do not trust our decoder's constants."""
    length = 44 + 16 * len(readings)
    header = struct.pack("<BBHLLLBBH", 1, length & 0xFF, length >> 8, device, report_id, sent, flags, streamer,
                         selector)
    body = b"".join(struct.pack("<HHLLL", s, 0, rid, t, v) for s, rid, t, v in readings)
    ids = [rid for _, rid, _, _ in readings if rid]
    signed = header + body + struct.pack("<LL", min(ids, default=0), max(ids, default=0))
    return signed + hashlib.sha256(signed).digest()[:16]


def resign(raw: bytes) -> bytes:
    return raw[:-16] + hashlib.sha256(raw[:-16]).digest()[:16]


def fields_of(report: DecodedReport) -> list[tuple[int, int, int, int]]:
    return [(int(r["stream"]), int(r["reading_id"]), int(r["raw_time"]), int(r["value"])) for r in report.readings]


def test_hash_vector_decodes_exactly() -> None:
    report = decode_signed_list(HASH_VECTOR)
    assert (report.format, report.device_id, report.report_id, report.sent_timestamp) == (
        ReportFormat.SIGNED_LIST, 0x1234, 4, 40)
    assert (report.signature_flags, report.streamer_index, report.streamer_selector) == (0, 0, 0x57FF)
    assert (report.lowest_id, report.highest_id, report.length, report.count) == (1, 3, 92, 3)
    assert fields_of(report) == VECTOR_READINGS
    assert not report.encrypted and not report.chopped and report.ids_consistent
    assert report.timestamps is None and report.events == ()
    assert report.readings.dtype == READING_DTYPE and not report.readings.flags.writeable


def test_user_key_vector_decrypts_exactly() -> None:
    seen: list[int] = []

    def lookup(device: int) -> bytes:
        seen.append(device)
        return USER_KEY

    report = decode_signed_list(USER_KEY_VECTOR, user_key_lookup=lookup)
    assert seen == [0x1234]
    assert (report.signature_flags, report.streamer_selector, report.encrypted) == (1, 0xFFFF, True)
    assert fields_of(report) == VECTOR_READINGS
    assert (report.lowest_id, report.highest_id) == (1, 3)


@pytest.mark.parametrize("lookup", [None, lambda device: None])
def test_user_key_report_without_a_stored_key_is_refused(lookup: object) -> None:
    with pytest.raises(ReportError) as info:
        decode_signed_list(USER_KEY_VECTOR, user_key_lookup=lookup)  # type: ignore[arg-type]
    assert info.value.key == "no_user_key"
    assert "user key for device 0x00001234 must be stored" in info.value.message
    assert isinstance(info.value, ValidationError) and info.value.status == 400


def test_user_key_report_with_the_wrong_key_is_refused() -> None:
    with pytest.raises(ReportError) as info:
        decode_signed_list(USER_KEY_VECTOR, user_key_lookup=lambda device: bytes(32))
    assert info.value.key == "bad_signature"


def test_tampered_ciphertext_is_refused_before_decryption() -> None:
    raw = bytearray(USER_KEY_VECTOR)
    raw[25] ^= 0x01
    with pytest.raises(ReportError) as info:
        decode_signed_list(bytes(raw), user_key_lookup=lambda device: USER_KEY)
    assert info.value.key == "bad_signature"


@pytest.mark.parametrize("position", [0x14, 0x24, 0x50, 0x55, 0x5B, 0x5C - 1])
def test_any_flipped_byte_breaks_the_hash(position: int) -> None:
    raw = bytearray(HASH_VECTOR)
    raw[position] ^= 0x80
    with pytest.raises(ReportError) as info:
        decode_signed_list(bytes(raw))
    assert info.value.key == "bad_signature"


@pytest.mark.parametrize(("flags", "needle"), [(2, "device key"), (3, "unknown"), (255, "unknown")])
def test_device_key_and_unknown_signatures_are_refused(flags: int, needle: str) -> None:
    raw = bytearray(HASH_VECTOR)
    raw[16] = flags
    with pytest.raises(ReportError) as info:
        decode_signed_list(resign(bytes(raw)))
    assert info.value.key == "unsupported_signature" and needle in info.value.message


@pytest.mark.parametrize("size", [0, 1, 19])
def test_too_short_for_a_header(size: int) -> None:
    with pytest.raises(ReportError) as info:
        decode_signed_list(HASH_VECTOR[:size])
    assert info.value.key == "short_header"


def test_other_formats_are_refused() -> None:
    individual = bytes(IndividualReadingReport.FromReadings(0x1234, [IOTileReading(0, 0x5001, 100)]).encode())
    for raw in (individual, b"\x03" + HASH_VECTOR[1:], b"\x7f" * 64):
        with pytest.raises(ReportError) as info:
            decode_signed_list(raw)
        assert info.value.key == "bad_format"


def test_truncated_and_overlong_uploads_are_refused() -> None:
    with pytest.raises(ReportError) as info:
        decode_signed_list(HASH_VECTOR[:-1])
    assert info.value.key == "length_mismatch" and "declares 92 bytes but 91 arrived" in info.value.message
    with pytest.raises(ReportError) as info:
        decode_signed_list(HASH_VECTOR + b"\x00")
    assert info.value.key == "trailing_bytes"


@pytest.mark.parametrize("length", [20, 43, 45, 59, 196608])
def test_lengths_that_are_not_whole_readings_are_refused(length: int) -> None:
    raw = bytearray(length)
    raw[0:4] = bytes([1, length & 0xFF]) + struct.pack("<H", length >> 8)
    with pytest.raises(ReportError) as info:
        decode_signed_list(resign(bytes(raw)))
    assert info.value.key == "bad_count"


def test_empty_report_is_valid() -> None:
    report = decode_signed_list(build([], report_id=7, sent=9))
    assert (report.length, report.count, report.lowest_id, report.highest_id) == (44, 0, 0, 0)
    assert report.readings.shape == (0,) and report.ids_consistent


def test_chopped_reports_follow_the_real_server_bounds() -> None:
    chopped = decode_signed_list(build([(0x5001, i + 1, i, i) for i in range(12285)]))
    assert chopped.length == 196604 and chopped.chopped and chopped.count == 12285
    assert not decode_signed_list(build([(0x5001, i + 1, i, i) for i in range(12284)])).chopped
    assert not decode_signed_list(build([(0x5001, i + 1, i, i) for i in range(12286)])).chopped


def test_inconsistent_footer_ids_are_kept_and_flagged() -> None:
    raw = bytearray(build([(0x5001, 5, 0, 1), (0x5001, 0, 1, 2), (0x5001, 9, 2, 3)]))
    assert decode_signed_list(bytes(raw)).ids_consistent
    struct.pack_into("<LL", raw, len(raw) - 24, 1, 100)
    report = decode_signed_list(resign(bytes(raw)))
    assert (report.lowest_id, report.highest_id, report.ids_consistent) == (1, 100, False)


def test_accepts_bytearray_and_memoryview() -> None:
    for raw in (bytearray(HASH_VECTOR), memoryview(HASH_VECTOR)):
        assert fields_of(decode_signed_list(raw)) == VECTOR_READINGS


def random_readings(rng: np.random.Generator, count: int) -> list[IOTileReading]:
    streams = rng.choice([0x5001, 0x5002, 0x5C00, 0x5800, 0x1001], size=count)
    raw_times = rng.integers(0, 2**32, size=count)
    raw_times[::7] = 0xFFFFFFFF
    ids = rng.integers(0, 2**32, size=count)
    ids[::5] = 0
    values = rng.integers(0, 2**32, size=count)
    return [IOTileReading(int(t), int(s), int(v), reading_id=int(i)) for s, t, v, i in
            zip(streams, raw_times, values, ids, strict=True)]


def assert_matches_iotile_core(ours: DecodedReport, theirs: SignedListReport, received: datetime) -> None:
    assert theirs.verified
    assert (ours.device_id, ours.report_id, ours.sent_timestamp) == (theirs.origin, theirs.report_id,
                                                                     theirs.sent_timestamp)
    assert (ours.streamer_index, ours.streamer_selector, ours.signature_flags) == (
        theirs.origin_streamer, theirs.streamer_selector, theirs.signature_flags)
    assert (ours.lowest_id, ours.highest_id, ours.encrypted) == (theirs.lowest_id, theirs.highest_id,
                                                                 theirs.encrypted)
    expected = [(r.stream, r.reading_id, r.raw_time, r.value) for r in theirs.visible_readings]
    assert fields_of(ours) == expected and ours.ids_consistent
    times = reading_times(received, ours.sent_timestamp, ours.raw_time)
    assert list(times) == [np.datetime64(r.reading_time, "us") for r in theirs.visible_readings]


@pytest.mark.parametrize("seed", range(5))
def test_round_trip_with_iotile_core_hash_signed(seed: int) -> None:
    rng = np.random.default_rng(seed)
    readings = random_readings(rng, int(rng.integers(0, 300)))
    raw = bytes(SignedListReport.FromReadings(
        int(rng.integers(0, 2**32)), readings, report_id=int(rng.integers(0, 2**32)),
        selector=int(rng.integers(0, 2**16)), streamer=int(rng.integers(0, 256)),
        sent_timestamp=int(rng.integers(0, 2**31)),
    ).encode())
    assert_matches_iotile_core(decode_signed_list(raw), SignedListReport(bytearray(raw), received_time=RECEIVED),
                               RECEIVED)


@pytest.mark.parametrize("seed", range(3))
def test_round_trip_with_iotile_core_user_key(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = np.random.default_rng(100 + seed)
    device, root = int(rng.integers(0, 2**32)), rng.bytes(32)
    monkeypatch.setenv(f"USER_KEY_{device:08X}", root.hex())
    raw = bytes(SignedListReport.FromReadings(
        device, random_readings(rng, 50), root_key=AuthProvider.UserKey, signer=EnvAuthProvider(),
        report_id=int(rng.integers(0, 2**32)), sent_timestamp=int(rng.integers(0, 2**31)), selector=0xD7FF,
    ).encode())
    ours = decode_signed_list(raw, user_key_lookup={device: root}.get)
    assert ours.signature_flags == 1
    assert_matches_iotile_core(ours, SignedListReport(bytearray(raw), received_time=RECEIVED), RECEIVED)


def test_aware_received_time_is_converted_to_utc() -> None:
    report = decode_signed_list(HASH_VECTOR)
    local = datetime(2024, 1, 1, 14, 0, 0, tzinfo=timezone(timedelta(hours=2)))
    assert list(reading_times(local, report.sent_timestamp, report.raw_time)) == list(
        reading_times(RECEIVED, report.sent_timestamp, report.raw_time))
