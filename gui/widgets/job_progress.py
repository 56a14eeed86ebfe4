"""JobProgress: a labelled progress bar that follows one background job to its end.

Device operations (unclaim, reset, trim, archive) are jobs. The screen starts one, gets its pid and
calls ``follow``: the bar moves with the bridge's ``job_did_change`` events. The job may have moved
(or even finished) before the pid came back, so the job is also read once when following starts;
whichever is newer wins, and a finished job stays finished.
"""

from __future__ import annotations

import logging

from appliance.jobs.records import DONE, FAILED, TERMINAL, JobChanged, JobRecord
from gui.bridge import CoreThread
from gui.operations.jobs import job_reader
from gui.qt import QFrame, QLabel, QProgressBar, QSizePolicy, QVBoxLayout, QWidget, Signal
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


class JobProgress(QFrame):
    job_did_finish = Signal(str, str)  # pid, final status (done, failed, cancelled)

    def __init__(self, core: CoreThread, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobProgress")
        set_role(self, "card")
        self._core = core
        self.pid: str | None = None
        self.status = ""
        self._what = ""
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setObjectName("jobProgressBar")
        self.bar.setRange(0, 100)
        self.bar.setMinimumHeight(30)
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 10, 16, 12)
        box.addWidget(self.label)
        box.addWidget(self.bar)
        self.setVisible(False)
        core.job_did_change.connect(self._on_change)

    def follow(self, pid: str, what: str) -> None:
        """``what``: the operation in a few words, e.g. "Unclaiming d--0000-0000-0000-1234"."""
        self.pid, self._what, self.status = pid, what, "queued"
        self.bar.setValue(0)
        set_role(self.bar, "", name="level")
        self.label.setText(f"{what}: waiting to start…")
        self.setVisible(True)
        self._core.op(self, job_reader(pid)).success(self._did_read).failure(lambda _e: None).run()

    def _did_read(self, job: JobRecord) -> None:
        if job.pid == self.pid and self.status not in TERMINAL:
            self._show(job.status, job.progress, job.error or job.message)

    def _on_change(self, event: JobChanged) -> None:
        if event.pid == self.pid and self.status not in TERMINAL:
            self._show(event.status, event.progress, event.message)

    def _show(self, status: str, progress: int, message: str) -> None:
        self.status = status
        self.bar.setValue(100 if status == DONE else progress)
        if status == DONE:
            self.label.setText(f"{self._what}: done.")
        elif status == FAILED:
            set_role(self.bar, "error", name="level")
            self.label.setText(f"{self._what} failed: {message or 'see the Jobs screen'}")
        elif status in TERMINAL:
            self.label.setText(f"{self._what}: {status}.")
        else:
            self.label.setText(f"{self._what}: {message or status}…")
        if status in TERMINAL and self.pid is not None:
            self.job_did_finish.emit(self.pid, status)
