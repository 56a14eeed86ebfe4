"""The device detail's Data mask tab: show, set and clear the window outside which the device's data
is hidden from reads that ask for the mask (``mask=1`` on the API; nothing is deleted).

Anyone who sees the device sees its mask; setting and clearing it needs ``can_reset_device`` (owners,
admins, developers), as ``PATCH``/``DELETE device/<slug>/mask/``. Each change leaves a note on the
device. Times are this computer's local time, kept to the second as the service keeps them.
"""

from __future__ import annotations

import logging
from datetime import datetime, timezone

from appliance.services.accounts import AccountRecord
from appliance.services.permissions import Perm
from gui.bridge import CoreThread
from gui.dialogs.maintenance_base import OptionalMoment, align, ceil_second
from gui.errors import show_error
from gui.layout import WrapLabel, button_row, card
from gui.models.jobs import local_time
from gui.operations import Op
from gui.operations.device_detail import DeviceDetail, Mask, mask_clearer, mask_setter
from gui.operations.maintenance import may
from gui.qt import QMessageBox, QPushButton, Qt, QVBoxLayout, QWidget
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
WHO = "owners, admins and developers"


def mask_text(mask: Mask) -> str:
    if mask.refused:
        return mask.refused
    if not mask.is_set:
        return "No data mask: every reading of this device is shown."
    start = local_time(mask.start) if mask.start else "the first reading"
    end = local_time(mask.end) if mask.end else "the last reading"
    return f"Masked: only readings from {start} up to {end} are shown to reads that apply the mask."


class MaskTab(QWidget):
    def __init__(self, core: CoreThread, account: AccountRecord, detail: DeviceDetail,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("maskTab")
        self._core, self._account, self._detail = core, account, detail
        self.current_mask = detail.mask
        self.state = WrapLabel("")
        self.state.setObjectName("maskState")
        set_role(self.state, "big")
        intro = WrapLabel("A data mask hides the readings outside a time window (for example before the device "
                          "was installed) without deleting them. Reports and exports that apply the mask see "
                          "only the window.")
        set_role(intro, "help")
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 16, 18, 16)
        box.setSpacing(12)
        box.addWidget(self.state)
        box.addWidget(intro)
        box.addWidget(self._editor())
        box.addStretch(1)
        self._show(self.current_mask)

    def _editor(self) -> QWidget:
        frame, box = card("Change the mask")
        now = datetime.now(timezone.utc).replace(microsecond=0)
        self.start = OptionalMoment("maskStart", "Hide readings before", self.current_mask.start or now)
        self.end = OptionalMoment("maskEnd", "Hide readings from", ceil_second(self.current_mask.end or now),
                                  checked=self.current_mask.end is not None)
        self.set_button = QPushButton("Set mask")
        self.set_button.setObjectName("maskSet")
        set_role(self.set_button, "primary")
        self.clear_button = QPushButton("Clear mask…")
        self.clear_button.setObjectName("maskClear")
        set_role(self.clear_button, "danger")
        self.message = WrapLabel("")
        set_role(self.message, "help")
        align(self.start, self.end)
        for widget in (self.start, self.end):
            box.addWidget(widget)
        box.addLayout(button_row(self.set_button, self.clear_button))
        box.addWidget(self.message)
        self.set_button.clicked.connect(self.apply)
        self.clear_button.clicked.connect(self.confirm_clear)
        self.allowed = may(self._detail.access, self._detail.device.org_id, Perm.RESET_DEVICE) \
            and self._detail.device.claimed and not self.current_mask.refused
        if not self.allowed:
            frame.setEnabled(False)
            self.message.setText(self.current_mask.refused or f"Your role in this organization may not change the data "
                                                      f"mask; {WHO} may.")
        return frame

    def _show(self, mask: Mask) -> None:
        self.current_mask = mask
        self.state.setText(mask_text(mask))
        self.clear_button.setEnabled(self.allowed and mask.is_set)

    def apply(self) -> None:
        start, end = self.start.value(), self.end.value()
        if start is None and end is None:
            self.message.setText("Tick at least one side of the window.")
            return
        if start is not None and end is not None and start >= end:
            self.message.setText("The start must be before the end.")
            return
        self._run(mask_setter(self._account, self._detail.device.slug, start, end), "Setting the mask…", "Mask set.")

    def confirm_clear(self) -> None:
        box = QMessageBox(QMessageBox.Icon.Question, "Clear the data mask?",
                          "Clear the data mask? Every reading of this device is shown again.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("maskClearConfirm")
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._clear_answered)
        box.open()

    def _clear_answered(self, result: int) -> None:
        if result == int(QMessageBox.StandardButton.Yes.value):
            self.clear()

    def clear(self) -> None:
        self._run(mask_clearer(self._account, self._detail.device.slug), "Clearing the mask…", "Mask cleared.")

    def _run(self, op: Op[Mask], busy: str, done: str) -> None:
        self.set_button.setEnabled(False)
        self.clear_button.setEnabled(False)

        def finished(mask: Mask) -> None:
            self.set_button.setEnabled(True)
            self._show(mask)
            self.message.setText(done)

        def failed(error: BaseException) -> None:
            self.set_button.setEnabled(True)
            self._show(self.current_mask)
            show_error(self, error)

        self._core.op(self, op).with_progress(busy).success(finished).failure(failed).run()
