"""Readings of one stream as numpy arrays: the data explorer's plot and export path.

``Readings`` (data.py) hands out one record per reading, which is right for the API's JSON pages
and far too slow for a plot of a million readings (about 16 µs each). Here the same readings, with
the same permission rule (``can_read_stream_data`` in the org owning the stream, through
data_scope.resolve), come back as two arrays read straight from DuckDB: int64 microseconds since
the epoch (UTC) and float64 values. ``minmax`` reduces a range to the readings holding each time
bucket's minimum and maximum, so drawing any range costs what a screenful of points costs;
``view`` reads every reading when the range holds few enough, else the buckets.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from appliance.errors import ValidationError
from appliance.services import db
from appliance.services.data_io import off_loop
from appliance.services.data_scope import resolve
from appliance.services.permissions import Access
from storage.metadata import MetadataStore
from storage.metadata.repos import data as repo
from storage.streams import StreamSelector, StreamStore
from storage.streams import arrays as store_arrays
from storage.streams.arrays import TimeValues

LOGGER = logging.getLogger(__name__)
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
ONE_US = timedelta(microseconds=1)
EXPORT_PAGE = 50_000
Int64s = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]


def micros(moment: datetime | None) -> int | None:
    """Exact microseconds since the epoch; a naive datetime is UTC, as the API reads it."""
    if moment is None:
        return None
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
    return (aware - EPOCH) // ONE_US


@dataclass(frozen=True)
class StreamArrays:
    """What was read of one stream in [start_us, end_us) (None: open)."""

    slug: str
    start_us: int | None
    end_us: int | None
    t_us: Int64s
    value: Floats
    readings: int  # readings with a number in the range (``t_us`` holds fewer when bucketed, and
    # one more on each side when read with ``neighbours``)
    bucket_us: int | None = None  # None: every reading; else each bucket's minimum and maximum

    @property
    def complete(self) -> bool:
        return self.bucket_us is None

    @property
    def seconds(self) -> Floats:
        """Times as float seconds since the epoch (what plots take)."""
        return self.t_us.astype(np.float64) / 1e6


@dataclass(frozen=True)
class StreamExtent:
    first: datetime
    last: datetime
    readings: int  # readings with a number


@dataclass(frozen=True)
class StreamTarget:
    """A stream the caller may read: the store's selector and its key for unit lookups."""

    slug: str
    selector: StreamSelector

    @property
    def key(self) -> repo.StreamKey:
        selector = self.selector
        assert selector.project is not None and selector.device is not None and selector.variable is not None
        return (selector.project, selector.device, selector.variable)


