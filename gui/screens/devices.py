"""Devices: claim by serial number or scanner, a filterable list with health, and device operations.

The list pages from the device service (gui/models/devices.py). Unclaim, Reset, Trim, Move and
Archive open their dialog (gui/dialogs/maintenance.py): options, a confirmation of what is deleted,
then the job's progress; the bar under the list follows the job too, and the list reads again when
it ends. A button the operator's role (or the device's state) does not allow is disabled, with the
reason as its tooltip, by the rules the services apply. Enter (or a double-click) opens the details.
"""

from __future__ import annotations

import logging

from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from appliance.services.permissions import Access
from appliance.services.projects import ProjectRecord
from gui.dialogs.device_detail import show_device_detail
from gui.dialogs.maintenance import show_maintenance
from gui.dialogs.maintenance_base import MaintenanceDialog
from gui.layout import WrapLabel, button_row, table_view
from gui.models.devices import DevicesModel
from gui.operations.devices import DeviceFilter, DeviceRow, unclaimer
from gui.operations.maintenance import ACTIONS, access_reader, refusal
from gui.operations.projects import all_projects
from gui.qt import (
    QComboBox,
    QHeaderView,
    QKeySequence,
    QLabel,
    QLineEdit,
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
        self.access: Access | None = None  # the operator's roles, for enabling the operations
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
            set_role(button, "danger")
            button.clicked.connect(lambda _checked=False, key=action.key: self.open_action(key))
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
        self.ctx.core.op(self, access_reader(self.ctx.session.account)).success(self._show_access).run()
        if self.model.loaded_once:
            self.model.reload()
        elif self._pending_project is None:
            self.apply_filter()

    def _show_access(self, access: Access) -> None:
        self.access = access
        self._update_buttons()

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
            why_not = refusal(action, self.access, row.device if row is not None else None)
            button = self.action_buttons[action.key]
            button.setEnabled(why_not is None)
            button.setToolTip(why_not or action.tip)

    def show_details(self) -> None:
        row = self.selected_row()
        if row is not None:
            show_device_detail(self.ctx.core, self, self.ctx.session.account, row.device.slug)

    def plot_selected(self) -> None:
        row = self.selected_row()
        if row is not None:
            self.navigation_requested.emit("explorer", row.device)

    def open_action(self, key: str) -> None:
        """Open the operation's dialog for the selected device; its job is followed here too."""
        row = self.selected_row()
        if row is not None:
            show_maintenance(self.ctx.core, self, self.ctx.session.account, row.device.slug, key, self._opened)

    def _opened(self, dialog: MaintenanceDialog) -> None:
        dialog.job_did_start.connect(self.job.follow)
        dialog.job_did_finish.connect(lambda _pid, _status: self.model.reload())

    def start_unclaim(self, slug: str, *, clean_streams: bool) -> None:
        """Unclaim without the dialog (scripted flows and screenshots)."""
        self.ctx.core.op(self, unclaimer(self.ctx.session.account, slug, clean_streams)).with_progress(
            "Starting the unclaim…").success(lambda pid: self.job.follow(pid, f"Unclaiming {slug}")).run()
