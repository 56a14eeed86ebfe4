"""The readings of one stream in a time window, as a lazy table (the data explorer's Table tab).

Rows are read a page at a time from the data service as the operator scrolls (canFetchMore /
fetchMore), oldest first, so a window of millions of readings opens at once. Values are shown in
the stream's output unit, as the plot draws them.
"""

from __future__ import annotations

import logging
from datetime import timezone

from appliance.services.accounts import AccountRecord
from appliance.services.data_records import ReadingRecord
from gui.bridge import CoreThread
from gui.models.paged import Column, PagedModel
from gui.operations.series import StreamChoice, readings_pager
from gui.qt import QObject

LOGGER = logging.getLogger(__name__)
PAGE = 500


def reading_time(record: ReadingRecord) -> str:
    """Local time; milliseconds only when the reading has a fraction of a second (some come twice a
    second)."""
    local = record.timestamp.astimezone(timezone.utc).astimezone()
    text = local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{text}.{local.microsecond // 1000:03d}" if local.microsecond else text


def _number(value: float | int | None) -> str:
    return "" if value is None else f"{value:.6g}"


class ReadingsModel(PagedModel[ReadingRecord]):
    def __init__(self, core: CoreThread, account: AccountRecord, parent: QObject | None = None) -> None:
        columns: tuple[Column[ReadingRecord], ...] = (
            Column(key="time", title="Time", value_fn=reading_time),
            Column(key="value", title="Value", value_fn=self._output, right=True),
            Column(key="raw", title="Raw value", value_fn=lambda r: _number(r.int_value), right=True),
            Column(key="seq", title="Sequence", value_fn=lambda r: str(r.streamer_local_id or ""), right=True),
            Column(key="id", title="Reading ID", value_fn=lambda r: str(r.id), right=True),
        )
        super().__init__(core, columns, key_fn=lambda r: r.id, parent=parent, page=PAGE)
        self._account = account
        self.stream: StreamChoice | None = None
        self.window: tuple[float | None, float | None] = (None, None)

    def show_window(self, stream: StreamChoice | None, start: float | None, end: float | None) -> None:
        self.stream, self.window = stream, (start, end)
        if stream is None:
            self.set_loader(None)
            return
        account, slug = self._account, stream.slug
        self.set_loader(lambda offset, want: readings_pager(account, slug, start, end, offset, want))

    def _output(self, record: ReadingRecord) -> str:
        if record.value is None or self.stream is None:
            return _number(record.value)
        value = record.value
        if self.stream.mdo is not None:
            m, d, o = self.stream.mdo
            value = value * m / d + o
        units = f" {self.stream.units}" if self.stream.units else ""
        return f"{value:.6g}{units}"
