"""Readings for the data explorer: a device's streams, a time range as arrays, pages for the table.

The plot reads through the appliance's columnar service (``appliance.reading_arrays``,
appliance/services/data_arrays.py) with the operator's Access, so it shows exactly the readings the
API would and is refused exactly when the API would refuse. A range is read as numpy arrays straight
from DuckDB: every reading when it holds at most two per pixel column, else the readings holding
each pixel column's minimum and maximum, so any range of any size costs about a screenful of points.
The table pages through the data service behind ``/api/v1/data/`` (``Readings``): it shows records.
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
from appliance.services.data_arrays import StreamArrays
from appliance.services.data_records import ReadingRecord
from appliance.services.streams import StreamQuery
from appliance.services.streams_records import StreamRecord
from gui.operations import Op
from gui.operations.access import access_for, list_scope
from gui.operations.paging import Chunk

FloatArray = npt.NDArray[np.float64]
Mdo = tuple[float, float, float]
BIG = 200_000  # arrays longer than this are scaled on a worker thread, not on the appliance's loop


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
    start: float | None  # the range read, seconds since the epoch (None: open)
    end: float | None
    t: FloatArray  # seconds since the epoch
    y: FloatArray  # in the stream's output unit
    readings: int  # readings with a number in the range (``t`` is shorter when bucketed)
    bucket: float | None = None  # seconds per bucket (each drawn as its min and max); None: every reading

    @property
    def complete(self) -> bool:
        return self.bucket is None


def readings_of(appliance: Appliance) -> Readings:
    return appliance.readings


def moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=timezone.utc)


def window_query(start: float | None, end: float | None, *, lastn: int | None = None, offset: int = 0,
                 limit: int | None = None) -> ReadQuery:
    return ReadQuery(start=moment(start), end=moment(end), lastn=lastn, offset=offset, limit=limit)


def output(values: FloatArray, mdo: Mdo | None) -> FloatArray:
    if mdo is None:
        return values
    m, d, o = mdo
    scaled: FloatArray = values * m / d + o
    return scaled


def _seconds(value: float | None) -> float | None:
    return None if value is None else value / 1e6


async def series_of(arrays: StreamArrays, stream: StreamChoice) -> Series:
    """Seconds and output values (scaled off the loop when the arrays are long)."""
    def convert() -> tuple[FloatArray, FloatArray]:
        return arrays.seconds, output(arrays.value, stream.mdo)

    t, y = await asyncio.to_thread(convert) if arrays.t_us.size > BIG else convert()
    bucket = None if arrays.bucket_us is None else arrays.bucket_us / 1e6
    return Series(stream.slug, _seconds(arrays.start_us), _seconds(arrays.end_us), t, y, arrays.readings, bucket)


def window_reader(account: AccountRecord, streams: Sequence[StreamChoice], start: float | None, end: float | None,
                  buckets: int, raw_limit: int | None = None) -> Op[list[Series]]:
    """Each stream over [start, end) at ``buckets`` buckets (every reading when few enough), with the
    nearest reading beyond each end so a sparse stream's line runs to the edges of the view."""
    async def read(appliance: Appliance) -> list[Series]:
        access = await access_for(appliance, account)
        service = appliance.reading_arrays

        async def one(stream: StreamChoice) -> Series:
            found = await service.view(access, stream.slug, moment(start), moment(end), buckets=buckets,
                                       raw_limit=raw_limit, neighbours=True)
            return await series_of(found, stream)

        return list(await asyncio.gather(*(one(s) for s in streams)))

    return read


def extent_reader(account: AccountRecord, streams: Sequence[StreamChoice]) -> Op[tuple[float, float] | None]:
    """The first and last reading time over these streams (the "All" range), or None without data."""
    async def read(appliance: Appliance) -> tuple[float, float] | None:
        access = await access_for(appliance, account)
        found = [await appliance.reading_arrays.extent(access, s.slug) for s in streams]
        spans = [(e.first.timestamp(), e.last.timestamp()) for e in found if e is not None]
        return (min(a for a, _ in spans), max(b for _, b in spans)) if spans else None

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
