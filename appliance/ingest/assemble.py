"""Decoded reports plus their streamers' state become the rows to store, with no I/O.

Order of the real server's worker, per report: keep readings with id > last_id (``actual`` ids
count every new reading, stored or not); repair times over the new readings; drop 0x5C00 from
non-system streamers; compute values and drop disabled streams; add one 5a05 (or 5a06 when
chopped) marker when anything was stored.

The work is done for a whole group of reports at once (``assemble_group``): their readings are
concatenated and every step is one array expression over all of them, with each report's own
numbers (last_id, time base, device, stream configs) broadcast to its rows. Only the rare
reports that carry a reboot or a trip go through the per-report walk of ``reboots.repair``. A
small report costs numpy's fixed overhead per call, so this makes 64 small uploads cost about
what one did; a single report is simply a group of one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

import numpy as np
import numpy.typing as npt

from appliance.ingest.context import UploadTarget
from appliance.ingest.decoded import READING_DTYPE, DecodedEvent, DecodedReport, ReportFormat
from appliance.ingest.reboots import CLEAN, DIRTY, TRIP_END, TRIP_START, UTC, repair
from appliance.ingest.streamids import REBOOT_STREAM
from appliance.ingest.timebase import RTC_FLAG, STATUS_UNKNOWN, rtc_mask
from appliance.ingest.values import StreamConfig, compute_rows
from storage.streams import DataBatch, EventBatch
from storage.streams.columns import CHOPPED_REPORT, COMPLETE_REPORT

SYSTEM_SELECTOR = 0x5FFF
OS_VERSION, APP_VERSION = 0x5C08, 0x5C09
_MICROS = 1_000_000
_Y2K_US = int(np.datetime64("2000-01-01T00:00:00", "us").astype(np.int64))
_RTC_ORIGIN = _Y2K_US - RTC_FLAG * _MICROS
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_ONE_US = timedelta(microseconds=1)
"""An RTC stamp is Y2K + (raw - 2**31) s, so its time is raw s + this origin, like uptime's base."""


@dataclass(frozen=True)
class Version:
    kind: str  # "os" or "sg"
    tag: int
    major: int
    minor: int
    streamer_local_id: int
    timestamp: datetime


@dataclass(frozen=True)
class Pending:
    """One report waiting to be assembled: what it is, where it goes, and its streamer's state."""

    report: DecodedReport
    target: UploadTarget
    last_id: int
    received: datetime
    """Aware UTC: the upload's ``?timestamp=``."""
    report_uuid: str


@dataclass(frozen=True)
class Assembled:
    """One report's share of a group: its counts and what follows from it besides rows."""

    event_payloads: list[tuple[str, DecodedEvent]] = field(default_factory=list)
    actual_first_id: int = 0
    actual_last_id: int = 0
    stored_readings: int = 0
    """Data rows stored, its marker included (as the real server counts them)."""
    stored_events: int = 0
    versions: list[Version] = field(default_factory=list)
    last_reboot_ts: datetime | None = None


@dataclass(frozen=True)
class Group:
    reports: list[Assembled]
    """In the order the reports were given."""
    data: DataBatch | None
    events: EventBatch | None


PreviousBase = Callable[[Pending], datetime | None]
EventKey = Callable[[Pending, DecodedEvent], str]


def decode_version(value: int) -> tuple[int, int, int]:
    """tag (low 20 bits), major, minor of a 5c08/5c09 value (``<L{tag:20, minor:6, major:6}``)."""
    return value & 0xFFFFF, (value >> 26) & 0x3F, (value >> 20) & 0x3F


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _us(moment: datetime) -> int:
    """Microseconds since the epoch (naive means UTC), in integer arithmetic: exact, and ~10x
    cheaper than going through ``np.datetime64`` for the two scalars each report needs."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return (aware - _EPOCH) // _ONE_US


def _walks(report: DecodedReport) -> bool:
    """Whether the report's times come from the v2 engine's walk (binary reports and v2 reports
    without item timestamps), rather than from each item's own time."""
    return report.format is ReportFormat.SIGNED_LIST or report.timestamps is None


