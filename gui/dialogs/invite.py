"""Invite…: an e-mail address and a role; on success the invitation's accept link, read-only, with
"Copy link". The token is shown only here (the service stores its hash), so the operator can hand the
link over when no SMTP server is configured. Resending opens the same dialog on the new link.

A refused address or role (ValidationError, PermissionDenied, Conflict) is said inside the dialog
through ``gui.errors.describe``; anything else opens the usual error box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.errors import Conflict, PermissionDenied, ValidationError
from appliance.services.accounts import AccountRecord
from appliance.services.invitations import IssuedInvitation
from appliance.services.memberships import OWNER_POWERS
from appliance.services.orgs import OrgRecord
from appliance.services.permissions import DEFAULT_ROLE, MEMBER_ROLES
from gui.bridge import CoreThread
from gui.errors import describe, show_error
from gui.layout import WrapLabel, button_row, form_layout
from gui.models.members import role_name
from gui.operations.members import inviter
from gui.qt import (
    QComboBox,
    QDialog,
    QGuiApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


def assignable_roles(actor_role: str) -> list[str]:
    """Only an owner (or staff) may make someone an owner: the others are not offered it."""
    return [r for r in MEMBER_ROLES if r != "a0" or actor_role in OWNER_POWERS]


class InviteDialog(QDialog):
    def __init__(self, core: CoreThread, account: AccountRecord, org: OrgRecord, actor_role: str,
                 on_sent: Callable[[IssuedInvitation], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("inviteDialog")
        self.setWindowTitle("Invite to " + org.name)
        self.setMinimumWidth(820)
        self._core, self._account, self._org, self._on_sent = core, account, org, on_sent
        self.issued: IssuedInvitation | None = None
        self.email = QLineEdit()
        self.email.setObjectName("inviteEmail")
        self.email.setPlaceholderText("name@example.com")
        self.role = QComboBox()
        self.role.setObjectName("inviteRole")
        self._roles = assignable_roles(actor_role)
        for code in self._roles:
            self.role.addItem(f"{role_name(code)} ({code})", code)
        self.role.setCurrentIndex(self._roles.index(DEFAULT_ROLE))
        self.message = WrapLabel("")
        self.message.setObjectName("inviteMessage")
        set_role(self.message, "error")
        self.link = QLineEdit()
        self.link.setObjectName("inviteLink")
        self.link.setReadOnly(True)
        self.link_label = QLabel("Accept link")
        self.copy_button = QPushButton("Copy link")
        self.copy_button.setObjectName("copyInviteLink")
        self.send_button = QPushButton("Send invitation")
        self.send_button.setObjectName("sendInvitation")
        set_role(self.send_button, "primary")
        self.send_button.setDefault(True)
        self.close_button = QPushButton("Cancel")
        self._build()
        self._show_link_row(False)
        self.send_button.clicked.connect(self.submit)
        self.copy_button.clicked.connect(self.copy_link)
        self.close_button.clicked.connect(self.reject)

    def _build(self) -> None:
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(14)
        heading = QLabel(f"Invite to {self._org.name}")
        set_role(heading, "title")
        help_text = WrapLabel("The invited person opens the link in a web browser, sets a password (or signs in) "
                              "and joins with the role you choose. "
                              "It is e-mailed when an SMTP server is set up in Settings; otherwise copy it "
                              "and send it yourself. It works for 14 days.")
        set_role(help_text, "help")
        form = form_layout()
        form.addRow("E-mail address", self.email)
        form.addRow("Role", self.role)
        link_row = QHBoxLayout()
        link_row.setSpacing(12)
        link_row.addWidget(self.link, 1)
        link_row.addWidget(self.copy_button)
        form.addRow(self.link_label, link_row)
        box.addWidget(heading)
        box.addWidget(help_text)
        box.addLayout(form)
        box.addWidget(self.message)
        box.addLayout(button_row(self.close_button, self.send_button, stretch_at=0))

    def _show_link_row(self, visible: bool) -> None:
        for widget in (self.link_label, self.link, self.copy_button):
            widget.setVisible(visible)

    def submit(self) -> None:
        email = self.email.text().strip()
        if not email:
            self._refuse("Type the e-mail address of the person to invite.")
            return
        self.send_button.setEnabled(False)
        self.message.setText("")
        role = str(self.role.currentData())
        self._core.op(self, inviter(self._account, self._org.id, email, role)).with_progress(
            "Sending the invitation…").success(self.show_issued).failure(self._did_fail).run()

    def show_issued(self, issued: IssuedInvitation) -> None:
        """The invitation went out (or was resent): show its link, ready to copy."""
        self.issued = issued
        self.email.setText(issued.invitation.email)
        if issued.invitation.role in self._roles:
            self.role.setCurrentIndex(self._roles.index(issued.invitation.role))
        self.email.setReadOnly(True)
        self.role.setEnabled(False)
        self.link.setText(issued.accept_url)
        self.link.setCursorPosition(0)
        self._show_link_row(True)
        sent = "It was e-mailed to" if issued.email_sent else "No e-mail was sent (SMTP is not set up): send it to"
        self.message.setText(f"Invitation ready. {sent} {issued.invitation.email}, or copy the link.")
        set_role(self.message, "ok")
        self.send_button.setVisible(False)
        self.close_button.setText("Close")
        self.close_button.clicked.disconnect()
        self.close_button.clicked.connect(self.accept)
        self.copy_button.setFocus()
        self._on_sent(issued)

    def copy_link(self) -> None:
        QGuiApplication.clipboard().setText(self.link.text())
        self.copy_button.setText("Copied")

    def _did_fail(self, error: BaseException) -> None:
        self.send_button.setEnabled(True)
        if isinstance(error, (ValidationError, Conflict, PermissionDenied)):
            text = describe(error)
            self._refuse(f"{text.message} {text.todo}")
            return
        show_error(self, error)

    def _refuse(self, text: str) -> None:
        set_role(self.message, "error")
        self.message.setText(text)
        self.email.setFocus()
        self.email.selectAll()


def show_invite(core: CoreThread, parent: QWidget | None, account: AccountRecord, org: OrgRecord, actor_role: str,
                on_sent: Callable[[IssuedInvitation], None], issued: IssuedInvitation | None = None) -> InviteDialog:
    """Opens the dialog empty, or (after a resend) already showing the new link."""
    dialog = InviteDialog(core, account, org, actor_role, on_sent if issued is None else lambda _i: None, parent)
    dialog.setModal(True)
    dialog.show()
    if issued is not None:
        dialog.show_issued(issued)
    else:
        dialog.email.setFocus()
    return dialog
