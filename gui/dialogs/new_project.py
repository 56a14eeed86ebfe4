"""New project: choose the organization, type a name. ``show_new_project`` reads the organizations
first (those where the operator may create projects) and opens the dialog only then.

A refused name (empty, too long, already used in that organization) is said inside the dialog so
the operator can simply correct it; anything unexpected opens the usual error box.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.errors import Conflict, PermissionDenied, ValidationError
from appliance.services.accounts import AccountRecord
from appliance.services.orgs import OrgRecord
from appliance.services.projects import ProjectRecord
from gui.bridge import CoreThread
from gui.errors import describe, show_error
from gui.layout import WrapLabel, button_row, form_layout
from gui.operations.first_run import PROJECT_NAME_MAX
from gui.operations.projects import manageable_orgs, project_creator
from gui.qt import QComboBox, QDialog, QLabel, QLineEdit, QPushButton, QVBoxLayout, QWidget
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


class NewProjectDialog(QDialog):
    def __init__(self, core: CoreThread, account: AccountRecord, orgs: list[OrgRecord],
                 on_created: Callable[[ProjectRecord], None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("newProjectDialog")
        self.setWindowTitle("New project")
        self.setMinimumWidth(560)
        self._core, self._account, self._orgs, self._on_created = core, account, orgs, on_created
        self.org = QComboBox()
        self.org.setObjectName("newProjectOrg")
        for org in orgs:
            self.org.addItem(org.name)
        self.name = QLineEdit()
        self.name.setObjectName("newProjectName")
        self.name.setMaxLength(PROJECT_NAME_MAX)
        self.name.setPlaceholderText("For example: Line 2 – packing")
        self.message = WrapLabel("")
        set_role(self.message, "error")
        self.create_button = QPushButton("Create project")
        set_role(self.create_button, "primary")
        self.create_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self._build()
        self.create_button.clicked.connect(self.submit)
        self.cancel_button.clicked.connect(self.reject)

    def _build(self) -> None:
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(14)
        heading = QLabel("New project")
        set_role(heading, "title")
        help_text = WrapLabel("A project groups the devices of one line or site. Devices are claimed into a "
                              "project, and their data is kept with it.")
        set_role(help_text, "help")
        form = form_layout()
        form.addRow("Organization", self.org)
        form.addRow("Project name", self.name)
        box.addWidget(heading)
        box.addWidget(help_text)
        box.addLayout(form)
        box.addWidget(self.message)
        box.addLayout(button_row(self.cancel_button, self.create_button, stretch_at=0))

    def submit(self) -> None:
        name = self.name.text().strip()
        if not name:
            self._refuse("Type a name for the project.")
            return
        org = self._orgs[self.org.currentIndex()]
        self.create_button.setEnabled(False)
        self.message.setText("")
        self._core.op(self, project_creator(self._account, org.slug, name)).success(self._did_create).failure(
            self._did_fail).run()

    def _did_create(self, project: ProjectRecord) -> None:
        self.accept()
        self._on_created(project)

    def _did_fail(self, error: BaseException) -> None:
        self.create_button.setEnabled(True)
        if isinstance(error, (ValidationError, Conflict, PermissionDenied)):
            text = describe(error)
            self._refuse(f"{text.message} {text.todo}")
            return
        show_error(self, error)

    def _refuse(self, text: str) -> None:
        self.message.setText(text)
        self.name.setFocus()
        self.name.selectAll()


def show_new_project(core: CoreThread, parent: QWidget | None, account: AccountRecord,
                     on_created: Callable[[ProjectRecord], None]) -> None:
    """Reads the organizations, then opens the dialog (or says why no project can be created)."""
    def open_dialog(orgs: list[OrgRecord]) -> None:
        if not orgs:
            show_error(parent, PermissionDenied("you may not create projects in any organization",
                                                key="no_project_orgs"))
            return
        dialog = NewProjectDialog(core, account, orgs, on_created, parent)
        dialog.setModal(True)
        dialog.show()
        dialog.name.setFocus()

    core.op(parent, manageable_orgs(account)).success(open_dialog).run()
