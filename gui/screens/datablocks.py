"""Data blocks: the archives made from devices (Archive… on the Devices screen), with their readings.

Enter (or a double-click, or Open…) shows a block's streams. Delete… removes a block with its
readings, events, streams and notes as a background job, after a confirmation; like iotile.cloud's
API only staff may, so for everyone else the button is disabled with the reason. Operators (r1)
may not see data blocks at all, and the screen says so instead of showing an empty list.
"""

from __future__ import annotations

import logging

from appliance.events import Changes
from gui.dialogs.datablock import show_datablock
from gui.layout import WrapLabel, button_row, table_view
from gui.models.datablocks import COLUMN_INDEX, DataBlocksModel
from gui.operations.datablocks import BlockRights, BlockRow, block_deleter, rights_reader
from gui.qt import (
    QHeaderView,
    QKeySequence,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QShortcut,
    Qt,
    QTableView,
    QTimer,
    QWidget,
)
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role
from gui.widgets.job_progress import JobProgress

LOGGER = logging.getLogger(__name__)
FILTER_DELAY_MS = 250
STAFF_ONLY = "Only the appliance's administrators (staff) may delete data blocks, as on iotile.cloud."
NOT_ALLOWED = ("Your role does not let you see data blocks (archives). Owners, admins, members and developers "
               "of an organization may.")


class DataBlocksScreen(Screen):
    key = "datablocks"
    title = "Data blocks"
    subtitle = "Archives of devices: their readings, streams and notes, kept apart once the device is archived."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = DataBlocksModel(ctx.core, ctx.session.account, self)
        self.rights: BlockRights | None = None
        self.filter = QLineEdit()
        self.filter.setObjectName("blockFilter")
        self.filter.setPlaceholderText("Filter data blocks  (Ctrl+F)")
        self.filter.setToolTip("Shows the blocks whose title, description, block or device contains this text")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(320)
        self.table = self._table()
        self.open_button = QPushButton("Open…")
        self.open_button.setObjectName("blockOpen")
        self.open_button.setToolTip("The block's streams and readings (Enter)")
        self.delete_button = QPushButton("Delete…")
        self.delete_button.setObjectName("blockDelete")
        set_role(self.delete_button, "danger")
        self.job = JobProgress(ctx.core, self)
        self.note = WrapLabel("")
        set_role(self.note, "help")
        self.layout_.addLayout(button_row(self.filter))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(button_row(self.open_button, self.delete_button, stretch_at=1))
        self.layout_.addWidget(self.job)
        self.layout_.addWidget(self.note)
        self._connect()
        self._update_buttons()

    def _table(self) -> QTableView:
        table = table_view("blocksTable")
        table.setModel(self.model)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(COLUMN_INDEX["title"], QHeaderView.ResizeMode.Stretch)
        return table

    def _connect(self) -> None:
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(lambda: self.model.set_text(self.filter.text()))
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.table.activated.connect(lambda _i: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.open_button.clicked.connect(self.open_selected)
        self.delete_button.clicked.connect(self.confirm_delete)
        self.model.rows_did_load.connect(self._did_load)
        self.model.rows_did_fail.connect(lambda _e: self.note.setText("The data block list could not be read."))
        self.job.job_did_finish.connect(lambda _pid, _status: self.model.reload())
        self.ctx.core.changes_did_apply.connect(self._on_changes)
        shortcut = QShortcut(QKeySequence("Ctrl+F"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.filter.setFocus)

    def _on_changes(self, changes: Changes) -> None:
        if changes.devices:  # archives and deletes announce themselves as device changes
            self.mark_dirty()

    def refresh(self) -> None:
        self.ctx.core.op(self, rights_reader(self.ctx.session.account)).success(self._show_rights).run()
        if self.model.loaded_once:
            self.model.reload()
        else:
            self.model.set_text(self.filter.text())

    def _show_rights(self, rights: BlockRights) -> None:
        self.rights = rights
        self._did_load()

    def _did_load(self) -> None:
        count = self.model.rowCount()
        if self.rights is not None and not self.rights.may_see:
            self.note.setText(NOT_ALLOWED)
        elif count == 0:
            self.note.setText("No data block matches the filter." if self.filter.text().strip() else
                              "No data blocks yet. Archive a device on the Devices screen to make one.")
        else:
            more = "" if self.model.exhausted else "; scroll for more"
            self.note.setText(f"{count:,} data block(s) shown{more}.")
        self._update_buttons()

    def selected_row(self) -> BlockRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_block(self, slug: str) -> bool:
        row = next((i for i, r in enumerate(self.model.rows) if r.block.slug == slug), None)
        if row is not None:
            self.table.selectRow(row)
        return row is not None

    def _update_buttons(self) -> None:
        row = self.selected_row()
        self.open_button.setEnabled(row is not None)
        may_delete = self.rights is not None and self.rights.may_delete
        self.delete_button.setEnabled(row is not None and may_delete)
        self.delete_button.setToolTip("Delete the selected block and its data, for good" if may_delete else STAFF_ONLY)

    def open_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            show_datablock(self.ctx.core, self, self.ctx.session.account, row.block.slug)

    def confirm_delete(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        slug = row.block.slug
        box = QMessageBox(QMessageBox.Icon.Warning, f"Delete {slug}?",
                          f"Delete the data block “{row.block.title}” ({slug})? Its {row.readings:,} readings and "
                          f"{row.events:,} events, its streams, properties, notes and locations are deleted for "
                          "good. The device itself is not touched.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("blockDeleteConfirm")
        box.button(QMessageBox.StandardButton.Yes).setText("Delete the block")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self._delete_answered(slug, result))
        box.open()

    def _delete_answered(self, slug: str, result: int) -> None:
        if result == int(QMessageBox.StandardButton.Yes.value):
            self.start_delete(slug)

    def start_delete(self, slug: str) -> None:
        self.ctx.core.op(self, block_deleter(self.ctx.session.account, slug)).with_progress(
            "Starting the delete…").success(lambda pid: self.job.follow(pid, f"Deleting {slug}")).run()
