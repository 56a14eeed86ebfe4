"""Projects: every project the operator may see, a filter box, New project, and a project's devices.

Opening a project (double-click, Enter, or "Show devices") goes to the Devices screen filtered to
that project. Ctrl+N starts a new project; Ctrl+F goes to the filter box.
"""

from __future__ import annotations

import logging

from appliance.events import Changes
from appliance.services.projects import ProjectRecord
from gui.dialogs.new_project import show_new_project
from gui.layout import WrapLabel, button_row, table_view
from gui.models.projects import ProjectsModel
from gui.qt import (
    QHeaderView,
    QKeySequence,
    QLineEdit,
    QModelIndex,
    QPushButton,
    QShortcut,
    Qt,
    QTableView,
    QTimer,
    QWidget,
)
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
FILTER_DELAY_MS = 250


class ProjectsScreen(Screen):
    key = "projects"
    title = "Projects"
    subtitle = "A project groups the devices of one line or site. Open one to see its devices."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = ProjectsModel(ctx.core, ctx.session.account, self)
        self.filter = QLineEdit()
        self.filter.setObjectName("projectFilter")
        self.filter.setPlaceholderText("Filter projects  (Ctrl+F)")
        self.filter.setToolTip("Shows the projects whose name or organization contains this text")
        self.filter.setClearButtonEnabled(True)
        self.filter.setMinimumWidth(320)
        self.new_button = QPushButton("New project…")
        self.new_button.setObjectName("newProjectButton")
        self.new_button.setToolTip("Create a project (Ctrl+N)")
        set_role(self.new_button, "primary")
        self.open_button = QPushButton("Show devices")
        self.open_button.setObjectName("openProjectButton")
        self.table = self._table()
        self.note = WrapLabel("")
        set_role(self.note, "help")
        self.layout_.addLayout(button_row(self.filter, self.open_button, self.new_button, stretch_at=1))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.note)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._select_gid: int | None = None
        self._announce = ""
        self._connect()
        self._update_buttons()

    def _table(self) -> QTableView:
        table = table_view("projectsTable")
        table.setModel(self.model)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        return table

    def _connect(self) -> None:
        self.filter.textChanged.connect(lambda _text: self._filter_timer.start())
        self._filter_timer.timeout.connect(lambda: self.model.set_text(self.filter.text()))
        self.filter.returnPressed.connect(self._focus_table)
        self.new_button.clicked.connect(self.new_project)
        self.open_button.clicked.connect(self.open_selected)
        self.table.activated.connect(lambda _index: self.open_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.model.rows_did_load.connect(self._did_load)
        self.model.rows_did_fail.connect(lambda _e: self.note.setText("The project list could not be read."))
        self.ctx.core.changes_did_apply.connect(self._on_changes)
        for keys, slot in (("Ctrl+N", self.new_project), ("Ctrl+F", self._focus_filter)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(slot)

    def _on_changes(self, changes: Changes) -> None:
        if changes.projects or changes.devices or changes.orgs:
            self.mark_dirty()

    def refresh(self) -> None:
        if self.model.loaded_once:
            self.model.reload()
        else:
            self.model.set_text(self.filter.text())

    def selected_project(self) -> ProjectRecord | None:
        rows = self.table.selectionModel().selectedRows()
        row = self.model.row_at(rows[0].row()) if rows else None
        return row.project if row is not None else None

    def select_project(self, gid: int) -> bool:
        row = self.model.row_of(gid)
        if row is not None:
            self.table.selectRow(row)
        return row is not None

    def open_selected(self) -> None:
        project = self.selected_project()
        if project is not None:
            self.navigation_requested.emit("devices", project)

    def new_project(self) -> None:
        show_new_project(self.ctx.core, self, self.ctx.session.account, self._did_create)

    def _did_create(self, project: ProjectRecord) -> None:
        self._select_gid = project.gid
        self._announce = f"Project “{project.name}” created. Claim devices into it on the Devices screen."
        self.filter.blockSignals(True)
        self.filter.clear()
        self.filter.blockSignals(False)
        self.model.set_text("")

    def _did_load(self) -> None:
        if self._select_gid is not None and self.select_project(self._select_gid):
            self._select_gid = None
        count = self.model.rowCount()
        if self._announce:
            self.note.setText(self._announce)
            self._announce = ""
        elif count == 0:
            self.note.setText("No project matches the filter." if self.filter.text().strip() else
                              "No projects yet. Create one with New project (Ctrl+N).")
        else:
            more = "" if self.model.exhausted else " shown; scroll for more"
            self.note.setText(f"{count:,} project(s){more}. Double-click one (or press Enter) to see its devices.")
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.open_button.setEnabled(self.selected_project() is not None)

    def _focus_filter(self) -> None:
        self.filter.setFocus()
        self.filter.selectAll()

    def _focus_table(self) -> None:
        self.table.setFocus()
        if self.model.rowCount() and not self.table.selectionModel().hasSelection():
            self.table.setCurrentIndex(self.model.index(0, 0, QModelIndex()))
            self.table.selectRow(0)
