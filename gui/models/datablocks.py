"""Data blocks as a lazy table (Data blocks screen), and one block's streams (its dialog)."""

from __future__ import annotations

import logging

from appliance.services.accounts import AccountRecord
from appliance.services.datablocks_records import StreamCountRecord
from gui.bridge import CoreThread
from gui.models.jobs import local_time
from gui.models.paged import Column, PagedModel
from gui.operations.datablocks import BlockRow, block_pager
from gui.qt import QObject
from gui.theme import MUTED

LOGGER = logging.getLogger(__name__)

COLUMNS: tuple[Column[BlockRow], ...] = (
    Column(key="title", title="Title", value_fn=lambda r: r.block.title,
           tooltip_fn=lambda r: f"{r.block.slug} in {r.org_name}" + (f": {r.block.description}"
                                                                     if r.block.description else "")),
    Column(key="device", title="Device", value_fn=lambda r: r.block.device),
    Column(key="number", title="Block", value_fn=lambda r: f"#{r.block.block}", right=True,
           tooltip_fn=lambda r: r.block.slug),
    Column(key="created", title="Created", value_fn=lambda r: local_time(r.block.created_on),
           tooltip_fn=lambda r: f"by {r.block.created_by}" if r.block.created_by else None),
    Column(key="readings", title="Readings", value_fn=lambda r: f"{r.readings:,}", right=True),
    Column(key="state", title="State", value_fn=lambda r: "Complete" if r.block.completed_on else "Archiving…",
           colour_fn=lambda r: None if r.block.completed_on else MUTED),
)
COLUMN_INDEX = {column.key: i for i, column in enumerate(COLUMNS)}

STREAM_COLUMNS: tuple[Column[StreamCountRecord], ...] = (
    Column(key="slug", title="Stream", value_fn=lambda s: s.slug),
    Column(key="lid", title="Local ID", value_fn=lambda s: s.slug[-4:]),
    Column(key="readings", title="Readings", value_fn=lambda s: f"{s.data_cnt:,}", right=True),
    Column(key="events", title="Events", value_fn=lambda s: f"{s.event_cnt:,}", right=True),
)


class DataBlocksModel(PagedModel[BlockRow]):
    def __init__(self, core: CoreThread, account: AccountRecord, parent: QObject | None = None) -> None:
        super().__init__(core, COLUMNS, key_fn=lambda row: row.block.id, parent=parent)
        self._account = account
        self.text = ""

    def set_text(self, text: str) -> None:
        self.text = text
        account = self._account
        self.set_loader(lambda offset, want: block_pager(account, text, offset, want))


class BlockStreamsModel(PagedModel[StreamCountRecord]):
    def __init__(self, core: CoreThread, parent: QObject | None = None) -> None:
        super().__init__(core, STREAM_COLUMNS, key_fn=lambda s: s.slug, parent=parent)