@dataclass
class _Rows:
    """The new readings of every report of the group, as parallel columns; ``rep`` says whose."""

    rep: npt.NDArray[np.intp]
    var: npt.NDArray[np.uint16]
    raw: npt.NDArray[np.uint32]
    value: npt.NDArray[np.uint32]
    seq: npt.NDArray[np.uint32]
    given: npt.NDArray[np.datetime64] | None
    """Item times of v2 reports (NaT where none, and for rows of walked reports)."""

    def span(self, index: int) -> slice:
        start, stop = np.searchsorted(self.rep, [index, index + 1])
        return slice(int(start), int(stop))


def _new_rows(pending: Sequence[Pending]) -> _Rows:
    reports = [p.report for p in pending]
    # Joining the bytes: np.concatenate promotes a structured dtype field by field, per array.
    readings = reports[0].readings if len(reports) == 1 else np.frombuffer(
        b"".join([r.readings.tobytes() for r in reports]), dtype=READING_DTYPE)
    counts = [len(r.readings) for r in reports]
    rep = np.repeat(np.arange(len(reports)), counts)
    last = np.asarray([p.last_id for p in pending], dtype=np.int64)
    new = readings["reading_id"].astype(np.int64) > last[rep]
    given = None
    if not all(_walks(r) for r in reports):
        given = np.concatenate([np.full(len(r.readings), np.datetime64("NaT", "us")) if r.timestamps is None
                                else r.timestamps.astype("datetime64[us]") for r in reports])[new]
    kept = readings[new]
    return _Rows(rep[new], kept["stream"], kept["raw_time"], kept["value"], kept["reading_id"], given)


def _times(rows: _Rows, pending: Sequence[Pending],
           previous_base: PreviousBase) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """Microseconds (naive UTC) and statuses of every new reading."""
    base = np.asarray([_us(p.received) - int(p.report.sent_timestamp) * _MICROS for p in pending], dtype=np.int64)
    rtc = rtc_mask(rows.raw)
    micros = rows.raw.astype(np.int64) * _MICROS + np.where(rtc, np.int64(_RTC_ORIGIN), base[rows.rep])
    status = np.where(rtc, np.uint8(UTC), np.uint8(CLEAN)).astype(np.uint8)
    if rows.given is not None:
        walked = np.asarray([_walks(p.report) for p in pending], dtype=np.bool_)[rows.rep]
        missing = np.isnat(rows.given)
        itemized = ~walked
        status[itemized & missing & ~rtc] = STATUS_UNKNOWN
        status[itemized & ~missing] = UTC
        micros = np.where(itemized & ~missing, rows.given.astype(np.int64), micros)
    special = (rows.var == REBOOT_STREAM) | (rows.var == TRIP_START) | (rows.var == TRIP_END)
    for index in np.unique(rows.rep[special]).tolist():
        if _walks(pending[index].report):
            span = rows.span(index)
            micros[span], status[span] = _walk(rows, span, pending[index], previous_base)
    return micros, status


def _walk(rows: _Rows, span: slice, pending: Pending,
          previous_base: PreviousBase) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.uint8]]:
    """The v2 engine's reboot/trip walk over one report, re-based on the streamer's previous
    report when its oldest block is still dirty."""
    args = (rows.var[span], rows.raw[span], rows.value[span])
    sent = pending.report.sent_timestamp
    timeline = repair(*args, received=pending.received, sent_timestamp=sent, previous_base=None)
    if len(timeline.status) and timeline.status[0] == DIRTY:
        anchor = previous_base(pending)
        if anchor is not None:
            timeline = repair(*args, received=pending.received, sent_timestamp=sent, previous_base=anchor)
    return timeline.timestamp.astype(np.int64), timeline.status


