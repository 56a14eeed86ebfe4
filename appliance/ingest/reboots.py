"""iotile.cloud's v2 report engine time repair, over whole numpy columns.

A device's uptime clock restarts at every reboot (logged as a 0x5C00 reading), so "received -
sent_timestamp + raw_time" is only right for readings after the newest reboot. The real server
(ProcessReportV2Action) walks a report from newest to oldest:

* readings after the newest reboot use the report's anchor and are ``cln`` (the newest reboot
  reading itself belongs to that block);
* each older block is assumed to end one second before the next block's base and is ``drt``;
* RTC-stamped readings keep their own time (``utc``) and do not take part in the walk;
* trip start/end (0x0E00/0x0E01) carry a Unix epoch as their value and are ``utc``; trip records
  after a start are re-based on it;
* finally, when the oldest block is still dirty and the streamer has an earlier report that stored
  data, that block is re-based on that report's anchor (its received time - its sent_timestamp)
  and becomes ``cln``.

The walk is per block, not per reading: reboots are few, so each block is one numpy expression.
Difference from the real server, on purpose: the final re-basing leaves RTC-stamped readings of
the oldest block alone instead of overwriting their UTC time with an uptime-based one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import numpy.typing as npt

from appliance.ingest.streamids import REBOOT_STREAM
from appliance.ingest.timebase import reading_times, rtc_mask

TRIP_START, TRIP_END = 0x0E00, 0x0E01
CLEAN, DIRTY, UTC = 1, 2, 3
_MICROS = 1_000_000


@dataclass(frozen=True)
class Timeline:
    timestamp: npt.NDArray[np.datetime64]
    status: npt.NDArray[np.uint8]
    dirty: npt.NDArray[np.bool_]


def _us(moment: datetime) -> int:
    if moment.tzinfo is not None:
        moment = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return int(np.datetime64(moment, "us").astype(np.int64))


def repair(variable: npt.ArrayLike, raw_time: npt.ArrayLike, value: npt.ArrayLike, *, received: datetime,
           sent_timestamp: int, previous_base: datetime | None) -> Timeline:
    """Times and statuses for a report's new readings, given in report (sequence id) order.

    ``previous_base`` is the anchor of the streamer's latest earlier report that stored data
    (its received time minus its sent_timestamp), or None when there is none.
    """
    var = np.asarray(variable, dtype=np.uint16)
    raw = np.asarray(raw_time, dtype=np.uint32)
    micros = reading_times(received, sent_timestamp, raw).astype(np.int64)
    status = np.full(len(raw), CLEAN, dtype=np.uint8)
    rtc = rtc_mask(raw)
    trip = (var == TRIP_START) | (var == TRIP_END)  # two compares: np.isin costs ~20x more on a small report
    walk = np.flatnonzero(~rtc & ~trip)
    _walk_blocks(walk, var, raw, micros, status, _us(received) - int(sent_timestamp) * _MICROS)
    status[rtc] = UTC
    if previous_base is not None and len(raw) and status[0] == DIRTY:
        _rebase_oldest(var, raw, micros, status, rtc, _us(previous_base))
    if trip.any():
        _trip_times(var, raw, np.asarray(value, dtype=np.int64), micros, status, rtc)
    return Timeline(micros.view("datetime64[us]"), status, status == DIRTY)


def _walk_blocks(walk: npt.NDArray[np.intp], var: npt.NDArray[np.uint16], raw: npt.NDArray[np.uint32],
                 micros: npt.NDArray[np.int64], status: npt.NDArray[np.uint8], base: int) -> None:
    """Newest block first; each reboot closes the block it belongs to (the newer one)."""
    reboots = walk[var[walk] == REBOOT_STREAM]
    edges = [len(walk)]
    positions = np.searchsorted(walk, reboots)
    block_status = CLEAN
    for position in positions[::-1]:
        block = walk[position:edges[-1]]
        micros[block] = base + raw[block].astype(np.int64) * _MICROS
        status[block] = block_status
        edges.append(int(position))
        end_of_block = base - _MICROS
        older = walk[:position]
        if len(older):
            base = end_of_block - int(raw[older[-1]]) * _MICROS
        block_status = DIRTY
    oldest = walk[:edges[-1]]
    micros[oldest] = base + raw[oldest].astype(np.int64) * _MICROS
    status[oldest] = block_status


def _rebase_oldest(var: npt.NDArray[np.uint16], raw: npt.NDArray[np.uint32], micros: npt.NDArray[np.int64],
                   status: npt.NDArray[np.uint8], rtc: npt.NDArray[np.bool_], base: int) -> None:
    first_reboot = np.flatnonzero(var == REBOOT_STREAM)
    stop = int(first_reboot[0]) if len(first_reboot) else len(var)
    block = np.flatnonzero(~rtc[:stop])
    micros[block] = base + raw[block].astype(np.int64) * _MICROS
    status[block] = CLEAN


def _trip_times(var: npt.NDArray[np.uint16], raw: npt.NDArray[np.uint32], value: npt.NDArray[np.int64],
                micros: npt.NDArray[np.int64], status: npt.NDArray[np.uint8], rtc: npt.NDArray[np.bool_]) -> None:
    """Trip start/end carry the phone's epoch; records after a start follow it (in order)."""
    base: int | None = None
    carried, previous = 0, None
    for i in range(len(var)):
        if var[i] in (TRIP_START, TRIP_END):
            micros[i], status[i] = int(value[i]) * _MICROS, UTC
            if var[i] == TRIP_START:
                base = micros[i] - int(raw[i]) * _MICROS
        elif base is not None and not rtc[i]:
            if previous is not None and raw[i] < previous:
                carried += int(previous)
            micros[i] = base + (int(raw[i]) + carried) * _MICROS
        previous = int(raw[i])
