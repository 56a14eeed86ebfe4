"""ClaimPanel: claim a device by typing or scanning its serial number, then Enter.

A barcode scanner acting as a keyboard types the serial and presses Enter, so the line edit is
large, keeps the focus, is emptied as soon as a serial is submitted (the next scan can follow at
once) and says under it which device the text names (``0x1234`` → ``d--0000-0000-0000-1234``).
Serials are read as the device service reads them: ``0x`` hex, a ``d--`` slug, or decimal digits.
Results and refusals are said in the panel, not in dialogs, so a scanning operator never has to
reach for the mouse.
"""

from __future__ import annotations

import logging

from appliance.errors import ApplianceError, NotFound
from appliance.services.accounts import AccountRecord
from appliance.services.projects import ProjectRecord
from appliance.slugs import DeviceSlug
from gui.bridge import CoreThread
from gui.errors import describe, log_error
from gui.layout import WrapLabel, button_row
from gui.operations.devices import Claimed, claimer, parse_serial
from gui.qt import QComboBox, QFrame, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, Signal
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


def describe_serial(text: str) -> str:
    """The hint under the box: which device the text names, or why it names none."""
    if not text.strip():
        return "Serial numbers: 0x1234, d--0000-0000-0000-1234, or decimal digits."
    try:
        return f"→ {DeviceSlug(parse_serial(text)).slug}"
    except ApplianceError:
        return "Not a serial number (use 0x1234, d--0000-0000-0000-1234 or decimal digits)."


class ClaimPanel(QFrame):
    device_did_claim = Signal(object)  # Claimed

    def __init__(self, core: CoreThread, account: AccountRecord, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        set_role(self, "card")
        self._core, self._account = core, account
        self._projects: list[ProjectRecord] = []
        self.serial = QLineEdit()
        self.serial.setObjectName("claimSerial")
        self.serial.setPlaceholderText("Scan or type a serial number, then press Enter")
        self.serial.setMinimumWidth(360)
        self.project = QComboBox()
        self.project.setObjectName("claimProject")
        self.project.setMinimumSize(240, 52)
        self.claim_button = QPushButton("Claim")
        self.claim_button.setObjectName("claimButton")
        self.claim_button.setMinimumHeight(52)
        set_role(self.claim_button, "primary")
        self.hint = QLabel(describe_serial(""))
        set_role(self.hint, "help")
        self.message = WrapLabel("")
        self.message.setObjectName("claimMessage")
        self._build()
        self.serial.textChanged.connect(lambda text: self.hint.setText(describe_serial(text)))
        self.serial.returnPressed.connect(self.submit)
        self.claim_button.clicked.connect(self.submit)

    def _build(self) -> None:
        box = QVBoxLayout(self)
        box.setContentsMargins(20, 12, 20, 14)
        box.setSpacing(6)
        heading = QLabel("Claim a device")
        set_role(heading, "section")
        heading.setStyleSheet("margin-top: 0;")
        into = QLabel("into")
        box.addWidget(heading)
        box.addLayout(button_row(self.serial, into, self.project, self.claim_button))
        box.addWidget(self.hint)
        box.addWidget(self.message)

    def set_projects(self, projects: list[ProjectRecord]) -> None:
        current = self.current_project()
        self._projects = list(projects)
        self.project.clear()
        for project in projects:
            self.project.addItem(project.name)
        keep = next((i for i, p in enumerate(projects) if current is not None and p.gid == current.gid), 0)
        self.project.setCurrentIndex(keep if projects else -1)
        self.project.setEnabled(bool(projects))
        self.claim_button.setEnabled(bool(projects))
        if not projects:
            self._say("There is no project to claim into yet. Create one on the Projects screen.", "help")

    def choose_project(self, gid: int) -> None:
        index = next((i for i, p in enumerate(self._projects) if p.gid == gid), -1)
        if index >= 0:
            self.project.setCurrentIndex(index)

    def current_project(self) -> ProjectRecord | None:
        index = self.project.currentIndex()
        return self._projects[index] if 0 <= index < len(self._projects) else None

    def submit(self) -> None:
        text, project = self.serial.text(), self.current_project()
        if not text.strip():
            return
        try:
            device_id = parse_serial(text)
        except ApplianceError:
            self._refuse(describe_serial(text))
            return
        if project is None:
            self._refuse("Choose the project to claim the device into.")
            return
        self.serial.clear()
        self.serial.setFocus()
        self._say(f"Claiming {DeviceSlug(device_id).slug} into {project.name}…", "help")
        self._core.op(self, claimer(self._account, device_id, project)).success(self._did_claim).failure(
            lambda error: self._did_fail(device_id, error)).run()

    def _did_claim(self, claimed: Claimed) -> None:
        self._say(f"✔ {claimed.device} claimed into {claimed.project}. Scan the next device.", "ok")
        self.device_did_claim.emit(claimed)

    def _did_fail(self, device_id: int, error: BaseException) -> None:
        log_error(error)
        slug = DeviceSlug(device_id).slug
        if isinstance(error, NotFound):
            self._say(f"✘ No device {slug} is registered on this appliance. Check the serial number.", "error")
        elif isinstance(error, ApplianceError):
            text = describe(error)
            self._say(f"✘ {slug}: {text.message} {text.todo}", "error")
        else:
            self._say(f"✘ {slug} was not claimed: {describe(error).message}", "error")

    def _refuse(self, text: str) -> None:
        self._say(text, "error")
        self.serial.setFocus()
        self.serial.selectAll()

    def _say(self, text: str, role: str) -> None:
        self.message.setText(text)
        set_role(self.message, role)
