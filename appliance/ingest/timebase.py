"""Turning device times into UTC, for whole reports at once.

A reading's raw_time is either uptime seconds since the device's last reboot, or, when bit 31 is
set, an RTC stamp: the low 31 bits count seconds since 2000-01-01T00:00:00Z. The single value
0xFFFFFFFF means "unknown" (iotile-core's ``InvalidRawTime``) and is not an RTC stamp, exactly as
iotile-core's ``IOTileReading`` and iotile.cloud's ``has_utc_synchronized_device_timestamp`` treat it.
Uptime is anchored like the real server does: base = received - sent_timestamp. The reboot repair
(``cln``/``drt``) needs the streamer's history and belongs to the pipeline, not here.

Times are naive-UTC ``datetime64[us]``, the stream store's representation.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import numpy as np
import numpy.typing as npt

from appliance.ingest.decoded import INVALID_RAW_TIME

RTC_FLAG = 0x80000000
RTC_SECONDS_MASK = 0x7FFFFFFF
Y2K = datetime(2000, 1, 1, tzinfo=timezone.utc)
_Y2K64 = np.datetime64("2000-01-01T00:00:00", "us")
_MICROS = 1_000_000

STATUS_UNKNOWN = 0
STATUS_UTC = 3
"""Codes of ``storage.streams.ReadingStatus`` (unk, utc); repeated here so that decoding does not
import the store. A test keeps the two in step."""

RawTimes = npt.NDArray[np.uint32]
Times = npt.NDArray[np.datetime64]


def is_rtc(raw_time: int) -> bool:
    """Whether ``raw_time`` is an RTC stamp rather than uptime (0xFFFFFFFF is neither)."""
    return bool(raw_time & RTC_FLAG) and raw_time != INVALID_RAW_TIME


def rtc_to_datetime(raw_time: int) -> datetime | None:
    """The aware UTC time of an RTC stamp, or None when ``raw_time`` is uptime or unknown."""
    if not is_rtc(raw_time):
        return None
    return Y2K + timedelta(seconds=raw_time & RTC_SECONDS_MASK)


def rtc_mask(raw_times: RawTimes) -> npt.NDArray[np.bool_]:
    """`is_rtc` for a whole column."""
    raw = np.asarray(raw_times, dtype=np.uint32)
    mask: npt.NDArray[np.bool_] = ((raw & np.uint32(RTC_FLAG)) != 0) & (raw != np.uint32(INVALID_RAW_TIME))
    return mask


def reading_times(received: datetime, sent_timestamp: int, raw_times: RawTimes) -> Times:
    """Absolute times of a report's readings: RTC stamps as they are, uptime from the report anchor.

    ``received`` is when the report reached us (the upload's ``?timestamp=``); naive means UTC,
    which is how iotile-ext-cloud sends it. ``sent_timestamp`` is the device uptime at sending.
    """
    raw = np.asarray(raw_times, dtype=np.uint32)
    base = _as_datetime64(received) - np.timedelta64(int(sent_timestamp), "s")
    # One int64 pass: an RTC stamp is Y2K + (raw - 2**31) s, uptime is base + raw s.
    rtc_origin = int(_Y2K64.astype(np.int64)) - RTC_FLAG * _MICROS
    origin = np.where(rtc_mask(raw), np.int64(rtc_origin), np.int64(base.astype(np.int64)))
    micros = raw.astype(np.int64) * _MICROS + origin
    times: Times = micros.view("datetime64[us]")
    return times


def reading_status(raw_times: RawTimes) -> npt.NDArray[np.uint8]:
    """``utc`` for RTC-stamped readings, ``unk`` for the rest until the reboot logic rates them."""
    return np.where(rtc_mask(raw_times), np.uint8(STATUS_UTC), np.uint8(STATUS_UNKNOWN)).astype(np.uint8)


def _as_datetime64(moment: datetime) -> np.datetime64:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return np.datetime64(moment, "us")
