"""Jobs: every background job with a live progress bar; cancel one; start a check of the runner."""

from __future__ import annotations

import logging

from appliance.jobs.records import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobRecord
from gui.errors import show_error
from gui.layout import WrapLabel, button_row
from gui.models.jobs import PROGRESS_COLUMN, JobsModel, kind_label
from gui.operations.jobs import canceller, checker
from gui.qt import QAbstractItemView, QComboBox, QHeaderView, QLabel, QPushButton, QTableView, QWidget
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role
from gui.widgets.progress_delegate import ProgressDelegate

LOGGER = logging.getLogger(__name__)
FILTERS: tuple[tuple[str, str | None], ...] = (
    ("All jobs", None), ("Running", RUNNING), ("Waiting", QUEUED), ("Done", DONE), ("Failed", FAILED),
    ("Cancelled", CANCELLED),
)
ROW_HEIGHT = 42


class JobsScreen(Screen):
    key = "jobs"
    title = "Jobs"
    subtitle = "Long work (unclaim, reset, export, sync…) runs in the background and survives a restart."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.model = JobsModel(ctx.core, self)
        self._select_pid: str | None = None
        self.filter = QComboBox()
        self.filter.setObjectName("jobFilter")
        self.filter.setMinimumSize(200, 40)
        for label, _status in FILTERS:
            self.filter.addItem(label)
        self.check_button = QPushButton("Run a check")
        self.check_button.setToolTip("Start a short test job to see that background work runs")
        self.cancel_button = QPushButton("Cancel job")
        set_role(self.cancel_button, "danger")
        self.table = self._table()
        self.detail = WrapLabel("")
        set_role(self.detail, "help")
        self.layout_.addLayout(button_row(QLabel("Show:"), self.filter, self.check_button, self.cancel_button,
                                          stretch_at=2))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.detail)
        self._connect()
        self._update_buttons()

    def _table(self) -> QTableView:
        table = QTableView()
        table.setObjectName("jobsTable")
        table.setModel(self.model)
        table.setItemDelegateForColumn(PROGRESS_COLUMN, ProgressDelegate(table))
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setAlternatingRowColors(True)
        table.verticalHeader().setVisible(False)
        table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(PROGRESS_COLUMN, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(PROGRESS_COLUMN, 200)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        return table

    def _connect(self) -> None:
        self.ctx.core.job_did_change.connect(self.model.apply_job_change)
        self.filter.currentIndexChanged.connect(lambda i: self.model.set_status_filter(FILTERS[i][1]))
        self.check_button.clicked.connect(self.run_check)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.model.jobs_did_load.connect(self._did_load)
        self.model.jobs_did_fail.connect(lambda _err: self.detail.setText("The job list could not be read."))
        self.model.dataChanged.connect(lambda *_: self._update_buttons())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())

    def refresh(self) -> None:
        self.model.reload()

    def selected_job(self) -> JobRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.job_at(rows[0].row()) if rows else None

    def select_pid(self, pid: str) -> bool:
        row = self.model.row_of(pid)
        if row is None:
            return False
        self.table.selectRow(row)
        return True

    def run_check(self) -> None:
        self.check_button.setEnabled(False)
        self.ctx.core.op(self, checker(self.ctx.session.account.id)).success(self._did_start_check).failure(
            self._did_not_start).run()

    def _did_start_check(self, job: JobRecord) -> None:
        self.check_button.setEnabled(True)
        self._select_pid = job.pid
        self.model.reload()

    def _did_not_start(self, error: BaseException) -> None:
        self.check_button.setEnabled(True)
        show_error(self, error)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is None:
            return
        self.ctx.core.op(self, canceller(job.pid)).with_progress("Cancelling the job…").success(
            lambda _record: self.model.reload()).run()

    def _did_load(self) -> None:
        if self._select_pid is not None and self.select_pid(self._select_pid):
            self._select_pid = None
        self._update_buttons()
        if self.model.total == 0:
            self.detail.setText("No jobs to show.")

    def _update_buttons(self) -> None:
        job = self.selected_job()
        self.cancel_button.setEnabled(job is not None and job.status in (QUEUED, RUNNING))
        if job is not None:
            self.detail.setText(_describe(job))
        elif self.model.total:
            self.detail.setText(f"{self.model.total:,} jobs. Select one to see its details or cancel it.")


def _describe(job: JobRecord) -> str:
    parts = [f"{kind_label(job.kind)} — {job.status}, attempt {job.attempts} of {job.max_attempts}."]
    if job.error:
        parts.append(f"Error: {job.error}")
    elif job.message:
        parts.append(job.message)
    return " ".join(parts)
