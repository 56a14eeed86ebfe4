"""Report decoding rate: ours against iotile-core's own parser, on the same bytes in the same run.

    .venv/bin/python bench/parser.py [--readings 10000] [--repeat 30]

(a) iotile-core: ``SignedListReport(bytearray(raw), received_time=...)`` and ``visible_readings``
    (one IOTileReading per reading, each with its datetime);
(b) ours: ``decode_signed_list`` + ``reading_times`` (all checks, SHA-256, numpy view, UTC column),
    which is the work iotile-core does; decoding alone is printed too.
The ratio (b)/(a) is the figure to watch (target >= 100). The v2 msgpack path is printed for
information, with an ISO timestamp on every item as real v2 uploads have: it cannot avoid a
Python loop over its dicts, so its ratio is expected to be modest.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iotile.core.hw.reports import FlexibleDictionaryReport, IOTileReading, SignedListReport  # noqa: E402

from appliance.ingest import decode_flexible, decode_signed_list, reading_times  # noqa: E402

RECEIVED = datetime(2024, 1, 1, 12, 0, 0)


def make_readings(count: int) -> list[IOTileReading]:
    """A streamer's worth of output readings with increasing ids, one every 10 s of uptime."""
    return [IOTileReading(i * 10, 0x5001 + i % 4, i * 7 % 4096, reading_id=i + 1) for i in range(count)]


def rate(fn: Callable[[], Any], repeat: int) -> float:
    """Reports per second, best of three rounds so a scheduler hiccup does not decide the ratio."""
    fn()
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(repeat):
            fn()
        best = min(best, time.perf_counter() - started)
    return repeat / best


def iotile_core_bin(raw: bytes) -> int:
    return len(SignedListReport(bytearray(raw), received_time=RECEIVED).visible_readings)


def ours_bin(raw: bytes) -> int:
    report = decode_signed_list(raw)
    return len(reading_times(RECEIVED, report.sent_timestamp, report.raw_time))


def iotile_core_mp(raw: bytes) -> int:
    return len(FlexibleDictionaryReport(raw, signed=False, encrypted=False, received_time=RECEIVED).visible_readings)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--readings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30, help="iotile-core decodes per round (ours run 100x more)")
    args = parser.parse_args()
    readings = make_readings(args.readings)
    raw = bytes(SignedListReport.FromReadings(0x1234, readings, report_id=args.readings + 1,
                                              sent_timestamp=args.readings * 10, selector=0xD7FF).encode())
    assert ours_bin(raw) == iotile_core_bin(raw) == args.readings
    theirs = rate(lambda: iotile_core_bin(raw), args.repeat)
    ours = rate(lambda: ours_bin(raw), args.repeat * 100)
    decode_only = rate(lambda: decode_signed_list(raw), args.repeat * 100)
    print(f".bin, {args.readings} readings, {len(raw)} bytes")  # noqa: T201
    print(f"  iotile-core SignedListReport : {theirs:10.1f} reports/s  {theirs * args.readings:14,.0f} readings/s")  # noqa: T201
    print(f"  ours decode + reading_times  : {ours:10.1f} reports/s  {ours * args.readings:14,.0f} readings/s")  # noqa: T201
    print(f"  ours decode only             : {decode_only:10.1f} reports/s")  # noqa: T201
    print(f"  ratio (ours / iotile-core)   : {ours / theirs:10.1f}x  (target >= 100x)")  # noqa: T201
    stamped = [IOTileReading(r.raw_time, r.stream, r.value, reading_id=r.reading_id, time_base=RECEIVED)
               for r in readings]  # v2 items carry ISO timestamps, as the gateway's and the app's do
    packed = bytes(FlexibleDictionaryReport.FromReadings(0x1234, stamped, [], report_id=1).encode())
    mp_theirs = rate(lambda: iotile_core_mp(packed), max(args.repeat // 10, 1))
    mp_ours = rate(lambda: decode_flexible(packed, "msgpack"), args.repeat)
    print(f".mp, {args.readings} readings, {len(packed)} bytes (information)")  # noqa: T201
    print(f"  iotile-core Flexible         : {mp_theirs:10.1f} reports/s")  # noqa: T201
    print(f"  ours decode_flexible         : {mp_ours:10.1f} reports/s  ratio {mp_ours / mp_theirs:.1f}x")  # noqa: T201


if __name__ == "__main__":
    main()
