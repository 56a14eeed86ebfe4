"""First-run wizard and sign-in, against the real account, org and secret services."""

from __future__ import annotations

from typing import Any

from appliance.services.auth import Principal
from gui.bridge import CoreThread
from gui.dialogs.first_run import FirstRunWizard, show_first_run
from gui.dialogs.sign_in import show_sign_in
from gui.operations.first_run import FirstRunResult, first_run_plan
from gui.operations.session import Session, restore_session, sign_out
from tests.gui.conftest import call

PASSWORD = "correct horse 42"


def fill_account(wizard: FirstRunWizard, email: str = "ada@example.com", confirm: str = PASSWORD) -> None:
    wizard.name.setText("Ada Operator")
    wizard.email.setText(email)
    wizard.password.setText(PASSWORD)
    wizard.confirm.setText(confirm)


def error_texts(wizard: FirstRunWizard) -> str:
    from gui.qt import QLabel

    return " ".join(label.text() for label in wizard.currentPage().findChildren(QLabel))


def test_wizard_creates_account_org_and_project(qtbot: Any, core: CoreThread) -> None:
    plan = call(core, first_run_plan)
    assert plan is not None
    done: list[object] = []
    wizard = show_first_run(core, None, plan, done.append, lambda: done.append("cancelled"))
    qtbot.addWidget(wizard)
    wizard.next()
    fill_account(wizard, email="not-an-email")
    wizard.next()
    assert "not a valid e-mail address" in error_texts(wizard)
    fill_account(wizard, confirm="something else")
    wizard.next()
    assert "not the same" in error_texts(wizard)
    fill_account(wizard)
    wizard.next()
    wizard.org_name.setText("Acme Factory")
    if plan.with_project:
        wizard.next()
        wizard.project_name.setText("Line 1")
    wizard.next()  # "Create": runs the operation, then moves on by itself
    qtbot.waitUntil(lambda: wizard.currentId() == wizard.done_page_id, timeout=20_000)
    qtbot.waitUntil(lambda: "http://127.0.0.1:" in wizard.urls.text(), timeout=10_000)
    wizard.accept()
    qtbot.waitUntil(lambda: bool(done), timeout=5_000)
    result = done[0]
    assert isinstance(result, FirstRunResult) and result.project_error is None
    check_created(core, result, with_project=plan.with_project)


def check_created(core: CoreThread, result: FirstRunResult, *, with_project: bool) -> None:
    account = call(core, lambda a: a.accounts.find_by_email("ada@example.com"))
    assert account is not None and account.is_staff and account.name == "Ada Operator"
    total, orgs = call(core, lambda a: a.orgs.page(None))
    assert total == 1 and orgs[0].name == "Acme Factory" and orgs[0].created_by_id == account.id
    member = call(core, lambda a: a.orgs.members.of_account(orgs[0].id, account.id))
    assert member is not None and member.role == "a0"
    assert call(core, first_run_plan) is None  # never again on this data directory
    restored = call(core, restore_session)  # "keep me signed in" was ticked
    assert restored is not None and restored.account.id == account.id
    if with_project:
        assert result.project_name == "Line 1" and result.project_ref

        async def project_name(a: Any) -> str:
            access = await a.orgs.access_for(Principal("test", account))
            return str((await a.projects.get(access, result.project_ref)).name)

        assert call(core, project_name) == "Line 1"


def test_closing_the_wizard_early_creates_nothing(qtbot: Any, core: CoreThread) -> None:
    plan = call(core, first_run_plan)
    assert plan is not None
    outcome: list[object] = []
    wizard = show_first_run(core, None, plan, outcome.append, lambda: outcome.append("cancelled"))
    qtbot.addWidget(wizard)
    wizard.next()
    fill_account(wizard)
    wizard.reject()
    assert outcome == ["cancelled"]
    assert call(core, lambda a: a.accounts.count()) == 1


def test_sign_in_remembers_and_sign_out_forgets(qtbot: Any, core: CoreThread) -> None:
    password = core.appliance.first_run_password
    assert password
    sessions: list[Session] = []
    dialog = show_sign_in(core, None, sessions.append, lambda: None)
    qtbot.addWidget(dialog)
    dialog.email.setText("owner@appliance.local")
    dialog.password.setText("wrong password")
    dialog.submit()
    qtbot.waitUntil(lambda: "Unable to log in" in dialog.message.text(), timeout=10_000)
    assert dialog.isVisible() and not sessions
    dialog.password.setText(password)
    dialog.submit()
    qtbot.waitUntil(lambda: bool(sessions), timeout=10_000)
    assert not dialog.isVisible() and sessions[0].remembered
    restored = call(core, restore_session)
    assert restored is not None and restored.account.email == "owner@appliance.local"
    call(core, sign_out)
    assert call(core, restore_session) is None


def test_a_forged_remembered_token_is_forgotten(qtbot: Any, core: CoreThread) -> None:
    import asyncio

    from gui.operations.session import SESSION_SECRET

    async def forge(a: Any) -> None:
        await asyncio.to_thread(a.secrets.set, SESSION_SECRET, "not.a.jwt")

    call(core, forge)
    assert call(core, restore_session) is None
    assert call(core, lambda a: asyncio.to_thread(a.secrets.get, SESSION_SECRET)) is None
