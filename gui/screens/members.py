"""Members: who belongs to each organization and with which role (read-only in this build)."""

from __future__ import annotations

import logging

from appliance.events import Changes
from appliance.services.memberships import MembershipRecord
from appliance.services.orgs import OrgRecord
from gui.layout import button_row
from gui.models.members import MembersModel
from gui.operations.members import member_lister, org_lister
from gui.qt import QAbstractItemView, QComboBox, QHeaderView, QLabel, QTableView, QWidget
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


class MembersScreen(Screen):
    key = "members"
    title = "Members"
    subtitle = "People in each organization and their roles."

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self._orgs: list[OrgRecord] = []
        self.org_choice = QComboBox()
        self.org_choice.setObjectName("orgChoice")
        self.org_choice.setMinimumSize(320, 40)
        self.model = MembersModel(self)
        self.table = QTableView()
        self.table.setObjectName("membersTable")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(40)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.note = QLabel("")
        set_role(self.note, "help")
        self.layout_.addLayout(button_row(QLabel("Organization:"), self.org_choice))
        self.layout_.addWidget(self.table, 1)
        self.layout_.addWidget(self.note)
        self.org_choice.currentIndexChanged.connect(self._load_members)
        ctx.core.changes_did_apply.connect(self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        if changes.orgs or changes.accounts:
            self.mark_dirty()

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
            self.model.set_members([])
            self.note.setText("You are not a member of any organization yet.")
            return
        self._load_members()

    def current_org(self) -> OrgRecord | None:
        index = self.org_choice.currentIndex()
        return self._orgs[index] if 0 <= index < len(self._orgs) else None

    def _load_members(self) -> None:
        org = self.current_org()
        if org is not None:
            self.ctx.core.op(self, member_lister(org.id)).success(self._show_members).run()

    def _show_members(self, members: list[MembershipRecord]) -> None:
        self.model.set_members(members)
        self.note.setText(f"{len(members)} member(s)." if members else "No members.")
