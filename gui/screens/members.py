"""Members: who belongs to each organization, with which role, and who is invited.

Everyone sees the members of their organizations. An operator who may manage users
(``can_manage_users``: owners and admins, and staff) also changes a member's role, removes a member,
invites people (``gui/dialogs/invite.py``) and resends or deletes pending invitations. The services
enforce the owner rules (only an owner makes or changes an owner; the last owner stays), and a refusal
is said through ``gui/errors.py``.
"""

from __future__ import annotations

import logging

from appliance.events import Changes
from appliance.services.invitations import InvitationRecord, IssuedInvitation
from appliance.services.memberships import MembershipRecord
from appliance.services.orgs import OrgRecord
from gui.dialogs.invite import show_invite
from gui.errors import show_error
from gui.layout import button_row, table_view
from gui.models.members import InvitationsModel, MembersModel, role_name
from gui.operations.members import (
    OrgMembers,
    invitation_deleter,
    member_remover,
    org_lister,
    org_members,
    resender,
    role_changer,
)
from gui.qt import QComboBox, QHeaderView, QLabel, QMessageBox, QPushButton, QWidget
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
ALL_ROLES = ("a0", "a1", "m1", "r1", "d1")


class MembersScreen(Screen):
    key = "members"
    title = "Members"
    subtitle = "People in each organization, their roles, and who is invited."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._orgs: list[OrgRecord] = []
        self.state: OrgMembers | None = None
        self.org_choice = QComboBox()
        self.org_choice.setObjectName("orgChoice")
        self.org_choice.setMinimumSize(320, 40)
        self.invite_button = QPushButton("Invite…")
        self.invite_button.setObjectName("inviteMember")
        set_role(self.invite_button, "primary")
        self.model = MembersModel(self)
        self.table = table_view("membersTable")
        self.table.setModel(self.model)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.role_choice = QComboBox()
        self.role_choice.setObjectName("memberRole")
        self.role_choice.setMinimumWidth(220)
        for code in ALL_ROLES:
            self.role_choice.addItem(f"{role_name(code)} ({code})", code)
        self.change_role_button = QPushButton("Change role")
        self.change_role_button.setObjectName("changeRole")
        self.remove_button = QPushButton("Remove from organization")
        self.remove_button.setObjectName("removeMember")
        self.note = QLabel("")
        set_role(self.note, "help")
        self.invitations_title = QLabel("Pending invitations")
        set_role(self.invitations_title, "section")
        self.invitations = InvitationsModel(self)
        self.invitation_table = table_view("invitationsTable")
        self.invitation_table.setModel(self.invitations)
        self.invitation_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.resend_button = QPushButton("Resend")
        self.resend_button.setObjectName("resendInvitation")
        self.delete_button = QPushButton("Delete invitation")
        self.delete_button.setObjectName("deleteInvitation")
        self.layout_.addLayout(button_row(QLabel("Organization:"), self.org_choice, self.invite_button,
                                          stretch_at=2))
        self.layout_.addWidget(self.table, 3)
        self.member_actions = button_row(QLabel("Role:"), self.role_choice, self.change_role_button,
                                         self.remove_button, self.note, stretch_at=4)
        self.layout_.addLayout(self.member_actions)
        self.layout_.addWidget(self.invitations_title)
        self.layout_.addWidget(self.invitation_table, 2)
        self.layout_.addLayout(button_row(self.resend_button, self.delete_button))
        self.org_choice.currentIndexChanged.connect(self._load_members)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.invitation_table.selectionModel().selectionChanged.connect(self._update_buttons)
        self.invite_button.clicked.connect(self.invite)
        self.change_role_button.clicked.connect(self.change_role)
        self.remove_button.clicked.connect(self.confirm_remove)
        self.resend_button.clicked.connect(self.resend)
        self.delete_button.clicked.connect(self.delete_invitation)
        ctx.core.changes_did_apply.connect(self._on_changes)
        self._show_manage(False)

    def _on_changes(self, changes: Changes) -> None:
        if changes.orgs or changes.accounts:
            self.mark_dirty()

    # -- reading ----------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.ctx.core.op(self, org_lister(self.ctx.session.account)).success(self._show_orgs).run()

    def _show_orgs(self, orgs: list[OrgRecord]) -> None:
        current = self.current_org()
        self._orgs = orgs
        self.org_choice.blockSignals(True)
        self.org_choice.clear()
        for org in orgs:
            self.org_choice.addItem(org.name)
        keep = next((i for i, o in enumerate(orgs) if current and o.id == current.id), 0)
        self.org_choice.setCurrentIndex(keep if orgs else -1)
        self.org_choice.blockSignals(False)
        if not orgs:
            self.state = None
            self.model.set_members([])
            self.invitations.set_invitations([])
            self._show_manage(False)
            self.note.setText("You are not a member of any organization yet.")
            return
        self._load_members()

    def current_org(self) -> OrgRecord | None:
        index = self.org_choice.currentIndex()
        return self._orgs[index] if 0 <= index < len(self._orgs) else None

    def _load_members(self) -> None:
        org = self.current_org()
        if org is not None:
            self.ctx.core.op(self, org_members(self.ctx.session.account, org.id)).success(self._show_members).run()

    def _show_members(self, state: OrgMembers) -> None:
        selected = self.selected_member()
        self.state = state
        self.model.set_members(state.members)
        self.invitations.set_invitations(state.invitations)
        row = self.model.row_of(selected.account.slug) if selected else None
        if row is not None:
            self.table.selectRow(row)
        count = len(state.members)
        self.note.setText(f"{count} member(s)." if count else "No members.")
        self.invitations_title.setText(f"Pending invitations ({len(state.invitations)})")
        self._show_manage(state.can_manage)

    def _show_manage(self, can_manage: bool) -> None:
        for widget in (self.invite_button, self.role_choice, self.change_role_button, self.remove_button,
                       self.invitations_title, self.invitation_table, self.resend_button, self.delete_button):
            widget.setVisible(can_manage)
        self._update_buttons()

    def _update_buttons(self) -> None:
        member, invitation = self.selected_member(), self.selected_invitation()
        self.change_role_button.setEnabled(member is not None)
        self.remove_button.setEnabled(member is not None)
        self.role_choice.setEnabled(member is not None)
        if member is not None:
            self.role_choice.setCurrentIndex(ALL_ROLES.index(member.role) if member.role in ALL_ROLES else -1)
        self.resend_button.setEnabled(invitation is not None)
        self.delete_button.setEnabled(invitation is not None)

    def selected_member(self) -> MembershipRecord | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.member_at(rows[0].row()) if rows else None

    def selected_invitation(self) -> InvitationRecord | None:
        rows = self.invitation_table.selectionModel().selectedRows()
        return self.invitations.invitation_at(rows[0].row()) if rows else None

    def select_member(self, slug: str) -> bool:
        row = self.model.row_of(slug)
        if row is not None:
            self.table.selectRow(row)
        return row is not None

    # -- members ----------------------------------------------------------------------------------
    def change_role(self) -> None:
        org, member = self.current_org(), self.selected_member()
        role = self.role_choice.currentData()
        if org is None or member is None or role is None or role == member.role:
            return
        account = self.ctx.session.account
        self.ctx.core.op(self, role_changer(account, org.id, member.account.slug, str(role))).with_progress(
            "Changing the role…").success(lambda _m: self._load_members()).failure(self._refused).run()

    def confirm_remove(self) -> None:
        member = self.selected_member()
        if member is None:
            return
        box = QMessageBox(QMessageBox.Icon.Question, "Remove member",
                          f"Remove {member.account.email} from {self.org_choice.currentText()}? They lose access "
                          "to its projects and data at once.",
                          QMessageBox.StandardButton.Cancel, self)
        box.setObjectName("removeMemberBox")
        remove = box.addButton("Remove", QMessageBox.ButtonRole.DestructiveRole)
        box.buttonClicked.connect(lambda button: self.remove(member) if button is remove else None)
        box.open()

    def remove(self, member: MembershipRecord) -> None:
        org = self.current_org()
        if org is None:
            return
        self.ctx.core.op(self, member_remover(self.ctx.session.account, org.id, member.account.slug)).with_progress(
            "Removing the member…").success(lambda _n: self._load_members()).failure(self._refused).run()

    # -- invitations ------------------------------------------------------------------------------
    def invite(self) -> None:
        org = self.current_org()
        if org is None or self.state is None:
            return
        show_invite(self.ctx.core, self, self.ctx.session.account, org, self.state.actor_role,
                    lambda _issued: self._load_members())

    def resend(self) -> None:
        org, invitation = self.current_org(), self.selected_invitation()
        if org is None or invitation is None:
            return
        self.ctx.core.op(self, resender(self.ctx.session.account, org.id, invitation.uuid)).with_progress(
            "Resending the invitation…").success(self._did_resend).failure(self._refused).run()

    def _did_resend(self, issued: IssuedInvitation) -> None:
        org = self.current_org()
        self._load_members()
        if org is not None and self.state is not None:
            show_invite(self.ctx.core, self, self.ctx.session.account, org, self.state.actor_role,
                        lambda _issued: None, issued=issued)

    def delete_invitation(self) -> None:
        org, invitation = self.current_org(), self.selected_invitation()
        if org is None or invitation is None:
            return
        self.ctx.core.op(self, invitation_deleter(self.ctx.session.account, org.id, invitation.uuid)).with_progress(
            "Deleting the invitation…").success(lambda _n: self._load_members()).failure(self._refused).run()

    def _refused(self, error: BaseException) -> None:
        show_error(self, error)
        self._load_members()  # the list may be stale: show what the service holds now

