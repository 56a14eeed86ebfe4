"""What the device maintenance dialogs share: options, then a confirmation, then the job's progress.

Each operation (unclaim, reset, trim, move, archive) is a subclass that adds its options to a form
and says what it will delete and keep. The dialog walks three pages:

1. *Options*: the choices, with the device's facts (its data range, its readings); Continue.
2. *Please confirm*: what is deleted for good and what stays, in words; the danger button starts it.
3. *Progress*: the job's bar (``JobProgress``, the widget the Devices screen uses) until it is done
   or failed, then what the job did ("1,234 readings deleted") or why it failed.

Nothing here waits on the Qt thread: the job is asked for through the bridge and followed through
``job_did_change``. A refusal of the service (PermissionDenied, a refused range) is shown with
``show_error`` and the options page comes back, so the operator can change a choice and retry.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import ClassVar

from appliance.jobs.records import DONE, JobRecord
from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.errors import show_error
from gui.layout import WrapLabel, button_row, form_layout
from gui.models.jobs import local_time
from gui.operations import Op
from gui.operations.maintenance import DeviceFacts, finished_job
from gui.qt import (
    QCheckBox,
    QDateTime,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.theme import set_role
from gui.widgets.job_progress import JobProgress

LOGGER = logging.getLogger(__name__)
OPTIONS, CONFIRM, PROGRESS = 0, 1, 2
DATETIME_FORMAT = "yyyy-MM-dd HH:mm:ss"


@dataclass(frozen=True)
class Section:
    """One block of the confirmation: a heading ("This deletes, for good:") and its lines."""

    heading: str
    lines: tuple[str, ...]


_OPEN: set[QDialog] = set()


def keep_open(dialog: QDialog) -> None:
    """A dialog without a parent is owned by Python alone: keep it until it is closed."""
    if dialog.parent() is None:
        _OPEN.add(dialog)
        dialog.finished.connect(lambda _result: _OPEN.discard(dialog))


def count(n: int | None, what: str) -> str:
    """'1,234 readings'; an unknown count (no right to read data) is just 'the readings'."""
    if n is None:
        return f"the {what}s"
    return f"{n:,} {what}{'' if n == 1 else 's'}"


def datetime_edit(name: str, moment: datetime) -> QDateTimeEdit:
    """A large local-time picker with a calendar; seconds shown, since trims and masks keep them."""
    edit = QDateTimeEdit()
    edit.setObjectName(name)
    edit.setDisplayFormat(DATETIME_FORMAT)
    edit.setCalendarPopup(True)
    edit.setMinimumSize(260, 40)
    set_moment(edit, moment)
    return edit


def set_moment(edit: QDateTimeEdit, moment: datetime) -> None:
    edit.setDateTime(QDateTime.fromSecsSinceEpoch(int(moment.timestamp())))


def moment_of(edit: QDateTimeEdit) -> datetime:
    return datetime.fromtimestamp(edit.dateTime().toSecsSinceEpoch(), timezone.utc)


def ceil_second(moment: datetime) -> datetime:
    """The services keep whole seconds: an end rounded down would cut off the last reading."""
    whole = moment.replace(microsecond=0)
    return whole if whole == moment else whole + timedelta(seconds=1)


class MaintenanceDialog(QDialog):
    job_did_start = Signal(str, str)  # pid, what in a few words ("Resetting d--…")
    job_did_finish = Signal(str, str)  # pid, final status

    key: ClassVar[str] = ""
    title: ClassVar[str] = ""  # "Reset"
    intro: ClassVar[str] = ""  # one paragraph under the heading
    verb: ClassVar[str] = ""  # the danger button on the confirmation, with its mnemonic: "&Reset the device"
    doing: ClassVar[str] = ""  # "Resetting"

    def __init__(self, core: CoreThread, account: AccountRecord, facts: DeviceFacts,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"{self.key}Dialog")
        self.core, self.account, self.facts = core, account, facts
        self.device = facts.device
        self.setWindowTitle(f"{self.title} {self.device.slug}")
        self.setMinimumWidth(720)
        self.pid: str | None = None
        self.final: JobRecord | None = None
        self.pages = QStackedWidget()
        self.confirm_text = WrapLabel("")
        self.confirm_text.setObjectName("maintenanceConsequences")
        self.result_label = WrapLabel("")
        self.result_label.setObjectName("maintenanceResult")
        self.job = JobProgress(core, self)
        self._buttons()
        self.pages.addWidget(self._options_page())
        self.pages.addWidget(self._page(QLabel("Please confirm"), self.confirm_text))
        self.pages.addWidget(self._page(QLabel("Progress"), self.job, self.result_label))
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(14)
        box.addWidget(self._heading())
        box.addWidget(self.pages, 1)
        box.addLayout(button_row(self.back_button, self.next_button, self.start_button, self.close_button,
                                 stretch_at=0))
        self.job.job_did_finish.connect(self._job_finished)
        self._show_page(OPTIONS)

    # -- what subclasses provide ------------------------------------------------------------------
    def build(self, form: QFormLayout) -> None:
        """Add the operation's options to the form."""

    def problem(self) -> str | None:
        """Why the chosen options cannot be started (said in place), or None."""
        return None

    def prepare(self, done: Callable[[str | None], None]) -> None:
        """Work before the confirmation (trim counts its readings); ``done(problem_or_None)``."""
        done(None)

    def sections(self) -> list[Section]:
        return []

    def starter(self) -> Op[str]:
        raise NotImplementedError

    def summary(self, job: JobRecord) -> str:
        return "Finished."

    # -- building ---------------------------------------------------------------------------------
    def _buttons(self) -> None:
        self.back_button = QPushButton("Cancel")
        self.back_button.setObjectName("maintenanceBack")
        self.next_button = QPushButton("Continue…")
        self.next_button.setObjectName("maintenanceContinue")
        set_role(self.next_button, "primary")
        self.start_button = QPushButton(self.verb)
        self.start_button.setObjectName("maintenanceStart")
        set_role(self.start_button, "danger")
        self.close_button = QPushButton("Close")
        self.close_button.setObjectName("maintenanceClose")
        self.back_button.clicked.connect(self._back)
        self.next_button.clicked.connect(self.go_on)
        self.start_button.clicked.connect(self.start)
        self.close_button.clicked.connect(self.accept)

    def _heading(self) -> QLabel:
        heading = WrapLabel(f"{self.title}: {html.escape(self.device.label or '(no label)')}  "
                            f"<span style='font-weight:400'>{self.device.slug}</span>")
        set_role(heading, "title")
        return heading

    def _options_page(self) -> QWidget:
        self.problem_label = WrapLabel("")
        set_role(self.problem_label, "error")
        intro = WrapLabel(self.intro)
        set_role(intro, "help")
        holder = QWidget()
        form = form_layout()
        form.setContentsMargins(0, 0, 0, 0)
        holder.setLayout(form)
        self.build(form)
        return self._page(None, intro, holder, self.problem_label)

    @staticmethod
    def _page(heading: QLabel | None, *widgets: QWidget) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(12)
        if heading is not None:
            set_role(heading, "section")
            box.addWidget(heading)
        for widget in widgets:
            box.addWidget(widget)
        box.addStretch(1)
        return page

    def _show_page(self, index: int) -> None:
        self.pages.setCurrentIndex(index)
        self.back_button.setVisible(index != PROGRESS)
        self.back_button.setText("Cancel" if index == OPTIONS else "Back")
        self.next_button.setVisible(index == OPTIONS)
        self.start_button.setVisible(index == CONFIRM)
        self.close_button.setVisible(index == PROGRESS)
        # Enter on the confirmation goes Back: a barcode scanner's Enter (or a second, hasty one) must never
        # start a deletion. The danger button takes a click, Tab then Space, or its Alt mnemonic.
        default = {OPTIONS: self.next_button, CONFIRM: self.back_button, PROGRESS: self.close_button}[index]
        default.setDefault(True)
        default.setFocus()
        self.adjustSize()

    # -- walking the pages ------------------------------------------------------------------------
    def _back(self) -> None:
        if self.pages.currentIndex() == CONFIRM:
            self._show_page(OPTIONS)
        else:
            self.reject()

    def go_on(self) -> None:
        """Continue: check the options, prepare, then show what will be deleted."""
        problem = self.problem()
        self.problem_label.setText(problem or "")
        if problem:
            return
        self.next_button.setEnabled(False)
        self.prepare(self._prepared)

    def _prepared(self, problem: str | None) -> None:
        self.next_button.setEnabled(True)
        self.confirm_text.setText(self._consequences())
        self.start_button.setEnabled(problem is None)
        if problem:
            self.confirm_text.setText(f"{self.confirm_text.text()}<p style='color:#a3001b'><b>"
                                      f"{html.escape(problem)}</b></p>")
        self._show_page(CONFIRM)

    def _consequences(self) -> str:
        parts = [f"<p><b>{html.escape(s.heading)}</b></p>"
                 + ("<ul>" + "".join(f"<li>{html.escape(line)}</li>" for line in s.lines) + "</ul>" if s.lines else "")
                 for s in self.sections()]
        return "".join(parts)

    def start(self) -> None:
        self.start_button.setEnabled(False)
        self.back_button.setEnabled(False)
        self.core.op(self, self.starter()).with_progress(f"Starting: {self.title.lower()}…").success(
            self._started).failure(self._refused).run()

    def _refused(self, error: BaseException) -> None:
        self.start_button.setEnabled(True)
        self.back_button.setEnabled(True)
        self._show_page(OPTIONS)
        show_error(self, error)

    def _started(self, pid: str) -> None:
        self.pid = pid
        what = f"{self.doing} {self.device.slug}"
        self.job.follow(pid, what)
        self.result_label.setText("You may close this window: the job goes on, and the Jobs screen shows it.")
        set_role(self.result_label, "help")
        self._show_page(PROGRESS)
        self.job_did_start.emit(pid, what)

    def _job_finished(self, pid: str, status: str) -> None:
        self.core.op(self, finished_job(pid)).success(self._show_result).failure(lambda _e: None).run()
        self.job_did_finish.emit(pid, status)

    def _show_result(self, job: JobRecord) -> None:
        self.final = job
        if job.status == DONE:
            self.result_label.setText(f"{self.summary(job)} (finished {local_time(job.finished_on)})")
            set_role(self.result_label, "ok")
        else:
            reason = job.error or job.message or job.status
            self.result_label.setText(f"It did not finish: {reason}. Nothing more will happen. Check the "
                                      "device and try again, or show this message to your administrator.")
            set_role(self.result_label, "error")
        self.close_button.setFocus()


class OptionalMoment(QWidget):
    """A check box and a date-time picker: "☑ Delete readings before [2024-05-01 08:00:00]"."""

    def __init__(self, name: str, text: str, moment: datetime, checked: bool = True,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.check = QCheckBox(text)
        self.check.setObjectName(f"{name}Enabled")
        self.check.setChecked(checked)
        self.edit = datetime_edit(name, moment)
        self.edit.setEnabled(checked)
        self.check.toggled.connect(self.edit.setEnabled)
        row = button_row(self.check, self.edit)
        row.setContentsMargins(0, 0, 0, 0)
        self.setLayout(row)

    def value(self) -> datetime | None:
        return moment_of(self.edit) if self.check.isChecked() else None


def align(*moments: OptionalMoment) -> None:
    """Line the pickers up under each other, whatever the length of their check boxes' text."""
    width = max(moment.check.sizeHint().width() for moment in moments)
    for moment in moments:
        moment.check.setMinimumWidth(width)
