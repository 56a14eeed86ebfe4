"""Export readings of a time window to a CSV file, in chunks, with progress and cancel.

The rows are the data service's own CSV (``scope_csv``: the format of ``/api/v1/data/?format=csv``,
one header, then every reading of each stream in turn), so an export from the window and one from
the API are the same file. The file is written as ``<name>.part`` and renamed when complete; a
cancelled or failed export removes it, so a half-written file never looks like a finished one.
Cancelling is checked between chunks (10,000 readings each).
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
from appliance.services.data import Readings
from appliance.services.data_csv import scope_csv
from appliance.services.permissions import Access
from gui.operations import Op
from gui.operations.access import access_for
from gui.operations.series import readings_of, window_query

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

    async def write_all(self, readings: Readings, access: Access, request: ExportRequest, part: Path) -> None:
        handle = await asyncio.to_thread(part.open, "wb")
        try:
            for index, slug in enumerate(request.streams):
                await self.write_stream(handle, readings, access, slug, request, header=index == 0)
                if self.cancel.is_set():
                    return
        finally:
            await asyncio.to_thread(handle.close)

    async def write_stream(self, handle: BinaryIO, readings: Readings, access: Access, slug: str,
                           request: ExportRequest, header: bool) -> None:
        export = await scope_csv(readings, access, slug, window_query(request.start, request.end))
        chunks = export.chunks
        try:
            first = True  # the service's first chunk is the header line alone
            async for chunk in chunks:
                if first:
                    first = False
                    if header:
                        await asyncio.to_thread(handle.write, chunk)
                    continue
                await asyncio.to_thread(handle.write, chunk)
                self.rows += chunk.count(b"\r\n")
                self.progress(self.rows, self.total)
                if self.cancel.is_set():
                    return
        finally:
            await _close(chunks)


async def _close(chunks: AsyncIterator[bytes]) -> None:
    aclose = getattr(chunks, "aclose", None)
    if aclose is not None:
        await aclose()


async def _count(readings: Readings, access: Access, request: ExportRequest) -> int:
    query = window_query(request.start, request.end, limit=0)
    pages = [await readings.data_page(access, slug, query) for slug in request.streams]
    return sum(page.total for page in pages)


def exporter(account: AccountRecord, request: ExportRequest, progress: Progress,
             cancel: threading.Event) -> Op[ExportResult]:
    async def export(appliance: Appliance) -> ExportResult:
        access = await access_for(appliance, account)
        readings = readings_of(appliance)
        writer = _Writer(progress, cancel, await _count(readings, access, request))
        part = request.path.with_name(request.path.name + ".part")
        try:
            await writer.write_all(readings, access, request, part)
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
