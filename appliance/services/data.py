"""Stream data and stream events for callers: the reads behind ``data/``, ``event/`` and
``stream/<slug>/data/`` (and their CSV forms), and the direct posts (data_posts.py).

DuckDB reads block, so every store call and the conversion of its Arrow page into records run in
an executor; the metadata lookups go through the metadata store's own reader threads.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime

from appliance.errors import NotFound
from appliance.events import EventBus
from appliance.services import db
from appliance.services.data_io import gunzip, off_loop
from appliance.services.data_mask import mask_bounds
from appliance.services.data_posts import DataPosts
from appliance.services.data_records import EventRecord, Page, ReadingRecord, events_of, readings_of
from appliance.services.data_scope import Scope, refuse_api_keys, require, resolve
from appliance.services.data_values import Display, StreamReadingRecord
from appliance.services.permissions import Access, Perm
from appliance.slugs import StreamSlug
from storage.blobs import BlobStore
from storage.metadata import MetadataStore
from storage.metadata.repos import data as repo
from storage.streams import DataPage, StreamSelector, StreamStore

LOGGER = logging.getLogger(__name__)
CSV_CHUNK = 10_000


@dataclass(frozen=True, kw_only=True)
class ReadQuery:
    """Row filters and the page wanted; ``start`` inclusive, ``end`` exclusive, bounds inclusive."""

    start: datetime | None = None
    end: datetime | None = None
    seq_min: int | None = None
    seq_max: int | None = None
    id_min: int | None = None
    id_max: int | None = None
    lastn: int | None = None
    offset: int = 0
    limit: int | None = None
    mask: bool = False  # clip to the data mask of the device or block read (data_mask.py)

    def page(self, offset: int, limit: int) -> ReadQuery:
        return replace(self, offset=offset, limit=limit)


class Readings:
    """Reads and posts of readings (``data``) and events, with iotile.cloud's permission rules."""

    def __init__(self, metadata: MetadataStore, streams: StreamStore, blobs: BlobStore, events: EventBus,
                 *, payload_limit: int) -> None:
        self._metadata = metadata
        self._streams = streams
        self._blobs = blobs
        self._payload_limit = payload_limit
        self.posts = DataPosts(metadata, streams, blobs, events, payload_limit=payload_limit)

    async def scope(self, access: Access, filter_text: str) -> Scope:
        return await resolve(self._metadata, access, filter_text)

    def _query(self, events: bool, selector: StreamSelector, query: ReadQuery) -> DataPage:
        if query.mask:
            start, end = mask_bounds(self._streams, selector, query.start, query.end)
            query = replace(query, start=start, end=end)
        read = self._streams.query_events if events else self._streams.query_data
        return read(selector, start=query.start, end=query.end, seq_min=query.seq_min, seq_max=query.seq_max,
                    id_min=query.id_min, id_max=query.id_max, lastn=query.lastn, offset=query.offset,
                    limit=query.limit)

    def _readings(self, selector: StreamSelector, query: ReadQuery) -> Page[ReadingRecord]:
        page = self._query(False, selector, query)
        return Page(page.total, readings_of(page.rows))

    def _events(self, selector: StreamSelector, query: ReadQuery) -> Page[EventRecord]:
        page = self._query(True, selector, query)
        return Page(page.total, events_of(page.rows))

    async def data_page(self, access: Access, filter_text: str | None, query: ReadQuery) -> Page[ReadingRecord]:
        """``data/``: without a filter the page is empty, as on iotile.cloud."""
        refuse_api_keys(access)
        if not filter_text:
            return Page(0, ())
        scope = await self.scope(access, filter_text)
        return await off_loop(self._readings, scope.selector, query)

    async def event_page(self, access: Access, filter_text: str | None, query: ReadQuery) -> Page[EventRecord]:
        refuse_api_keys(access)
        if not filter_text:
            return Page(0, ())
        scope = await self.scope(access, filter_text)
        return await off_loop(self._events, scope.selector, query)

    async def readings(self, scope: Scope, query: ReadQuery) -> AsyncIterator[tuple[ReadingRecord, ...]]:
        """Every reading of a scope in chunks (CSV downloads of any size in bounded memory)."""
        offset = 0
        while True:
            page = await off_loop(self._readings, scope.selector, query.page(offset, CSV_CHUNK))
            if page.rows:
                yield page.rows
            offset += len(page.rows)
            if len(page.rows) < CSV_CHUNK or offset >= page.total:
                return

    async def output_units(self, keys: set[tuple[int, int, int]]) -> dict[tuple[int, int, int], repo.Mdo]:
        return await db.read(self._metadata, lambda s: repo.output_units(s, keys))

    async def event(self, access: Access, event_id: int) -> EventRecord:
        """One event; readable with ``can_read_stream_data`` in the org owning its stream."""
        page = await off_loop(self._events, StreamSelector(), ReadQuery(id_min=event_id, id_max=event_id, limit=1))
        if not page.rows:
            raise NotFound("event not found")
        record = page.rows[0]
        project, device, lid = record.key
        org_id = await db.read(self._metadata, lambda s: repo.stream_org(s, project, device, lid))
        require(access, org_id, Perm.READ_STREAM_DATA, "event")
        return record

    async def event_payload(self, access: Access, event_id: int) -> bytes:
        """The event's JSON payload (its blob, decompressed when it is .json.gz)."""
        record = await self.event(access, event_id)
        if not record.blob_key:
            raise NotFound("Event has no data", key="no_event_data")
        try:
            data = await off_loop(self._blobs.get, record.blob_key)
        except KeyError as err:
            raise NotFound("Event has no data", key="no_event_data") from err
        if record.ext == "json.gz":
            return await off_loop(gunzip, data, self._payload_limit)
        return data

    async def stream_display(self, access: Access, slug: StreamSlug) -> Display:
        """A StreamId's display settings; 404 without one (the server looks the StreamId up)."""
        settings = await db.read(self._metadata, lambda s: repo.stream_display(s, slug.project, slug.device, slug.lid))
        require(access, None if settings is None else settings.org_id, Perm.READ_STREAM_DATA, "stream")
        assert settings is not None
        return Display(settings)

    async def stream_page(self, access: Access, slug: StreamSlug,
                          query: ReadQuery) -> Page[StreamReadingRecord]:
        """``stream/<slug>/data/``: readings with the stream's output and display values."""
        display = await self.stream_display(access, slug)

        def read() -> Page[StreamReadingRecord]:
            page = self._readings(StreamSelector(slug.project, slug.device, slug.lid), query)
            return Page(page.total, tuple(StreamReadingRecord.of(display, r) for r in page.rows))

        return await off_loop(read)