def assemble_group(pending: Sequence[Pending], *, previous_base: PreviousBase, event_key: EventKey) -> Group:
    """``previous_base`` is asked only for a report whose oldest block is dirty (it needs a reboot
    for that), so a group of ordinary reports never reads the ledger. At most one report per
    streamer: each report's state is its streamer's state before the group."""
    if not pending:
        return Group([], None, None)
    rows = _new_rows(pending)
    micros, status = _times(rows, pending, previous_base)
    systems = np.asarray([p.report.streamer_selector == SYSTEM_SELECTOR for p in pending], dtype=np.bool_)
    reboots = rows.var == REBOOT_STREAM
    keep = ~(reboots & ~systems[rows.rep])
    values = compute_rows(rows.value, *_stream_configs(rows, pending))
    keep &= values.keep
    kept_per_report = np.bincount(rows.rep[keep], minlength=len(pending))
    data = _data(rows, pending, keep, micros, status, values.value, values.type, kept_per_report)
    new_events = [[e for e in p.report.events if e.streamer_local_id > p.last_id] for p in pending]
    events, payloads = _events(pending, new_events, event_key)
    reports = _summaries(rows, pending, new_events, payloads, keep, micros, reboots, kept_per_report)
    return Group(reports, data, events)


def _stream_configs(rows: _Rows, pending: Sequence[Pending]) -> tuple[npt.NDArray[np.intp], list[StreamConfig | None]]:
    """One config per (report, variable) pair of the group, and each row's index into them."""
    key = rows.rep.astype(np.int64) << 16 | rows.var.astype(np.int64)
    distinct, which = np.unique(key, return_inverse=True)
    configs = [pending[k >> 16].target.streams.get(k & 0xFFFF) for k in distinct.tolist()]
    return which.reshape(-1), configs


def _data(rows: _Rows, pending: Sequence[Pending], keep: npt.NDArray[np.bool_], micros: npt.NDArray[np.int64],
          status: npt.NDArray[np.uint8], value: npt.NDArray[np.float64], kind: npt.NDArray[np.uint8],
          kept_per_report: npt.NDArray[np.intp]) -> DataBatch | None:
    marked = [index for index, count in enumerate(kept_per_report.tolist()) if count]
    if not marked:
        return None
    reports = [pending[i].report for i in marked]
    rep = np.concatenate([rows.rep[keep], np.asarray(marked, dtype=np.intp)])
    all_status = np.concatenate([status[keep], np.full(len(marked), CLEAN, dtype=np.uint8)])
    stamps = np.concatenate([micros[keep], [_us(pending[i].received) for i in marked]]).view("datetime64[us]")
    dirty = all_status == DIRTY
    projects = np.asarray([p.target.device.project_gid or 0 for p in pending], dtype=np.uint32)
    devices = np.asarray([p.target.device.device_id for p in pending], dtype=np.uint64)
    return DataBatch(
        project=projects[rep], device=devices[rep],
        variable=np.concatenate([rows.var[keep], [CHOPPED_REPORT if r.chopped else COMPLETE_REPORT for r in reports]]
                                ).astype(np.uint16),
        timestamp=stamps,
        device_timestamp=np.concatenate([rows.raw[keep], [r.sent_timestamp for r in reports]]).astype(np.int64),
        streamer_local_id=np.concatenate([rows.seq[keep], [r.report_id for r in reports]]).astype(np.int64),
        int_value=np.concatenate([rows.value[keep], [r.streamer_index for r in reports]]).astype(np.int64),
        value=np.concatenate([value[keep], [float(r.streamer_index) for r in reports]]).astype(np.float64),
        status=all_status,
        type=np.concatenate([kind[keep], np.zeros(len(marked), dtype=np.uint8)]),
        dirty_ts=np.ma.masked_array(stamps, mask=~dirty) if dirty.any() else None,
    )


