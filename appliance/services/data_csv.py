"""CSV downloads of readings, produced in chunks so an export of any size needs bounded memory.

- One stream (``stream/<slug>/csv/``): iotile.cloud's two columns ``Timestamp,Value``, the time as
  ``%Y/%m/%d %H:%M:%S`` (UTC) and the value in the stream's output unit.
- Anything a ``data/`` filter names (a device, a data block, a variable, a project, a stream):
  one row per reading with its stream slug, ids, raw and scaled values (an appliance addition).

Permission is checked before the first byte is sent, so a refused export is a JSON error.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from appliance.services.data import Readings, ReadQuery
from appliance.services.data_io import off_loop
from appliance.services.data_records import ReadingRecord, iso_time
from appliance.services.data_scope import Scope
from appliance.services.data_values import Display, mdo_compute
from appliance.services.permissions import Access
from appliance.slugs import StreamSlug
from storage.metadata.repos.data import Mdo, StreamKey
from storage.streams import ReadingStatus, ReadingType, StreamSelector

STREAM_HEADER = ("Timestamp", "Value")
DATA_HEADER = ("id", "stream", "timestamp", "device_timestamp", "streamer_local_id", "int_value", "value",
               "output_value", "type", "status")
CSV_TIME_FORMAT = "%Y/%m/%d %H:%M:%S"


@dataclass(frozen=True)
class CsvExport:
    filename: str
    chunks: AsyncIterator[bytes]


def _csv(rows: Iterable[Iterable[object]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _cell(value: object) -> object:
    return "" if value is None else value


def stream_rows(display: Display, records: Iterable[ReadingRecord]) -> bytes:
    return _csv((r.timestamp.strftime(CSV_TIME_FORMAT), _cell(display.output_value(r.value))) for r in records)


def data_rows(records: Iterable[ReadingRecord], outputs: dict[StreamKey, Mdo]) -> bytes:
    def output(record: ReadingRecord) -> object:
        unit = outputs.get(record.key)
        if record.value is None or unit is None:
            return _cell(record.value)
        return mdo_compute(unit, record.value)

    return _csv((r.id, r.slugs.stream, iso_time(r.timestamp), _cell(r.device_timestamp),
                 r.streamer_local_id or 0, _cell(r.int_value), _cell(r.value), output(r),
                 ReadingType(r.type).code, ReadingStatus(r.status).code) for r in records)


async def stream_csv(readings: Readings, access: Access, slug: StreamSlug, query: ReadQuery) -> CsvExport:
    display = await readings.stream_display(access, slug)
    scope = Scope("stream", StreamSelector(slug.project, slug.device, slug.lid), display.settings.org_id)

    async def chunks() -> AsyncIterator[bytes]:
        yield _csv([STREAM_HEADER])
        async for records in readings.readings(scope, query):
            yield await off_loop(stream_rows, display, records)

    return CsvExport(f"{slug.slug}.csv", chunks())


async def scope_csv(readings: Readings, access: Access, filter_text: str, query: ReadQuery) -> CsvExport:
    scope = await readings.scope(access, filter_text)
    outputs: dict[StreamKey, Mdo] = {}
    known: set[StreamKey] = set()

    async def chunks() -> AsyncIterator[bytes]:
        yield _csv([DATA_HEADER])
        async for records in readings.readings(scope, query):
            new = {r.key for r in records} - known
            if new:
                outputs.update(await readings.output_units(new))
                known.update(new)
            yield await off_loop(data_rows, records, outputs)

    return CsvExport(f"{filter_text}.csv", chunks())
