"""A decoded report plus the streamer's state becomes the rows to store, with no I/O.

Order of the real server's worker: keep readings with id > last_id (``actual`` ids count every
new reading, stored or not); repair times over the new readings; drop 0x5C00 from non-system
streamers; compute values and drop disabled streams; add one 5a05 (or 5a06 when chopped) marker
when anything was stored.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np
import numpy.typing as npt

from appliance.ingest.context import UploadTarget
from appliance.ingest.decoded import DecodedEvent, DecodedReport, ReportFormat
from appliance.ingest.reboots import CLEAN, DIRTY, repair
from appliance.ingest.streamids import REBOOT_STREAM
from appliance.ingest.timebase import reading_status, reading_times
from appliance.ingest.values import compute
from storage.streams import DataBatch, EventBatch, Prepared, prepare
from storage.streams.columns import CHOPPED_REPORT, COMPLETE_REPORT

SYSTEM_SELECTOR = 0x5FFF
OS_VERSION, APP_VERSION = 0x5C08, 0x5C09
PREPARE_IN_WRITER = 1_000
"""Data batches up to this many rows are prepared by the store's writer, merged with the others
of its group commit; bigger ones are prepared here, in parallel with other uploads."""


@dataclass(frozen=True)
class Version:
    kind: str  # "os" or "sg"
    tag: int
    major: int
    minor: int
    streamer_local_id: int
    timestamp: datetime


@dataclass(frozen=True)
class Assembled:
    data: DataBatch | None
    events: EventBatch | None
    event_payloads: list[tuple[str, DecodedEvent]] = field(default_factory=list)
    actual_first_id: int = 0
    actual_last_id: int = 0
    stored_readings: int = 0
    stored_events: int = 0
    versions: list[Version] = field(default_factory=list)
    last_reboot_ts: datetime | None = None
    prepared: tuple[Prepared | None, Prepared | None] = (None, None)
    """The rows checked and sorted for the store, done here off the store's single writer. Small
    data batches are left unprepared (``data`` only): the writer merges a group's small batches and
    prepares them once, since preparing costs ~0.2 ms of fixed overhead whatever the size."""


def decode_version(value: int) -> tuple[int, int, int]:
    """tag (low 20 bits), major, minor of a 5c08/5c09 value (``<L{tag:20, minor:6, major:6}``)."""
    return value & 0xFFFFF, (value >> 26) & 0x3F, (value >> 20) & 0x3F


def _naive(moment: datetime) -> datetime:
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _times(report: DecodedReport, new: npt.NDArray[np.bool_], received: datetime,
           previous_base: Callable[[], datetime | None]) -> tuple[npt.NDArray[np.datetime64], npt.NDArray[np.uint8]]:
    var, raw = report.stream[new], report.raw_time[new]
    if report.format is not ReportFormat.SIGNED_LIST and report.timestamps is not None:
        given = report.timestamps[new]
        fallback = reading_times(received, report.sent_timestamp, raw)
        missing = np.isnat(given)
        status = np.where(missing, reading_status(raw), np.uint8(3)).astype(np.uint8)
        return np.where(missing, fallback, given).astype("datetime64[us]"), status
    timeline = repair(var, raw, report.value[new], received=received, sent_timestamp=report.sent_timestamp,
                      previous_base=None)
    if len(timeline.status) and timeline.status[0] == DIRTY:
        anchor = previous_base()
        if anchor is not None:
            timeline = repair(var, raw, report.value[new], received=received,
                              sent_timestamp=report.sent_timestamp, previous_base=anchor)
    return timeline.timestamp, timeline.status


def assemble(report: DecodedReport, target: UploadTarget, *, last_id: int, received: datetime,
             previous_base: Callable[[], datetime | None], event_key: Callable[[DecodedEvent], str]) -> Assembled:
    """``received`` is aware UTC; ``previous_base`` is asked only when a dirty block needs it."""
    received = received.astimezone(timezone.utc)
    new = report.reading_id.astype(np.int64) > last_id
    events = [e for e in report.events if e.streamer_local_id > last_id]
    ids = np.concatenate([report.reading_id[new].astype(np.int64),
                          np.asarray([e.streamer_local_id for e in events], dtype=np.int64)])
    if not len(ids):
        return Assembled(None, None)
    stamps, status = _times(report, new, received, previous_base)
    data, versions, reboot_ts = _data(report, new, stamps, status, target, received)
    event_batch, payloads = _events(events, target, report, event_key)
    return Assembled(data, event_batch, payloads, int(ids.min()), int(ids.max()),
                     len(data) if data is not None else 0, len(events), versions, reboot_ts,
                     prepare(data if data is not None and len(data) > PREPARE_IN_WRITER else None, event_batch))


def _data(report: DecodedReport, new: npt.NDArray[np.bool_], stamps: npt.NDArray[np.datetime64],
          status: npt.NDArray[np.uint8], target: UploadTarget,
          received: datetime) -> tuple[DataBatch | None, list[Version], datetime | None]:
    var, raw_time, raw_value = report.stream[new], report.raw_time[new], report.value[new]
    seq = report.reading_id[new]
    keep = np.ones(len(var), dtype=np.bool_)
    reboots = var == REBOOT_STREAM
    reboot_ts = _last_time(stamps[reboots])
    if report.streamer_selector != SYSTEM_SELECTOR:
        keep &= ~reboots
    values = compute(var, raw_value, target.streams)
    keep &= values.keep
    versions = _versions(var[keep], raw_value[keep], seq[keep], stamps[keep])
    if not keep.any():
        return None, versions, reboot_ts
    columns = {
        "variable": var[keep], "timestamp": stamps[keep], "device_timestamp": raw_time[keep].astype(np.int64),
        "streamer_local_id": seq[keep].astype(np.int64), "int_value": raw_value[keep].astype(np.int64),
        "value": values.value[keep], "status": status[keep], "type": values.type[keep],
    }
    columns = _with_marker(columns, report, received)
    dirty = columns["status"] == DIRTY
    dirty_ts = np.ma.masked_array(columns["timestamp"], mask=~dirty)
    size, device = len(dirty), target.device
    batch = DataBatch(project=np.full(size, device.project_gid or 0, dtype=np.uint32),
                      device=np.full(size, device.device_id, dtype=np.uint64), dirty_ts=dirty_ts, **columns)
    return batch, versions, reboot_ts


def _with_marker(columns: dict[str, npt.NDArray[np.generic]], report: DecodedReport,
                 received: datetime) -> dict[str, npt.NDArray[np.generic]]:
    marker = {
        "variable": CHOPPED_REPORT if report.chopped else COMPLETE_REPORT,
        "timestamp": np.datetime64(_naive(received), "us"), "device_timestamp": report.sent_timestamp,
        "streamer_local_id": report.report_id, "int_value": report.streamer_index,
        "value": float(report.streamer_index), "status": CLEAN, "type": 0,
    }
    return {name: np.append(values, np.asarray([marker[name]]).astype(values.dtype))
            for name, values in columns.items()}


def _last_time(stamps: npt.NDArray[np.datetime64]) -> datetime | None:
    if not len(stamps):
        return None
    return datetime.fromisoformat(str(stamps.max().astype("datetime64[us]"))).replace(tzinfo=timezone.utc)


def _versions(var: npt.NDArray[np.uint16], value: npt.NDArray[np.uint32], seq: npt.NDArray[np.uint32],
              stamps: npt.NDArray[np.datetime64]) -> list[Version]:
    found: list[Version] = []
    for index in np.flatnonzero((var == OS_VERSION) | (var == APP_VERSION)).tolist():
        tag, major, minor = decode_version(int(value[index]))
        kind = "os" if var[index] == OS_VERSION else "sg"
        if (kind, tag, major, minor) in (("sg", 0, 0, 0), ("os", 1024, 0, 0)):
            continue  # firmware from before version tags: nothing to record
        when = _last_time(stamps[index:index + 1]) or datetime.now(timezone.utc)
        found.append(Version(kind, tag, major, minor, int(seq[index]), when))
    return found


def _events(events: list[DecodedEvent], target: UploadTarget, report: DecodedReport,
            event_key: Callable[[DecodedEvent], str]) -> tuple[EventBatch | None, list[tuple[str, DecodedEvent]]]:
    if not events:
        return None, []
    payloads = [(event_key(e), e) for e in events if e.data is not None]
    keys = {id(e): key for key, e in payloads}
    size = len(events)
    device = target.device
    return EventBatch(
        project=np.full(size, device.project_gid or 0, dtype=np.uint32),
        device=np.full(size, device.device_id, dtype=np.uint64),
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
