"""First-run wizard: the operator's account, the first organization and project, the upload address.

Every field is checked on its page with the services' own validators; nothing is written until the
last input page's "Create" button, which runs one operation (account, org, then the project when the
projects service exists). The last page shows the addresses devices should upload to.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.errors import ValidationError
from gui.bridge import CoreThread
from gui.errors import describe, log_error, show_error
from gui.layout import WrapLabel, button_row, form_layout
from gui.operations.first_run import (
    FirstRunInput,
    FirstRunPlan,
    FirstRunResult,
    check_account,
    check_org,
    check_project,
    complete_first_run,
)
from gui.operations.settings import save_changes
from gui.operations.status import StatusSnapshot, read_status
from gui.qt import (
    QCheckBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    Qt,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
    Signal,
)
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
ALL_ADDRESSES = "0.0.0.0"  # noqa: S104 - on purpose: devices on the LAN must reach the server


class _Page(QWizardPage):
    """A page whose check and on-enter work are given as functions rather than subclasses."""

    def __init__(self, title: str, subtitle: str) -> None:
        super().__init__()
        self.setTitle(f"<span style='font-size: 18pt; font-weight: 600'>{title}</span>")
        self.setSubTitle(subtitle)
        self.validator: Callable[[], bool] = lambda: True
        self.on_enter: Callable[[], None] | None = None

    def validatePage(self) -> bool:
        return self.validator()

    def initializePage(self) -> None:
        if self.on_enter is not None:
            self.on_enter()


def _page(title: str, subtitle: str) -> tuple[_Page, QVBoxLayout, QLabel]:
    page = _Page(title, subtitle)
    box = QVBoxLayout(page)
    box.setSpacing(12)
    error = WrapLabel("")
    set_role(error, "error")
    return page, box, error


def _field(form: QFormLayout, label: str, name: str, password: bool = False) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    if password:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
    form.addRow(label, edit)
    return edit


class FirstRunWizard(QWizard):
    setup_did_complete = Signal(object)  # FirstRunResult

    def __init__(self, core: CoreThread, plan: FirstRunPlan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("firstRunWizard")
        self.setWindowTitle("Set up IOTile Appliance")
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setMinimumSize(760, 560)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        self.setTitleFormat(Qt.TextFormat.RichText)
        self.setButtonText(QWizard.WizardButton.CommitButton, "Create")
        self._core = core
        self.result_: FirstRunResult | None = None
        self._busy = False
        self.addPage(self._welcome(plan))
        self.addPage(self._account())
        self.addPage(self._org(commit=not plan.with_project))
        if plan.with_project:
            self.addPage(self._project())
        self.done_page_id = self.addPage(self._done())

    def _welcome(self, plan: FirstRunPlan) -> QWizardPage:
        page, box, _ = _page("Welcome", "This computer collects the data of your IOTile devices.")
        steps = "your account, your organization" + (" and your first project" if plan.with_project else "")
        text = WrapLabel(f"Setting it up takes a minute: {steps}. Then you will see the address that devices "
                         "and gateways upload to.")
        box.addWidget(text)
        box.addStretch(1)
        return page

    def _account(self) -> QWizardPage:
        page, box, error = _page("Your account", "You will sign in with this e-mail address and password.")
        form = form_layout()
        self.name = _field(form, "Your name", "frName")
        self.email = _field(form, "E-mail", "frEmail")
        self.password = _field(form, "Password", "frPassword", password=True)
        self.confirm = _field(form, "Password again", "frConfirm", password=True)
        self.remember = QCheckBox("Keep me signed in on this computer")
        self.remember.setChecked(True)
        form.addRow("", self.remember)
        box.addLayout(form)
        box.addWidget(error)
        box.addStretch(1)
        page.validator = lambda: self._check(error, lambda: check_account(
            self.name.text(), self.email.text(), self.password.text(), self.confirm.text()))
        return page

    def _org(self, commit: bool) -> QWizardPage:
        page, box, error = _page("Your organization", "Devices, projects and people belong to an organization, "
                                                      "usually your company or site.")
        form = form_layout()
        self.org_name = _field(form, "Organization name", "frOrg")
        box.addLayout(form)
        box.addWidget(error)
        box.addStretch(1)
        self._wire(page, error, lambda: check_org(self.org_name.text()), commit)
        return page

    def _project(self) -> QWizardPage:
        page, box, error = _page("Your first project", "A project groups the devices of one line, product or "
                                                       "customer. Leave it empty to create projects later.")
        form = form_layout()
        self.project_name = _field(form, "Project name", "frProject")
        box.addLayout(form)
        box.addWidget(error)
        box.addStretch(1)
        self._wire(page, error, lambda: check_project(self.project_name.text()), commit=True)
        return page

    def _done(self) -> QWizardPage:
        page, box, _ = _page("Ready", "Devices and gateways upload to this address:")
        self.urls = QLabel("Reading the server address…")
        self.urls.setObjectName("frUrls")
        self.urls.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        set_role(self.urls, "big")
        self.summary = WrapLabel("")
        self.network_hint = WrapLabel("")
        self.open_button = QPushButton("Let devices on the network upload")
        self.open_button.setObjectName("frOpenNetwork")
        self.open_button.setVisible(False)
        self.open_button.clicked.connect(self.open_to_network)
        box.addWidget(self.urls)
        box.addWidget(self.summary)
        box.addWidget(self.network_hint)
        box.addLayout(button_row(self.open_button))
        box.addStretch(1)
        page.on_enter = self._show_done
        return page

    # -- checking and committing ------------------------------------------------------------------
    def _check(self, error: QLabel, check: Callable[[], None]) -> bool:
        try:
            check()
        except ValidationError as err:
            error.setText(describe(err).message)
            return False
        error.setText("")
        return True

    def _wire(self, page: _Page, error: QLabel, check: Callable[[], None], commit: bool) -> None:
        if not commit:
            page.validator = lambda: self._check(error, check)
            return
        page.setCommitPage(True)
        page.validator = lambda: self._commit(error, check)

    def _commit(self, error: QLabel, check: Callable[[], None]) -> bool:
        """Qt wants a yes/no now; the write is async. So: no, start it, and go on when it succeeds."""
        if self.result_ is not None:
            return True
        if self._busy or not self._check(error, check):
            return False
        self._busy = True
        self.button(QWizard.WizardButton.CommitButton).setEnabled(False)
        data = self.collected()
        self._core.op(self, lambda appliance: complete_first_run(appliance, data)).with_progress(
            "Creating your account and organization…").success(self._did_commit).failure(
            lambda err: self._did_not_commit(error, err)).run()
        return False

    def collected(self) -> FirstRunInput:
        project = getattr(self, "project_name", None)
        return FirstRunInput(name=self.name.text().strip(), email=self.email.text().strip(),
                             password=self.password.text(), org_name=self.org_name.text().strip(),
                             project_name=(project.text().strip() or None) if project else None,
                             remember=self.remember.isChecked())

    def _did_commit(self, result: FirstRunResult) -> None:
        self._busy = False
        self.result_ = result
        self.password.clear()
        self.confirm.clear()
        self.setup_did_complete.emit(result)
        self.next()

    def _did_not_commit(self, error_label: QLabel, error: BaseException) -> None:
        self._busy = False
        self.button(QWizard.WizardButton.CommitButton).setEnabled(True)
        log_error(error)
        text = describe(error)
        error_label.setText(f"{text.message} {text.todo}")

    def _show_done(self) -> None:
        result = self.result_
        if result is not None:
            made = f"Your account {result.session.account.email} and the organization “{result.org.name}”"
            made += f" with the project “{result.project_name}” are ready." if result.project_name else " are ready."
            if result.project_error:
                made += f" The project was not created ({result.project_error}); create it later."
            self.summary.setText(made)
        self._core.op(self, read_status).success(self._show_urls).failure(
            lambda _err: self.urls.setText("Shown in the status bar at the bottom of the main window.")).run()

    def _show_urls(self, snapshot: StatusSnapshot) -> None:
        self.urls.setText("\n".join(snapshot.urls) if snapshot.urls else "The server is not running.")
        self.open_button.setVisible(snapshot.local_only)
        self.open_button.setEnabled(True)
        self.network_hint.setText("Only this computer can reach this address. Press the button below to let "
                                  "devices and gateways on the network upload (the server listens on every "
                                  "network address of this computer)." if snapshot.local_only else "")

    def open_to_network(self) -> None:
        """Save server.host = 0.0.0.0, restart the server, show the new addresses."""
        self.open_button.setEnabled(False)
        self._core.op(self, lambda appliance: save_changes(appliance, {"server.host": ALL_ADDRESSES})).success(
            self._restart_server).failure(self._network_failed).run()

    def _restart_server(self, _values: object) -> None:
        self._core.restart(self).with_progress("Restarting the server…").success(
            lambda _none: self._show_done()).failure(self._network_failed).run()

    def _network_failed(self, error: BaseException) -> None:
        self.open_button.setEnabled(True)
        show_error(self, error)


def show_first_run(core: CoreThread, parent: QWidget | None, plan: FirstRunPlan,
                   on_done: Callable[[FirstRunResult], None], on_cancel: Callable[[], None]) -> FirstRunWizard:
    """Open window-modal and return at once. ``on_done`` runs when the wizard closes after setup
    (Finish, or closed on the last page); ``on_cancel`` when it is closed before anything was made."""
    wizard = FirstRunWizard(core, plan, parent)
    wizard.finished.connect(lambda _code: on_done(wizard.result_) if wizard.result_ else on_cancel())
    wizard.open()
    return wizard
