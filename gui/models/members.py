"""MembersModel (the members of one org with their roles) and InvitationsModel (its pending invitations)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.services.invitations import InvitationRecord
from appliance.services.memberships import MembershipRecord
from appliance.services.permissions import ROLE_NAMES
from gui.qt import QAbstractTableModel, QColor, QModelIndex, QObject, QPersistentModelIndex, Qt
from gui.theme import ERROR

LOGGER = logging.getLogger(__name__)
AnyIndex = QModelIndex | QPersistentModelIndex


def role_name(role: str) -> str:
    """"a1" -> "Admin": the word an operator reads (the code stays in the tooltip)."""
    return ROLE_NAMES.get(role, role).split(" - ", 1)[-1]


@dataclass(frozen=True, kw_only=True)
class Column:
    title: str
    value_fn: Callable[[MembershipRecord], str]


COLUMNS: tuple[Column, ...] = (
    Column(title="Name", value_fn=lambda m: m.account.name or m.account.username),
    Column(title="E-mail", value_fn=lambda m: m.account.email),
    Column(title="Role", value_fn=lambda m: role_name(m.role)),
    Column(title="Active", value_fn=lambda m: "Yes" if m.is_active and m.account.is_active else "No"),
)


class MembersModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[MembershipRecord] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        member = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[index.column()].value_fn(member)
        if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[index.column()].title == "Role":
            return ROLE_NAMES.get(member.role, member.role)
        if role == Qt.ItemDataRole.ForegroundRole and not member.is_active:
            return QColor("#6b7580")
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return COLUMNS[section].title
        return None

    def set_members(self, rows: list[MembershipRecord]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def member_at(self, row: int) -> MembershipRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, slug: str) -> int | None:
        return next((i for i, m in enumerate(self._rows) if m.account.slug == slug), None)


INVITATION_COLUMNS: tuple[tuple[str, Callable[[InvitationRecord], str]], ...] = (
    ("E-mail", lambda i: i.email),
    ("Role", lambda i: role_name(i.role)),
    ("Sent", lambda i: i.sent_on.astimezone().strftime("%Y-%m-%d %H:%M")),
    ("Expires", lambda i: "Expired" if i.expired() else i.expires_on.astimezone().strftime("%Y-%m-%d")),
)


class InvitationsModel(QAbstractTableModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[InvitationRecord] = []

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(INVITATION_COLUMNS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        invitation = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return INVITATION_COLUMNS[index.column()][1](invitation)
        if role == Qt.ItemDataRole.ForegroundRole and invitation.expired():
            return QColor(ERROR)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return INVITATION_COLUMNS[section][0]
        return None

    def set_invitations(self, rows: list[InvitationRecord]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def invitation_at(self, row: int) -> InvitationRecord | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None
