"""Export readings of a time window to a CSV file, in chunks, with progress and cancel.

The rows are the API's own CSV (``/api/v1/data/?filter=<stream>&format=csv``: one header, then every
reading of each stream in turn), written by the appliance's columnar reader
(appliance/services/data_arrays_csv.py) from keyset pages of 50,000 readings, never a record per
reading, so an export of millions of readings runs at DuckDB's pace. The file is written as
``<name>.part`` and renamed when complete; a cancelled or failed export removes it, so a
half-written file never looks like a finished one. Cancelling is checked between chunks.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.data_arrays import ReadingArrays
from appliance.services.data_arrays_csv import CsvChunk, stream_csv_chunks
from appliance.services.permissions import Access
from gui.operations import Op
from gui.operations.access import access_for
from gui.operations.series import moment

LOGGER = logging.getLogger(__name__)
Progress = Callable[[int, int], None]  # (rows written, rows in all); called on the appliance's thread


@dataclass(frozen=True)
class ExportRequest:
    path: Path
    streams: tuple[str, ...]  # stream slugs
    start: float | None  # seconds since the epoch; None: open
    end: float | None


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rows: int
    cancelled: bool


@dataclass
class _Writer:
    progress: Progress
    cancel: threading.Event
    total: int
    rows: int = 0

    async def write_all(self, arrays: ReadingArrays, access: Access, request: ExportRequest, part: Path) -> None:
        handle = await asyncio.to_thread(part.open, "wb")
        try:
            for index, slug in enumerate(request.streams):
                chunks = stream_csv_chunks(arrays, access, slug, moment(request.start), moment(request.end),
                                           with_header=index == 0)
                await self.write_stream(handle, chunks)
                if self.cancel.is_set():
                    return
        finally:
            await asyncio.to_thread(handle.close)

    async def write_stream(self, handle: BinaryIO, chunks: AsyncIterator[CsvChunk]) -> None:
        try:
            async for chunk in chunks:
                await asyncio.to_thread(handle.write, chunk.data)
                if chunk.rows:
                    self.rows += chunk.rows
                    self.progress(self.rows, self.total)
                if self.cancel.is_set():
                    return
        finally:
            await _close(chunks)


async def _close(chunks: AsyncIterator[CsvChunk]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


async def _count(arrays: ReadingArrays, access: Access, request: ExportRequest) -> int:
    start, end = moment(request.start), moment(request.end)
    return sum([await arrays.count(access, slug, start, end) for slug in request.streams])


def exporter(account: AccountRecord, request: ExportRequest, progress: Progress,
             cancel: threading.Event) -> Op[ExportResult]:
    async def export(appliance: Appliance) -> ExportResult:
        access = await access_for(appliance, account)
        arrays = appliance.reading_arrays
        writer = _Writer(progress, cancel, await _count(arrays, access, request))
        part = request.path.with_name(request.path.name + ".part")
        try:
            await writer.write_all(arrays, access, request, part)
        except BaseException:
            await asyncio.to_thread(part.unlink, True)
            raise
        if cancel.is_set():
            await asyncio.to_thread(part.unlink, True)
            LOGGER.info("CSV export to %s cancelled after %d rows; the partial file was removed", part, writer.rows)
            return ExportResult(request.path, writer.rows, True)
        await asyncio.to_thread(part.replace, request.path)
        LOGGER.info("exported %d readings to %s", writer.rows, request.path)
        return ExportResult(request.path, writer.rows, False)

    return export
