"""The device detail's Health tab: the state (OK, FAIL, UNK, or Off), the last upload, and the check
itself, switched on or off with its period (hours and minutes) when the operator may modify the
device (``can_modify_device``, as ``PATCH device/<slug>/health/``).

A device is OK when it uploaded within its period, FAIL (late) when it did not, UNK when it never
uploaded; the periodic health check job stores the changes and notes them on the device.
"""

from __future__ import annotations

import logging

from appliance.services.accounts import AccountRecord
from appliance.services.devices_records import DeviceStatusRecord
from appliance.services.permissions import Perm
from gui.bridge import CoreThread
from gui.errors import show_error
from gui.layout import WrapLabel, button_row, card, form_layout
from gui.models.devices import HEALTH_TIPS
from gui.models.jobs import local_time
from gui.operations.device_detail import DeviceDetail, health_setter
from gui.operations.devices import HEALTH_LABELS
from gui.operations.maintenance import may
from gui.qt import QCheckBox, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
MIN_PERIOD = 60  # seconds, the service's floor
MAX_HOURS = 365 * 24


def period_text(seconds: int) -> str:
    hours, minutes = seconds // 3600, seconds % 3600 // 60
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"


def health_rows(detail: DeviceDetail, status: DeviceStatusRecord) -> list[tuple[str, str]]:
    s = status
    streamers = ", ".join(f"streamer {st.index}: last ID {st.last_id:,}" for st in detail.streamers)
    return [
        ("Health", f"{HEALTH_LABELS.get(s.alert, s.alert)} — {HEALTH_TIPS.get(s.alert, '')}"),
        ("Health check", f"on, expects an upload every {period_text(s.health_check_period)}"
         if s.health_check_enabled else "off"),
        ("Last upload", local_time(s.last_report_ts) if s.last_report_ts else "Never"),
        ("Last known state", s.last_known_state), ("Notify", ", ".join(s.notification_recipients)),
        ("Acknowledged", streamers or "No report received yet"),
    ]


def _spin(name: str, suffix: str, top: int) -> QSpinBox:
    spin = QSpinBox()
    spin.setObjectName(name)
    spin.setRange(0, top)
    spin.setSuffix(suffix)
    spin.setMinimumSize(130, 40)
    return spin


class HealthTab(QWidget):
    def __init__(self, core: CoreThread, account: AccountRecord, detail: DeviceDetail,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("healthTab")
        self._core, self._account, self._detail = core, account, detail
        self.status = detail.status
        self.values: dict[str, QLabel] = {}
        form = form_layout()
        for caption, value in health_rows(detail, self.status):
            label = QLabel(value or "—")
            label.setWordWrap(True)
            self.values[caption] = label
            form.addRow(caption, label)
        box = QVBoxLayout(self)
        box.setContentsMargins(18, 16, 18, 16)
        box.setSpacing(10)
        box.addLayout(form)
        box.addWidget(self._editor())
        box.addStretch(1)
        self._show(self.status)

    def _editor(self) -> QWidget:
        frame, box = card("Health check")
        self.enabled = QCheckBox("Check this device's health: FAIL when it does not upload within")
        self.enabled.setObjectName("healthEnabled")
        self.hours = _spin("healthHours", " h", MAX_HOURS)
        self.minutes = _spin("healthMinutes", " min", 59)
        self.save_button = QPushButton("Save health check")
        self.save_button.setObjectName("healthSave")
        set_role(self.save_button, "primary")
        self.message = WrapLabel("")
        set_role(self.message, "help")
        row = button_row(self.enabled, self.hours, self.minutes)
        box.addLayout(row)
        box.addLayout(button_row(self.save_button))
        box.addWidget(self.message)
        self.enabled.toggled.connect(self._toggled)
        self.save_button.clicked.connect(self.save)
        allowed = may(self._detail.access, self._detail.device.org_id, Perm.MODIFY_DEVICE)
        for widget in (self.enabled, self.hours, self.minutes, self.save_button):
            widget.setEnabled(allowed)
        if not allowed:
            why = ("Your role in this organization may not change the health check; owners, admins, members "
                   "and developers may.")
            self.save_button.setToolTip(why)
            self.message.setText(why)
        return frame

    def _toggled(self, on: bool) -> None:
        self.hours.setEnabled(on and self.enabled.isEnabled())
        self.minutes.setEnabled(on and self.enabled.isEnabled())

    def _show(self, status: DeviceStatusRecord) -> None:
        self.status = status
        for caption, value in health_rows(self._detail, status):
            self.values[caption].setText(value or "—")
        self.enabled.setChecked(status.health_check_enabled)
        self.hours.setValue(status.health_check_period // 3600)
        self.minutes.setValue(status.health_check_period % 3600 // 60)
        self._toggled(status.health_check_enabled)

    def period(self) -> int:
        return self.hours.value() * 3600 + self.minutes.value() * 60

    def save(self) -> None:
        period = self.period()
        if self.enabled.isChecked() and period < MIN_PERIOD:
            self.message.setText("The period must be at least 1 minute.")
            return
        self.save_button.setEnabled(False)
        op = health_setter(self._account, self._detail.device.slug, enabled=self.enabled.isChecked(),
                           period=max(period, MIN_PERIOD))
        self._core.op(self, op).with_progress("Saving the health check…").success(self._saved).failure(
            self._failed).run()

    def _saved(self, status: DeviceStatusRecord) -> None:
        self.save_button.setEnabled(True)
        self._show(status)
        self.message.setText(f"Saved. Health is now {HEALTH_LABELS.get(status.alert, status.alert)}.")

    def _failed(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        show_error(self, error)
