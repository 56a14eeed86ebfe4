"""One data block (archive): what it is, where it came from, and its streams with their readings.
``show_datablock`` reads the block first and opens the dialog only then."""

from __future__ import annotations

import logging

from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.dialogs.maintenance_base import keep_open
from gui.layout import WrapLabel, button_row, form_layout, table_view
from gui.models.datablocks import BlockStreamsModel
from gui.models.jobs import local_time
from gui.operations.datablocks import BlockDetail, block_reader
from gui.qt import QDialog, QFormLayout, QHeaderView, QLabel, QPushButton, Qt, QVBoxLayout, QWidget
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


def block_rows(detail: BlockDetail) -> list[tuple[str, str]]:
    b = detail.block
    return [
        ("Data block", b.slug), ("Device", b.device), ("Organization", detail.org_name),
        ("Created", f"{local_time(b.created_on)}" + (f" by {b.created_by}" if b.created_by else "")),
        ("Completed", local_time(b.completed_on) if b.completed_on else "Not yet: the archive is running"),
        ("Sensor graph", b.sg or "—"),
        ("Holds", f"{detail.readings:,} readings and {detail.events:,} events in {len(detail.streams)} stream(s)"),
    ]


class DataBlockDialog(QDialog):
    def __init__(self, core: CoreThread, detail: BlockDetail, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dataBlockDialog")
        self.setWindowTitle(f"Data block {detail.block.slug}")
        self.resize(900, 600)
        self.detail = detail
        self.streams_model = BlockStreamsModel(core, self)
        self.streams_model.set_rows(list(detail.streams))
        heading = QLabel(detail.block.title)
        heading.setTextFormat(Qt.TextFormat.PlainText)
        set_role(heading, "title")
        close = QPushButton("Close")
        close.setDefault(True)
        close.clicked.connect(self.accept)
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(12)
        box.addWidget(heading)
        if detail.block.description:
            about = WrapLabel(detail.block.description)
            about.setTextFormat(Qt.TextFormat.PlainText)
            set_role(about, "help")
            box.addWidget(about)
        box.addLayout(self._form())
        box.addWidget(self._streams(), 1)
        box.addLayout(button_row(close, stretch_at=0))

    def _form(self) -> QFormLayout:
        form = form_layout()
        for caption, value in block_rows(self.detail):
            label = QLabel(value)
            label.setWordWrap(True)
            form.addRow(caption, label)
        return form

    def _streams(self) -> QWidget:
        if not self.detail.streams:
            empty = WrapLabel("This data block holds no stream data.")
            set_role(empty, "empty")
            return empty
        table = table_view("dataBlockStreams")
        table.setModel(self.streams_model)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table


def show_datablock(core: CoreThread, parent: QWidget | None, account: AccountRecord, slug: str) -> None:
    def open_dialog(detail: BlockDetail) -> None:
        dialog = DataBlockDialog(core, detail, parent)
        keep_open(dialog)
        dialog.show()
        dialog.raise_()

    core.op(parent, block_reader(account, slug)).with_progress(f"Reading {slug}…").success(open_dialog).run()
