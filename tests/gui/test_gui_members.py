"""Members screen: roles shown and changed through the service, invitations sent from the dialog
with a link the Invitations service accepts, copied to the clipboard, resent and deleted."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlparse

import requests

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from gui.dialogs.invite import InviteDialog
from gui.operations.members import inviter, link_base
from gui.qt import QGuiApplication
from gui.screens.base import ScreenContext
from gui.screens.members import MembersScreen
from tests.gui import seed
from tests.gui.conftest import call, wait_top

WAIT = 10_000


def add_member(ctx: ScreenContext, org_id: int, email: str, role: str) -> AccountRecord:
    async def make(appliance: Appliance) -> AccountRecord:
        account = await appliance.accounts.create(email, "member-pass-1", username=email.split("@")[0])
        await appliance.orgs.add_member(org_id, account.id, role)
        return account

    return call(ctx.core, make)


def open_members(qtbot: Any, ctx: ScreenContext, rows: int) -> MembersScreen:
    screen = MembersScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1100, 760)
    screen.show()
    qtbot.waitUntil(lambda: screen.model.rowCount() == rows and screen.state is not None, timeout=WAIT)
    return screen


def test_roles_are_shown_and_changed_in_the_service(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    bob = add_member(ctx, site.org.id, "bob@acme.example", "m1")
    screen = open_members(qtbot, ctx, 2)
    assert screen.state is not None and screen.state.can_manage
    assert screen.change_role_button.isVisibleTo(screen)
    row = screen.model.row_of(bob.slug)
    assert row is not None and screen.model.index(row, 2).data() == "Member"
    assert screen.select_member(bob.slug)
    screen.role_choice.setCurrentIndex(screen.role_choice.findData("r1"))
    screen.change_role()
    qtbot.waitUntil(lambda: screen.model.index(row, 2).data() == "Operator", timeout=WAIT)
    record = call(ctx.core, lambda a: a.orgs.members.get(site.org.id, bob.slug))
    assert record.role == "r1"
    screen.remove(record)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1, timeout=WAIT)
    assert call(ctx.core, lambda a: a.orgs.members.of_account(site.org.id, bob.id)) is None


async def link_of(appliance: Appliance) -> str:
    return link_base(appliance)


def test_invite_shows_a_link_that_is_accepted_and_copied(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    screen = open_members(qtbot, ctx, 1)
    screen.invite()
    dialog = wait_top(qtbot, InviteDialog, "inviteDialog", timeout=WAIT)
    dialog.email.setText("carol@acme.example")
    dialog.role.setCurrentIndex(dialog.role.findData("d1"))
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.link.text() != "", timeout=WAIT)
    link = dialog.link.text()
    assert link.startswith(call(ctx.core, link_of)) and "/invite/" in link  # the accept page, not the API
    assert dialog.link.isReadOnly() and dialog.link.isVisibleTo(dialog)
    dialog.copy_link()
    assert QGuiApplication.clipboard().text() == link
    qtbot.waitUntil(lambda: screen.invitations.rowCount() == 1, timeout=WAIT)
    token = unquote(urlparse(link).path.rsplit("/", 1)[1])
    invitation, has_account = call(ctx.core, lambda a: a.invitations.lookup(token))
    assert (invitation.email, invitation.role, invitation.org_id, has_account) == \
        ("carol@acme.example", "d1", site.org.id, False)
    dialog.accept()
    page = requests.get(link, timeout=30)  # what the invited person's browser shows
    assert page.status_code == 200 and "Acme Factory" in page.text and "<form" in page.text
    joined = requests.post(link, data={"name": "Carol", "password": "carol-pass-1", "confirm": "carol-pass-1"},
                           timeout=30)
    assert joined.status_code == 201, joined.text
    member = call(ctx.core, lambda a: a.accounts.find_by_email("carol@acme.example"))
    assert member is not None
    assert call(ctx.core, lambda a: a.orgs.members.of_account(site.org.id, member.id)).role == "d1"


def test_the_link_uses_the_public_address_when_one_is_set(qtbot: Any, ctx: ScreenContext) -> None:
    async def set_public(appliance: Appliance) -> None:
        appliance.settings = appliance.settings.with_overrides({"server.public_url": "http://line-1.example:8000/"})

    site = seed.site(ctx.core, ctx.session.account)
    call(ctx.core, set_public)
    issued = call(ctx.core, inviter(ctx.session.account, site.org.id, "frank@acme.example", "m1"))
    assert issued.accept_url == f"http://line-1.example:8000/invite/{issued.token}"


def test_invite_refusal_is_said_in_the_dialog_and_resend_delete_work(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    add_member(ctx, site.org.id, "dave@acme.example", "m1")
    screen = open_members(qtbot, ctx, 2)
    screen.invite()
    dialog = wait_top(qtbot, InviteDialog, "inviteDialog", timeout=WAIT)
    dialog.email.setText("dave@acme.example")
    dialog.submit()
    qtbot.waitUntil(lambda: "already a member" in dialog.message.text(), timeout=WAIT)
    assert not dialog.link.isVisibleTo(dialog)
    dialog.email.setText("erin@acme.example")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.link.text() != "", timeout=WAIT)
    first = dialog.link.text()
    dialog.accept()
    qtbot.waitUntil(lambda: screen.invitations.rowCount() == 1, timeout=WAIT)
    screen.invitation_table.selectRow(0)
    screen.resend()
    again = wait_top(qtbot, InviteDialog, "inviteDialog", timeout=WAIT)
    qtbot.waitUntil(lambda: again is not dialog and again.link.text() not in ("", first), timeout=WAIT)
    again.accept()
    screen.invitation_table.selectRow(0)
    screen.delete_invitation()
    qtbot.waitUntil(lambda: screen.invitations.rowCount() == 0, timeout=WAIT)
    total, _ = call(ctx.core, lambda a: a.invitations.page_pending(site.org.id))
    assert total == 0