class ReadingArrays:
    """Columnar reads of one stream (``s--`` slug) for plots and exports."""

    def __init__(self, metadata: MetadataStore, streams: StreamStore) -> None:
        self._metadata = metadata
        self._streams = streams

    async def target(self, access: Access, slug: str) -> StreamTarget:
        """404 for a stream the caller cannot see, 403 without ``can_read_stream_data``."""
        scope = await resolve(self._metadata, access, slug)
        if scope.kind != "stream":
            raise ValidationError(f"{slug!r}: arrays are read one stream (s--) at a time", key="bad_filter")
        return StreamTarget(slug, scope.selector)

    async def extent(self, access: Access, slug: str) -> StreamExtent | None:
        """First and last reading with a number (the explorer's "All"), or None."""
        target = await self.target(access, slug)
        found = await off_loop(self._streams.read, lambda cur: store_arrays.extent(cur, target.selector))
        if found is None:
            return None
        return StreamExtent(EPOCH + found.first_us * ONE_US, EPOCH + found.last_us * ONE_US, found.count)

    async def values(self, access: Access, slug: str, start: datetime | None, end: datetime | None) -> StreamArrays:
        """Every reading with a number in [start, end), in the API's order."""
        target = await self.target(access, slug)
        return await self._raw(target, micros(start), micros(end))

    async def minmax(self, access: Access, slug: str, start: datetime | None, end: datetime | None,
                     buckets: int) -> StreamArrays:
        """[start, end) cut into ``buckets`` equal buckets, each drawn as its minimum and maximum."""
        target = await self.target(access, slug)
        return await self._buckets(target, micros(start), micros(end), buckets, None)

    async def view(self, access: Access, slug: str, start: datetime | None, end: datetime | None, *,
                   buckets: int, raw_limit: int | None = None, neighbours: bool = False) -> StreamArrays:
        """What a plot ``buckets`` pixels wide needs: every reading when the range holds at most
        ``raw_limit`` (default two per bucket, what the buckets would draw anyway), else min/max.
        ``neighbours`` adds the nearest reading outside each end, so the line reaches the edges."""
        target = await self.target(access, slug)
        start_us, end_us = micros(start), micros(end)
        count = await off_loop(self._streams.read,
                               lambda cur: store_arrays.count_values(cur, target.selector, start_us, end_us))
        if count <= (2 * buckets if raw_limit is None else raw_limit):
            found = await self._raw(target, start_us, end_us)
        else:
            found = await self._buckets(target, start_us, end_us, buckets, count)
        if neighbours and start_us is not None and end_us is not None:
            found = await self._with_neighbours(target, found, start_us, end_us)
        return found

    async def _with_neighbours(self, target: StreamTarget, found: StreamArrays, start_us: int,
                               end_us: int) -> StreamArrays:
        outside = await off_loop(self._streams.read,
                                 lambda cur: store_arrays.neighbours(cur, target.selector, start_us, end_us))
        before, after = outside.t_us < start_us, outside.t_us >= end_us
        t_us = np.concatenate((outside.t_us[before], found.t_us, outside.t_us[after]))
        value = np.concatenate((outside.value[before], found.value, outside.value[after]))
        return dataclasses.replace(found, t_us=t_us, value=value)

    async def count(self, access: Access, slug: str, start: datetime | None, end: datetime | None) -> int:
        """Every reading in [start, end), with or without a number (the rows of an export)."""
        target = await self.target(access, slug)
        start_us, end_us = micros(start), micros(end)
        return await off_loop(self._streams.read,
                              lambda cur: store_arrays.count_rows(cur, target.selector, start_us, end_us))

    async def export_pages(self, target: StreamTarget, start: datetime | None, end: datetime | None,
                           page: int = EXPORT_PAGE) -> AsyncIterator[pa.Table]:
        """Every reading of [start, end) in the API's order, ``page`` rows at a time (keyset paging:
        no OFFSET, so the last page costs what the first does)."""
        start_us, end_us = micros(start), micros(end)
        after: store_arrays.ExportKey | None = None
        while True:
            read = functools.partial(store_arrays.export_page, selector=target.selector, start_us=start_us,
                                     end_us=end_us, after=after, limit=page)
            rows = await off_loop(self._streams.read, read)
            if rows.num_rows:
                yield rows
            if rows.num_rows < page:
                return
            after = store_arrays.last_key(rows)

    async def output_unit(self, target: StreamTarget) -> repo.Mdo | None:
        """The stream's output unit (its own, else its variable's), as the API's CSV applies it."""
        key = target.key
        units = await db.read(self._metadata, lambda s: repo.output_units(s, {key}))
        return units.get(key)

    async def _raw(self, target: StreamTarget, start_us: int | None, end_us: int | None) -> StreamArrays:
        found = await off_loop(self._streams.read,
                               lambda cur: store_arrays.raw_values(cur, target.selector, start_us, end_us))
        return StreamArrays(target.slug, start_us, end_us, found.t_us, found.value, int(found.t_us.size))

    async def _buckets(self, target: StreamTarget, start_us: int | None, end_us: int | None, buckets: int,
                       count: int | None) -> StreamArrays:
        if buckets < 1:
            raise ValidationError("buckets must be at least 1", key="bad_buckets")
        low, high = await self._bounds(target, start_us, end_us)
        if low is None or high is None or high <= low:
            return StreamArrays(target.slug, start_us, end_us, *_empty(), 0, None)
        width = max(1, math.ceil((high - low) / buckets))
        found = await off_loop(self._streams.read, lambda cur: _minmax_and_count(
            cur, target.selector, low, high, width, count))
        values, readings = found
        return StreamArrays(target.slug, low, high, values.t_us, values.value, readings, width)

    async def _bounds(self, target: StreamTarget, start_us: int | None,
                      end_us: int | None) -> tuple[int | None, int | None]:
        """An open end of a bucketed range closes on the stream's first or last reading."""
        if start_us is not None and end_us is not None:
            return start_us, end_us
        found = await off_loop(self._streams.read, lambda cur: store_arrays.extent(cur, target.selector))
        if found is None:
            return start_us, end_us
        return (found.first_us if start_us is None else start_us), (found.last_us + 1 if end_us is None else end_us)


def _minmax_and_count(cur: store_arrays.Cursor, selector: StreamSelector, low: int, high: int, width: int,
                      count: int | None) -> tuple[TimeValues, int]:
    values = store_arrays.minmax_values(cur, selector, low, high, width)
    return values, count if count is not None else store_arrays.count_values(cur, selector, low, high)


def _empty() -> tuple[Int64s, Floats]:
    return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float64)
