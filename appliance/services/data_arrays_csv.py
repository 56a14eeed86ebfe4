"""The API's CSV of one stream (``/api/v1/data/?filter=s--…&format=csv``), written from columns.

data_csv.py builds a ``ReadingRecord`` per reading and pages with OFFSET, which costs about 20 µs a
reading and grows with the offset; an export of the explorer's visible range may hold millions.
These are the same bytes (the columns of data_csv.DATA_HEADER, each value formatted as Python's
csv module formats it), made column by column from keyset pages of the array reads.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import numpy.typing as npt
import pyarrow as pa  # type: ignore[import-untyped]

from appliance.services.data_arrays import EXPORT_PAGE, ReadingArrays, StreamTarget
from appliance.services.data_csv import DATA_HEADER
from appliance.services.data_io import off_loop
from appliance.services.data_records import slugs_of
from appliance.services.permissions import Access
from storage.metadata.repos.data import Mdo
from storage.streams import ReadingStatus, ReadingType

TYPE_CODES = np.array([t.code for t in ReadingType], dtype=object)
STATUS_CODES = np.array([s.code for s in ReadingStatus], dtype=object)
US_PER_SECOND = 1_000_000


@dataclass(frozen=True)
class CsvChunk:
    data: bytes
    rows: int


def header() -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(DATA_HEADER)
    return buffer.getvalue().encode("utf-8")


def iso_times(t_us: npt.NDArray[np.int64]) -> list[str]:
    """``iso_time`` of every reading: whole seconds, microseconds only when present, then 'Z'."""
    seconds = np.datetime_as_string(t_us.astype("datetime64[us]").astype("datetime64[s]"), unit="s").tolist()
    fractions = (t_us % US_PER_SECOND).tolist()
    return [f"{s}.{f:06d}Z" if f else f"{s}Z" for s, f in zip(seconds, fractions, strict=True)]


def _optional(column: pa.ChunkedArray) -> list[str]:
    return ["" if v is None else str(v) for v in column.to_pylist()]


def _values(raw: npt.NDArray[np.float64], ok: npt.NDArray[np.bool_]) -> list[str]:
    """``value`` as the records hold it: NaN and infinities are no number (``finite``)."""
    return [repr(v) if keep else "" for v, keep in zip(raw.tolist(), ok.tolist(), strict=True)]


def _outputs(raw: npt.NDArray[np.float64], ok: npt.NDArray[np.bool_], unit: Mdo | None) -> list[str]:
    """``output_value``: mdo_compute of the value ((o or 0.0) + value * m / d), else the value."""
    if unit is None:
        return _values(raw, ok)
    m, d, o = unit
    return _values((float(o) if o else 0.0) + np.where(ok, raw, 0.0) * m / d, ok)


def csv_rows(page: pa.Table, stream_slug: str, unit: Mdo | None) -> bytes:
    """One export page as data_csv.data_rows writes it, without a record per reading."""
    raw = page.column("value").to_numpy(zero_copy_only=False).astype(np.float64)  # nulls become NaN
    ok = np.isfinite(raw)
    columns = (
        [str(i) for i in page.column("id").to_pylist()],
        [stream_slug] * page.num_rows,
        iso_times(page.column("t_us").to_numpy()),
        _optional(page.column("device_timestamp")),
        [str(s) if s else "0" for s in page.column("streamer_local_id").to_pylist()],  # None and 0: 0
        _optional(page.column("int_value")),
        _values(raw, ok),
        _outputs(raw, ok, unit),
        TYPE_CODES[page.column("type").to_numpy()].tolist(),
        STATUS_CODES[page.column("status").to_numpy()].tolist(),
    )
    return "".join(",".join(row) + "\r\n" for row in zip(*columns, strict=True)).encode("utf-8")


async def stream_csv_chunks(arrays: ReadingArrays, access: Access, slug: str, start: datetime | None,
                            end: datetime | None, *, with_header: bool = True,
                            page: int = EXPORT_PAGE) -> AsyncIterator[CsvChunk]:
    """The header (when asked), then the readings in pages; permission is checked before the first
    chunk, so a refused export writes nothing."""
    target: StreamTarget = await arrays.target(access, slug)
    unit = await arrays.output_unit(target)
    if with_header:
        yield CsvChunk(header(), 0)
    stream = slugs_of(*target.key).stream  # as the records spell it, whatever form the caller used
    async for rows in arrays.export_pages(target, start, end, page):
        yield CsvChunk(await off_loop(csv_rows, rows, stream, unit), rows.num_rows)
