"""MembersModel: the members of one org (read-only here; roles and invitations come in part 2)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from appliance.services.memberships import MembershipRecord
from appliance.services.permissions import ROLE_NAMES
from gui.qt import QAbstractTableModel, QColor, QModelIndex, QObject, QPersistentModelIndex, Qt

LOGGER = logging.getLogger(__name__)
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, kw_only=True)
class Column:
    title: str
    value_fn: Callable[[MembershipRecord], str]


COLUMNS: tuple[Column, ...] = (
    Column(title="Name", value_fn=lambda m: m.account.name or m.account.username),
    Column(title="E-mail", value_fn=lambda m: m.account.email),
    Column(title="Role", value_fn=lambda m: ROLE_NAMES.get(m.role, m.role).split(" - ", 1)[-1]),
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
