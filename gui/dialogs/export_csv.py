"""Export to CSV: a progress bar and a Cancel button while the appliance writes the file.

``show_export_csv`` starts the export at once (gui/operations/export.py, off the Qt thread, in
chunks) and opens this dialog. Cancel (or closing the dialog) stops the export after the chunk
being written, and the partial file is removed. The end says where the file is and how many
readings it holds.
"""

from __future__ import annotations

import logging
import threading

from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.errors import describe, log_error
from gui.layout import WrapLabel, button_row
from gui.operations.export import ExportRequest, ExportResult, exporter
from gui.qt import QCloseEvent, QDialog, QLabel, QProgressBar, QPushButton, QVBoxLayout, QWidget, Signal, is_alive
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


class ExportDialog(QDialog):
    export_did_finish = Signal(object)  # ExportResult, or the exception

    def __init__(self, core: CoreThread, request: ExportRequest, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle("Export to CSV")
        self.setMinimumWidth(620)
        self._core, self.request = core, request
        self.cancel_flag = threading.Event()
        self.running = True
        self.outcome: ExportResult | None = None
        self.heading = heading = QLabel("Exporting readings…")
        set_role(heading, "section")
        self.message = WrapLabel(f"Writing {request.path}")
        self.bar = QProgressBar()
        self.bar.setObjectName("exportProgress")
        self.bar.setRange(0, 0)  # busy until the first count arrives
        self.button = QPushButton("Cancel")
        self.button.setObjectName("exportCancel")
        self.button.clicked.connect(self._on_button)
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 18, 24, 18)
        box.setSpacing(12)
        for widget in (heading, self.message, self.bar):
            box.addWidget(widget)
        box.addLayout(button_row(self.button, stretch_at=0))

    def progress_from_core(self, done: int, total: int) -> None:
        """Called on the appliance's thread: hand the figures to the Qt thread."""
        self._core.run_on_main(lambda: self.show_progress(done, total) if is_alive(self) else None)

    def show_progress(self, done: int, total: int) -> None:
        if not self.running:
            return
        self.bar.setRange(0, max(total, 1))
        self.bar.setValue(min(done, max(total, 1)))
        self.bar.setFormat(f"{done:,} of {total:,} readings (%p%)")

    def cancel(self) -> None:
        if self.running:
            self.cancel_flag.set()
            self.button.setEnabled(False)
            self.message.setText("Cancelling…")

    def did_finish(self, result: ExportResult) -> None:
        self.running, self.outcome = False, result
        self.button.setText("Close")
        self.button.setEnabled(True)
        if result.cancelled:
            self.heading.setText("Export cancelled")
            self.message.setText("The export was cancelled and the partial file was removed.")
        else:
            self.bar.setRange(0, 1)
            self.bar.setValue(1)
            self.bar.setFormat(f"{result.rows:,} readings")
            self.heading.setText("Export finished")
            self.message.setText(f"Saved {result.rows:,} readings to {result.path}")
            set_role(self.message, "ok")
        self.export_did_finish.emit(result)

    def did_fail(self, error: BaseException) -> None:
        log_error(error)
        self.running = False
        text = describe(error)
        self.heading.setText("Export failed")
        self.message.setText(f"The export failed: {text.message} {text.todo}")
        set_role(self.message, "error")
        self.button.setText("Close")
        self.button.setEnabled(True)
        self.export_did_finish.emit(error)

    def _on_button(self) -> None:
        if self.running:
            self.cancel()
        else:
            self.accept()

    def reject(self) -> None:  # Esc
        if self.running:
            self.cancel()
        else:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.running:
            self.cancel()
            event.ignore()
            return
        super().closeEvent(event)


def show_export_csv(core: CoreThread, parent: QWidget | None, account: AccountRecord,
                    request: ExportRequest) -> ExportDialog:
    dialog = ExportDialog(core, request, parent)
    dialog.setModal(True)
    dialog.show()
    core.op(dialog, exporter(account, request, dialog.progress_from_core, dialog.cancel_flag)).success(
        dialog.did_finish).failure(dialog.did_fail).run()
    return dialog
