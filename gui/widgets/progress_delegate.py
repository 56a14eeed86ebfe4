"""A progress bar drawn inside a table cell (one per job row, no widget per row).

Painted by hand rather than through the style: with an application style sheet the style's
progress bar ignores our colours when no widget is given, and the table may hold thousands of rows.
"""

from __future__ import annotations

import logging

from gui.qt import (
    QColor,
    QModelIndex,
    QPainter,
    QPen,
    QPersistentModelIndex,
    QRectF,
    QSize,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    Qt,
)
from gui.theme import ACCENT, TEXT

LOGGER = logging.getLogger(__name__)
PROGRESS_ROLE = Qt.ItemDataRole.UserRole + 1  # int 0..100, or None for "no bar"
BAR_COLOURS = {"done": "#2e7d32", "failed": "#a3001b", "cancelled": "#6b7580"}
STATUS_ROLE = Qt.ItemDataRole.UserRole + 2


class ProgressDelegate(QStyledItemDelegate):
    def paint(self, painter: QPainter, option: QStyleOptionViewItem,
              index: QModelIndex | QPersistentModelIndex) -> None:
        value = index.data(PROGRESS_ROLE)
        if value is None:
            super().paint(painter, option, index)
            return
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(option.rect, option.palette.highlight())
        progress = max(0, min(100, int(value)))
        colour = QColor(BAR_COLOURS.get(str(index.data(STATUS_ROLE)), ACCENT))
        rect = QRectF(option.rect).adjusted(6, 6, -6, -6)
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor("#8a96a3"), 1))
        painter.setBrush(QColor("white"))
        painter.drawRoundedRect(rect, 4, 4)
        filled = QRectF(rect.x(), rect.y(), rect.width() * progress / 100, rect.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(filled, 4, 4)
        self._draw_text(painter, rect, filled, f"{progress}%")
        painter.restore()

    @staticmethod
    def _draw_text(painter: QPainter, rect: QRectF, filled: QRectF, text: str) -> None:
        """Dark text on the empty part, white on the filled part: readable at every percentage."""
        painter.setPen(QColor(TEXT))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.save()
        painter.setClipRect(filled)
        painter.setPen(QColor("white"))
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        hint = super().sizeHint(option, index)
        return QSize(max(hint.width(), 160), max(hint.height(), 36))