def _summaries(rows: _Rows, pending: Sequence[Pending], new_events: list[list[DecodedEvent]],
               payloads: list[list[tuple[str, DecodedEvent]]], keep: npt.NDArray[np.bool_],
               micros: npt.NDArray[np.int64], reboots: npt.NDArray[np.bool_],
               kept_per_report: npt.NDArray[np.intp]) -> list[Assembled]:
    seq = rows.seq.astype(np.int64)
    present = np.flatnonzero(np.bincount(rows.rep, minlength=len(pending)))
    starts = np.searchsorted(rows.rep, present)
    lows = dict(zip(present.tolist(), np.minimum.reduceat(seq, starts).tolist(), strict=True)) if len(seq) else {}
    highs = dict(zip(present.tolist(), np.maximum.reduceat(seq, starts).tolist(), strict=True)) if len(seq) else {}
    reboot_ts = {index: _moment(int(micros[reboots & (rows.rep == index)].max()))
                 for index in np.unique(rows.rep[reboots]).tolist()}
    versions = _versions(rows, keep, micros, pending)
    result = []
    for index, (events, kept) in enumerate(zip(new_events, kept_per_report.tolist(), strict=True)):
        ids = [e.streamer_local_id for e in events]
        if index in lows:
            ids += [lows[index], highs[index]]
        if not ids:
            result.append(Assembled())
            continue
        result.append(Assembled(payloads[index], min(ids), max(ids), kept + 1 if kept else 0, len(events),
                                versions.get(index, []), reboot_ts.get(index)))
    return result


def _moment(micros: int) -> datetime:
    return datetime.fromisoformat(str(np.datetime64(micros, "us"))).replace(tzinfo=timezone.utc)


def _versions(rows: _Rows, keep: npt.NDArray[np.bool_], micros: npt.NDArray[np.int64],
              pending: Sequence[Pending]) -> dict[int, list[Version]]:
    found: dict[int, list[Version]] = {}
    for index in np.flatnonzero(keep & ((rows.var == OS_VERSION) | (rows.var == APP_VERSION))).tolist():
        tag, major, minor = decode_version(int(rows.value[index]))
        kind = "os" if rows.var[index] == OS_VERSION else "sg"
        if (kind, tag, major, minor) in (("sg", 0, 0, 0), ("os", 1024, 0, 0)):
            continue  # firmware from before version tags: nothing to record
        found.setdefault(int(rows.rep[index]), []).append(
            Version(kind, tag, major, minor, int(rows.seq[index]), _moment(int(micros[index]))))
    return found


def _events(pending: Sequence[Pending], new_events: list[list[DecodedEvent]],
            event_key: EventKey) -> tuple[EventBatch | None, list[list[tuple[str, DecodedEvent]]]]:
    payloads = [[(event_key(p, e), e) for e in events if e.data is not None]
                for p, events in zip(pending, new_events, strict=True)]
    owned = [(p, e) for p, events in zip(pending, new_events, strict=True) for e in events]
    if not owned:
        return None, payloads
    keys = {id(e): key for mine in payloads for key, e in mine}
    events = [e for _, e in owned]
    size = len(events)
    return EventBatch(
        project=np.asarray([p.target.device.project_gid or 0 for p, _ in owned], dtype=np.uint32),
        device=np.asarray([p.target.device.device_id for p, _ in owned], dtype=np.uint64),
        variable=np.asarray([e.stream for e in events], dtype=np.uint16),
        timestamp=np.ma.masked_array(
            np.asarray([np.datetime64(_naive(e.timestamp), "us") if e.timestamp else np.datetime64("NaT", "us")
                        for e in events]), mask=[e.timestamp is None for e in events]),
        device_timestamp=np.ma.masked_array(
            np.asarray([e.device_timestamp or 0 for e in events], dtype=np.int64),
            mask=[e.device_timestamp is None for e in events]),
        streamer_local_id=np.asarray([e.streamer_local_id for e in events], dtype=np.int64),
        ext=["json" if id(e) in keys else None for e in events],
        format_version=np.full(size, 2, dtype=np.int64),
        extra_data=[e.extra_data for e in events],
        blob_key=[keys.get(id(e)) for e in events],
    ), payloads
