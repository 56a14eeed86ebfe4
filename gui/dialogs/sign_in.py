"""Sign-in: e-mail, password, and "keep me signed in" (a token kept in the appliance's secrets).

A wrong password is said in the dialog itself, next to the fields, so the operator can simply type
again; only unexpected failures open an error box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.errors import ApplianceError
from gui.bridge import CoreThread
from gui.errors import describe, log_error, show_error
from gui.layout import WrapLabel, button_row, form_layout
from gui.operations.session import Session, sign_in
from gui.qt import QCheckBox, QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget, Signal
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


class SignInDialog(QDialog):
    session_did_start = Signal(object)  # Session

    def __init__(self, core: CoreThread, parent: QWidget | None = None, email: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("signInDialog")
        self.setWindowTitle("Sign in to IOTile Appliance")
        self.setMinimumWidth(560)
        self._core = core
        self.email = QLineEdit(email)
        self.email.setObjectName("signInEmail")
        self.password = QLineEdit()
        self.password.setObjectName("signInPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.remember = QCheckBox("Keep me signed in on this computer")
        self.remember.setChecked(True)
        self.message = WrapLabel("")
        set_role(self.message, "error")
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setObjectName("signInButton")
        set_role(self.sign_in_button, "primary")
        self.sign_in_button.setDefault(True)
        self.quit_button = QPushButton("Quit")
        self._build()
        self.sign_in_button.clicked.connect(self.submit)
        self.quit_button.clicked.connect(self.reject)

    def _build(self) -> None:
        title = QLabel("Sign in")
        set_role(title, "title")
        form = form_layout()
        form.addRow("E-mail", self.email)
        form.addRow("Password", self.password)
        form.addRow("", self.remember)
        box = QVBoxLayout(self)
        box.setContentsMargins(28, 24, 28, 20)
        box.setSpacing(14)
        box.addWidget(title)
        box.addLayout(form)
        box.addWidget(self.message)
        box.addLayout(button_row(self.quit_button, self.sign_in_button, stretch_at=0))
        (self.password if self.email.text() else self.email).setFocus()

    def submit(self) -> None:
        email, password, remember = self.email.text().strip(), self.password.text(), self.remember.isChecked()
        if not email or not password:
            self.message.setText("Enter your e-mail address and your password.")
            return
        self.message.setText("")
        self.sign_in_button.setEnabled(False)
        self._core.op(self, lambda appliance: sign_in(appliance, email, password, remember)).with_progress(
            "Signing in…").success(self._did_sign_in).failure(self._did_not_sign_in).run()

    def _did_sign_in(self, session: Session) -> None:
        self.password.clear()
        self.session_did_start.emit(session)
        self.accept()

    def _did_not_sign_in(self, error: BaseException) -> None:
        self.sign_in_button.setEnabled(True)
        if not isinstance(error, ApplianceError):
            show_error(self, error)
            return
        log_error(error)
        text = describe(error)
        self.message.setText(f"{text.message} {text.todo}")
        self.password.selectAll()
        self.password.setFocus()


def show_sign_in(core: CoreThread, parent: QWidget | None, on_session: Callable[[Session], None],
                 on_cancel: Callable[[], None], email: str = "") -> SignInDialog:
    """Open window-modal and return at once; exactly one of the callbacks runs."""
    dialog = SignInDialog(core, parent, email)
    dialog.session_did_start.connect(on_session)
    dialog.rejected.connect(on_cancel)
    dialog.open()
    return dialog
