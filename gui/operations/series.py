"""Readings for the data explorer: a device's streams, a time window as arrays, pages for the table.

Everything is read through the data service behind ``/api/v1/data/`` (``Readings``) with the
operator's Access, so the explorer shows exactly what the API would. The Appliance does not own a
``Readings`` yet (the API builds its own in ``api/views/data.py``); ``readings_of`` builds one over
the appliance's stores until it does.

A window is read whole when it holds at most ``cap`` readings; otherwise the newest ``cap`` are
read and ``Series.complete`` is False (the screen says so). The data service hands out one record
object per reading, which costs about 16 µs each, so the cap keeps a redraw under half a second;
a columnar or bucketed (min/max) read in the service would lift it (see docs/gui.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone

import numpy as np
import numpy.typing as npt

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.data import Readings, ReadQuery
from appliance.services.data_records import ReadingRecord
from appliance.services.permissions import Access
from appliance.services.streams import StreamQuery
from appliance.services.streams_records import StreamRecord
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.paging import Chunk

FloatArray = npt.NDArray[np.float64]
WINDOW_CAP = 20_000
Mdo = tuple[float, float, float]


@dataclass(frozen=True)
class StreamChoice:
    slug: str
    name: str
    units: str
    mdo: Mdo | None  # the stream's output unit: value * m / d + o

    @classmethod
    def of(cls, stream: StreamRecord) -> StreamChoice:
        unit = stream.output_unit
        lid = f"{stream.lid:04x}"
        name = stream.var_name if lid in stream.var_name.lower() else f"{stream.var_name or 'Stream'} ({lid})"
        mdo = (float(unit.m), float(unit.d), float(unit.o or 0.0)) if unit is not None and unit.d else None
        units = unit.unit_short if unit is not None else (stream.input_unit.unit_short if stream.input_unit else "")
        return cls(stream.slug, name, units, mdo)


@dataclass(frozen=True)
class Series:
    slug: str
    start: float | None  # the window asked for, seconds since the epoch (None: open)
    end: float | None
    t: FloatArray
    y: FloatArray
    read: int  # readings read (``t`` may be shorter: readings without a number are not drawn)
    total: int  # readings in the window

    @property
    def complete(self) -> bool:
        return self.read >= self.total


def readings_of(appliance: Appliance) -> Readings:
    owned: Readings | None = getattr(appliance, "readings", None)
    if owned is not None:
        return owned
    return Readings(appliance.metadata, appliance.streams, appliance.blobs, appliance.events,
                    payload_limit=int(appliance.settings["server.max_upload_bytes"]))


def moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


def window_query(start: float | None, end: float | None, *, lastn: int | None = None, offset: int = 0,
                 limit: int | None = None) -> ReadQuery:
    return ReadQuery(start=moment(start), end=moment(end), lastn=lastn, offset=offset, limit=limit)


def arrays_of(rows: Sequence[ReadingRecord], mdo: Mdo | None) -> tuple[FloatArray, FloatArray]:
    """Times (epoch seconds) and output values; readings without a finite number are dropped."""
    t = np.fromiter((r.timestamp.timestamp() for r in rows), dtype=np.float64, count=len(rows))
    y = np.fromiter((np.nan if r.value is None else r.value for r in rows), dtype=np.float64, count=len(rows))
    if mdo is not None:
        m, d, o = mdo
        y = y * m / d + o
    keep = np.isfinite(y)
    return t[keep], y[keep]


async def read_window(readings: Readings, access: Access, stream: StreamChoice, start: float | None,
                      end: float | None, cap: int = WINDOW_CAP) -> Series:
    total = (await readings.data_page(access, stream.slug, window_query(start, end, limit=0))).total
    if total == 0:
        empty = np.empty(0, dtype=np.float64)
        return Series(stream.slug, start, end, empty, empty.copy(), 0, 0)
    query = window_query(start, end) if total <= cap else window_query(start, end, lastn=cap)
    page = await readings.data_page(access, stream.slug, query)
    t, y = await asyncio.to_thread(arrays_of, page.rows, stream.mdo)
    return Series(stream.slug, start, end, t, y, len(page.rows), total)


def window_reader(account: AccountRecord, streams: Sequence[StreamChoice], start: float | None, end: float | None,
                  cap: int = WINDOW_CAP) -> Op[list[Series]]:
    async def read(appliance: Appliance) -> list[Series]:
        access = await access_for(appliance, account)
        readings = readings_of(appliance)
        return list(await asyncio.gather(*(read_window(readings, access, s, start, end, cap) for s in streams)))

    return read


def extent_reader(account: AccountRecord, streams: Sequence[StreamChoice]) -> Op[tuple[float, float] | None]:
    """The first and last reading time over these streams (the "All" range), or None without data."""
    async def read(appliance: Appliance) -> tuple[float, float] | None:
        access = await access_for(appliance, account)
        readings = readings_of(appliance)
        times: list[float] = []
        for stream in streams:
            for query in (ReadQuery(limit=1), ReadQuery(lastn=1)):
                page = await readings.data_page(access, stream.slug, query)
                times.extend(r.timestamp.timestamp() for r in page.rows)
        return (min(times), max(times)) if times else None

    return read


def readings_pager(account: AccountRecord, slug: str, start: float | None, end: float | None, offset: int,
                   limit: int) -> Op[Chunk[ReadingRecord]]:
    """One page of a stream's readings in a window, oldest first (the explorer's table)."""
    async def read(appliance: Appliance) -> Chunk[ReadingRecord]:
        access = await access_for(appliance, account)
        query = window_query(start, end, offset=offset, limit=limit)
        page = await readings_of(appliance).data_page(access, slug, query)
        return Chunk(page.rows, offset + len(page.rows), page.total)

    return read


def stream_lister(account: AccountRecord, device_slug: str) -> Op[list[StreamChoice]]:
    async def read(appliance: Appliance) -> list[StreamChoice]:
        access = await access_for(appliance, account)
        _, streams = await appliance.stream_ids.stream_page(access, list_scope(access),
                                                            StreamQuery(device=device_slug))
        return [StreamChoice.of(stream) for stream in streams]

    return read
