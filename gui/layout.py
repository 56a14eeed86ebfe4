"""Small layout helpers shared by screens and dialogs, so spacing is the same everywhere."""

from __future__ import annotations

from gui.qt import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QResizeEvent,
    QSize,
    QSizePolicy,
    Qt,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from gui.theme import set_role


def button_row(*widgets: QWidget, stretch_at: int = -1) -> QHBoxLayout:
    """Widgets in a row; a stretch before index ``stretch_at`` pushes the rest to the right."""
    row = QHBoxLayout()
    row.setSpacing(12)
    for i, widget in enumerate(widgets):
        if i == stretch_at:
            row.addStretch(1)
        row.addWidget(widget)
    if stretch_at < 0 or stretch_at >= len(widgets):
        row.addStretch(1)
    return row


def card(title: str) -> tuple[QFrame, QVBoxLayout]:
    """A white panel with a heading; returns the frame and the layout to fill."""
    frame = QFrame()
    set_role(frame, "card")
    box = QVBoxLayout(frame)
    box.setContentsMargins(20, 14, 20, 16)
    box.setSpacing(8)
    heading = QLabel(title)
    set_role(heading, "section")
    box.addWidget(heading)
    return frame, box


class WrapLabel(QLabel):
    """A word-wrapped label whose height is what its text needs at its actual width.

    QLabel sizes wrapped text for a guessed width: in a wide layout that pads it, and a window
    keeps the height it had before a longer text arrived, so a new second line is clipped (an error
    message set after a dialog opened). Here the size hint and the minimum height follow
    ``heightForWidth`` of the current width, and the window grows when the text does.
    """

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        policy.setHeightForWidth(True)  # keep what setWordWrap turned on: scroll areas rely on it
        self.setSizePolicy(policy)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._fit()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit()

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        needed = self._needed()
        return QSize(hint.width(), needed) if needed > 0 else hint

    def _needed(self) -> int:
        return self.heightForWidth(self.width()) if self.width() > 0 else -1

    def _fit(self) -> None:
        needed = self._needed()
        if needed > 0 and needed != self.minimumHeight():
            self.setMinimumHeight(needed)
            self.updateGeometry()


def form_layout() -> QFormLayout:
    """Labels centred on their 40 px fields (Fusion puts them at the top), generous spacing."""
    form = QFormLayout()
    form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    form.setVerticalSpacing(12)
    form.setHorizontalSpacing(16)
    return form


ROW_HEIGHT = 40


def table_view(name: str) -> QTableView:
    """The list look every screen shares: whole rows, large rows, no row numbers."""
    table = QTableView()
    table.setObjectName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setAlternatingRowColors(True)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setTabKeyNavigation(False)  # Tab leaves the table: keyboard users reach the buttons
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(ROW_HEIGHT)
    table.horizontalHeader().setHighlightSections(False)
    return table
