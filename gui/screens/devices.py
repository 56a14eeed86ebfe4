"""Devices: claim by serial number or scanner, a filterable list with health, and device operations.

The list pages from the device service (gui/models/devices.py). Operations that change a device's
data in bulk are background jobs; the bar under the list follows the one just started. Operations
whose service this version of the appliance lacks are shown disabled, with a tooltip saying so,
so operators learn where they will be. Enter (or a double-click) opens the device's details.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from appliance.services.projects import ProjectRecord
from gui.dialogs.device_detail import show_device_detail
from gui.layout import WrapLabel, button_row, table_view
from gui.models.devices import DevicesModel
from gui.operations.devices import DeviceFilter, DeviceRow, unclaimer
from gui.operations.projects import all_projects
from gui.qt import (
    QCheckBox,
    QComboBox,
    QHeaderView,
    QKeySequence,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QShortcut,
    QShowEvent,
    Qt,
    QTableView,
    QTimer,
    QWidget,
)
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role
from gui.widgets.claim_panel import ClaimPanel
from gui.widgets.job_progress import JobProgress

LOGGER = logging.getLogger(__name__)
FILTER_DELAY_MS = 250
UPLOAD_RELOAD_MS = 1500
HEALTH_FILTERS: tuple[tuple[str, str | None], ...] = (
    ("Any health", None), ("OK", "OK"), ("FAIL (late)", "FAIL"), ("UNK (never uploaded)", "UNK"),
    ("Health check off", "DSBL"),
)
MISSING = "Not available yet: this version of the appliance has no service to {}."


@dataclass(frozen=True, kw_only=True)
class DeviceAction:
    key: str
    label: str
    tip: str
    missing: str | None = None  # why it cannot run in this build; None when its service exists


ACTIONS: tuple[DeviceAction, ...] = (
    DeviceAction(key="unclaim", label="Unclaim…", tip="Take the device out of its project (a background job)"),
    DeviceAction(key="reset", label="Reset…", tip="", missing=MISSING.format("reset a device's data")),
    DeviceAction(key="trim", label="Trim…", tip="", missing=MISSING.format("trim a device's data to a time range")),
    DeviceAction(key="archive", label="Archive…", tip="",
                 missing=MISSING.format("archive a device into a data block")),
)


class DevicesScreen(Screen):
    key = "devices"
    title = "Devices"
    subtitle = "Claim devices into projects, watch their health, open their details and data."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        account = ctx.session.account
        self.claim = ClaimPanel(ctx.core, account, self)
        self.model = DevicesModel(ctx.core, account, self)
        self._projects: list[ProjectRecord] = []
        self._pending_project: int | None = None
        self._build_filters()
        self.table = self._table()
        self._build_actions()
        self.job = JobProgress(ctx.core, self)
        self.note = WrapLabel("")
        set_role(self.note, "help")
        self.layout_.addWidget(self.claim)
        self.layout_.addLayout(button_row(self.filter, QLabel("Project:"), self.project_filter, QLabel("Health:"),
                                          self.health_filter))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addLayout(button_row(self.details_button, self.plot_button, *self.action_buttons.values(),
                                          stretch_at=2))
        self.layout_.addWidget(self.job)
        self.layout_.addWidget(self.note)
        self._timers()
        self._connect()
        self._update_buttons()

    # -- building ---------------------------------------------------------------------------------
    def _build_filters(self) -> None:
        self.filter = QLineEdit()
        self.filter.setObjectName("deviceFilter")
        self.filter.setPlaceholderText("Filter devices  (Ctrl+F)")
        self.filter.setToolTip("Shows the devices whose label, serial number or project contains this text")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(260)
        self.project_filter = QComboBox()
        self.project_filter.setObjectName("deviceProjectFilter")
        self.project_filter.setMinimumSize(220, 40)
        self.health_filter = QComboBox()
        self.health_filter.setObjectName("deviceHealthFilter")
        self.health_filter.setMinimumSize(200, 40)
        for label, _code in HEALTH_FILTERS:
            self.health_filter.addItem(label)
        self._fill_project_filter()

    def _table(self) -> QTableView:
        table = table_view("devicesTable")
        table.setModel(self.model)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table

    def _build_actions(self) -> None:
        self.details_button = QPushButton("Details…")
        self.details_button.setObjectName("deviceDetailsButton")
        self.details_button.setToolTip("Streams, health and more about the selected device (Enter)")
        self.plot_button = QPushButton("Plot data")
        self.plot_button.setObjectName("devicePlotButton")
        self.plot_button.setToolTip("Open the selected device in the data explorer")
        self.action_buttons: dict[str, QPushButton] = {}
        for action in ACTIONS:
            button = QPushButton(action.label)
            button.setObjectName(f"device_{action.key}")
            button.setToolTip(action.missing or action.tip)
            set_role(button, "danger")
            self.action_buttons[action.key] = button

    def _timers(self) -> None:
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._upload_timer = QTimer(self)
        self._upload_timer.setSingleShot(True)
        self._upload_timer.setInterval(UPLOAD_RELOAD_MS)

    def _connect(self) -> None:
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self._filter_timer.timeout.connect(self.apply_filter)
        self.project_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.health_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self._upload_timer.timeout.connect(self.model.reload)
        self.table.activated.connect(lambda _i: self.show_details())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.details_button.clicked.connect(self.show_details)
        self.plot_button.clicked.connect(self.plot_selected)
        self.action_buttons["unclaim"].clicked.connect(self.confirm_unclaim)
        self.model.rows_did_load.connect(self._did_load)
        self.model.rows_did_fail.connect(lambda _e: self.note.setText("The device list could not be read."))
        self.claim.device_did_claim.connect(lambda _c: self.model.reload())
        self.job.job_did_finish.connect(lambda _pid, _status: self.model.reload())
        self.ctx.core.changes_did_apply.connect(self._on_changes)
        self.ctx.core.uploads_did_arrive.connect(self._on_uploads)
        shortcut = QShortcut(QKeySequence("Ctrl+F"), self)
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self._focus_filter)

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.claim.serial.setFocus()  # a scanner types into whatever has the focus: let it be the claim box

    # -- reading ----------------------------------------------------------------------------------
    def _on_changes(self, changes: Changes) -> None:
        if changes.devices or changes.projects:
            self.mark_dirty()

    def _on_uploads(self, _batch: list[ReportUploaded]) -> None:
        if self.isVisible():
            if not self._upload_timer.isActive():  # a steady stream of uploads must not postpone it
                self._upload_timer.start()
        else:
            self._dirty = True

    def refresh(self) -> None:
        self.ctx.core.op(self, all_projects(self.ctx.session.account)).success(self._show_projects).run()
        if self.model.loaded_once:
            self.model.reload()
        elif self._pending_project is None:
            self.apply_filter()

    def _show_projects(self, projects: list[ProjectRecord]) -> None:
        chosen = self.current_filter().project
        self._projects = projects
        self.claim.set_projects(projects)
        self._fill_project_filter(chosen)
        if self._pending_project is not None:
            self.choose_project(self._pending_project)
        elif chosen is not None and self.current_filter().project != chosen:  # that project is gone
            self.apply_filter()

    def _fill_project_filter(self, chosen: str | None = None) -> None:
        unclaimed = self.project_filter.currentIndex() == 1
        self.project_filter.blockSignals(True)
        self.project_filter.clear()
        self.project_filter.addItems(["All projects", "Not claimed"] + [p.name for p in self._projects])
        index = next((i + 2 for i, p in enumerate(self._projects) if p.slug == chosen), 1 if unclaimed else 0)
        self.project_filter.setCurrentIndex(index)
        self.project_filter.blockSignals(False)

    def current_filter(self) -> DeviceFilter:
        index = self.project_filter.currentIndex()
        project = self._projects[index - 2].slug if 2 <= index < len(self._projects) + 2 else None
        health = HEALTH_FILTERS[max(0, self.health_filter.currentIndex())][1]
        return DeviceFilter(text=self.filter.text(), project=project, unclaimed=index == 1, health=health)

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        self.model.set_filter(self.current_filter())

    def open_with(self, target: object) -> None:
        if isinstance(target, ProjectRecord):
            self._pending_project = target.gid
            self.choose_project(target.gid)

    def choose_project(self, gid: int) -> None:
        index = next((i for i, p in enumerate(self._projects) if p.gid == gid), None)
        if index is None:
            return
        self._pending_project = None
        self.claim.choose_project(gid)
        self.project_filter.setCurrentIndex(index + 2)
        self.apply_filter()

    def _did_load(self) -> None:
        count = self.model.rowCount()
        if count == 0:
            flt = self.current_filter()
            filtered = flt.text.strip() or flt.health or flt.project or flt.unclaimed
            self.note.setText("No device matches the filters." if filtered else
                              "No devices yet. Claim one above by scanning or typing its serial number.")
        else:
            more = "" if self.model.exhausted else "; scroll for more"
            self.note.setText(f"{count:,} device(s) shown{more}.")
        self._update_buttons()

    # -- acting -----------------------------------------------------------------------------------
    def selected_row(self) -> DeviceRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select_device(self, device_id: int) -> bool:
        row = self.model.row_of(device_id)
        if row is not None:
            self.table.selectRow(row)
        return row is not None

    def _update_buttons(self) -> None:
        row = self.selected_row()
        self.details_button.setEnabled(row is not None)
        self.plot_button.setEnabled(row is not None and row.device.claimed)
        for action in ACTIONS:
            claimed = row is not None and row.device.claimed and not row.device.busy
            self.action_buttons[action.key].setEnabled(action.missing is None and claimed)

    def show_details(self) -> None:
        row = self.selected_row()
        if row is not None:
            show_device_detail(self.ctx.core, self, self.ctx.session.account, row.device.slug)

    def plot_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.navigation_requested.emit("explorer", row.device)

    def confirm_unclaim(self) -> None:
        row = self.selected_row()
        if row is None:
            return
        slug = row.device.slug
        box = QMessageBox(QMessageBox.Icon.Question, f"Unclaim {slug}?",
                          f"Take {row.device.label} ({slug}) out of {row.project_name}? Its notes, locations and "
                          "properties are removed; it can then be claimed again.",
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("unclaimConfirm")
        clean = QCheckBox("Also delete its streams and all their readings")
        box.setCheckBox(clean)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda result: self._confirmed(slug, result, clean.isChecked()))
        box.open()

    def _confirmed(self, slug: str, result: int, clean_streams: bool) -> None:
        if result == int(QMessageBox.StandardButton.Yes.value):
            self.start_unclaim(slug, clean_streams=clean_streams)

    def start_unclaim(self, slug: str, *, clean_streams: bool) -> None:
        self.ctx.core.op(self, unclaimer(self.ctx.session.account, slug, clean_streams)).with_progress(
            "Starting the unclaim…").success(lambda pid: self.job.follow(pid, f"Unclaiming {slug}")).run()
