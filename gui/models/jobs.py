"""JobsModel: the job list as a lazy table, paged from ``appliance.jobs.page``.

Rows arrive a page at a time (Qt asks through canFetchMore/fetchMore as the operator scrolls).
Progress and status change in place from ``job_did_change`` events, so a running job's bar moves
without a query; a job the model has not seen (or one leaving the filter) triggers one debounced
reload. Replies from superseded reloads are dropped by a generation counter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any

from appliance.jobs.records import JobChanged, JobRecord
from gui.bridge import CoreThread
from gui.operations.jobs import JobPage, pager
from gui.qt import QAbstractTableModel, QColor, QModelIndex, QObject, QPersistentModelIndex, Qt, QTimer, Signal
from gui.widgets.progress_delegate import PROGRESS_ROLE, STATUS_ROLE

LOGGER = logging.getLogger(__name__)
PAGE = 100
RELOAD_DELAY_MS = 200
AnyIndex = QModelIndex | QPersistentModelIndex

STATUS_LABELS = {"queued": "Waiting", "running": "Running", "done": "Done", "failed": "Failed",
                 "cancelled": "Cancelled"}
STATUS_COLOURS = {"failed": "#a3001b", "done": "#1e6b2e", "cancelled": "#5a6470"}
KIND_LABELS = {"ping": "Check (ping)", "housekeeping": "Housekeeping"}


def local_time(moment: datetime | None) -> str:
    if moment is None:
        return ""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " ").capitalize())


@dataclass(frozen=True, kw_only=True)
class Column:
    key: str
    title: str
    value_fn: Callable[[JobRecord], str]


COLUMNS: tuple[Column, ...] = (
    Column(key="kind", title="Job", value_fn=lambda j: kind_label(j.kind)),
    Column(key="status", title="Status", value_fn=lambda j: STATUS_LABELS.get(j.status, j.status)),
    Column(key="progress", title="Progress", value_fn=lambda j: f"{j.progress}%"),
    Column(key="message", title="Message", value_fn=lambda j: j.error or j.message),
    Column(key="created", title="Started", value_fn=lambda j: local_time(j.started_on or j.created_on)),
    Column(key="finished", title="Finished", value_fn=lambda j: local_time(j.finished_on)),
)
PROGRESS_COLUMN = next(i for i, c in enumerate(COLUMNS) if c.key == "progress")


class JobsModel(QAbstractTableModel):
    jobs_did_load = Signal()
    jobs_did_fail = Signal(object)  # the exception; the screen says so in place, no dialog storm

    def __init__(self, core: CoreThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._core = core
        self._rows: list[JobRecord] = []
        self._by_pid: dict[str, int] = {}
        self._total = 0
        self._status: str | None = None
        self._generation = 0
        self._fetching = False
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self.reload)

    # -- Qt's table interface --------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        job, column = self._rows[index.row()], COLUMNS[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.value_fn(job)
        if role == PROGRESS_ROLE and column.key == "progress":
            return job.progress
        if role == STATUS_ROLE:
            return job.status
        if role == Qt.ItemDataRole.ForegroundRole and column.key == "status" and job.status in STATUS_COLOURS:
            return QColor(STATUS_COLOURS[job.status])
        if role == Qt.ItemDataRole.ToolTipRole and column.key == "message":
            return job.error or job.message or None
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].title
        return None

    def canFetchMore(self, parent: AnyIndex) -> bool:
        return not parent.isValid() and not self._fetching and len(self._rows) < self._total

    def fetchMore(self, parent: AnyIndex) -> None:
        if self.canFetchMore(parent):
            self._fetch(len(self._rows), PAGE, replace_rows=False)

    # -- ours -----------------------------------------------------------------------------------
    @property
    def total(self) -> int:
        return self._total

    def job_at(self, row: int) -> JobRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, pid: str) -> int | None:
        return self._by_pid.get(pid)

    def set_status_filter(self, status: str | None) -> None:
        self._status = status
        self.reload()

    def reload(self) -> None:
        self._reload_timer.stop()
        self._generation += 1
        self._fetch(0, max(PAGE, len(self._rows)), replace_rows=True)

    def schedule_reload(self) -> None:
        if not self._reload_timer.isActive():
            self._reload_timer.start()

    def apply_job_change(self, event: JobChanged) -> None:
        row = self._by_pid.get(event.pid)
        if row is None:
            if self._status in (None, event.status):
                self.schedule_reload()
            return
        self._rows[row] = replace(self._rows[row], status=event.status, progress=event.progress,
                                  message=event.message)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        if (self._status is not None and event.status != self._status) or event.status in ("done", "failed"):
            self.schedule_reload()  # leaves the filter, or gained times/results only a read has

    def _fetch(self, offset: int, limit: int, *, replace_rows: bool) -> None:
        generation = self._generation
        self._fetching = True
        self._core.op(self, pager(self._status, offset, limit)).success(
            lambda page: self._did_fetch(generation, page, replace_rows)).failure(self._did_fail).run()

    def _did_fetch(self, generation: int, page: JobPage, replace_rows: bool) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        self._total = page.total
        if replace_rows:
            self._replace(list(page.records))
        elif page.offset == len(self._rows) and page.records:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(page.records) - 1)
            self._rows.extend(page.records)
            self._index()
            self.endInsertRows()
        self.jobs_did_load.emit()

    def _replace(self, records: list[JobRecord]) -> None:
        """Same jobs in the same order: update in place (selection and scroll stay); else reset."""
        if [r.pid for r in records] == [r.pid for r in self._rows]:
            self._rows = records
            if records:
                self.dataChanged.emit(self.index(0, 0), self.index(len(records) - 1, len(COLUMNS) - 1))
            return
        self.beginResetModel()
        self._rows = records
        self._index()
        self.endResetModel()

    def _index(self) -> None:
        self._by_pid = {job.pid: row for row, job in enumerate(self._rows)}

    def _did_fail(self, error: BaseException) -> None:
        self._fetching = False
        LOGGER.warning("job list not read: %s", error)
        self.jobs_did_fail.emit(error)
