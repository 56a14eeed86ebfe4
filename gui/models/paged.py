"""PagedModel: a lazy table over a service list, one page at a time, never read on the Qt thread.

Columns are declarative rows (STYLE B.8): a title and a ``value_fn`` per column, optionally a
colour, a tooltip and right alignment. The rows come from a *loader*, ``(offset, want) -> Op``
returning a ``Chunk`` (gui/operations/paging.py), run through the bridge; Qt asks for more through
canFetchMore/fetchMore as the operator scrolls. ``reload`` reads again from the start (as many
rows as are shown); when the same rows come back in the same order they are updated in place, so a
periodic refresh keeps the selection and the scroll position. Replies to superseded reads are
dropped by a generation counter.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from gui.bridge import CoreThread
from gui.operations import Op
from gui.operations.paging import Chunk
from gui.qt import QAbstractTableModel, QColor, QModelIndex, QObject, QPersistentModelIndex, Qt, Signal

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
PAGE = 100
AnyIndex = QModelIndex | QPersistentModelIndex
ROW_ROLE = Qt.ItemDataRole.UserRole + 10
Loader = Callable[[int, int], Op[Chunk[T]]]
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter


@dataclass(frozen=True, kw_only=True)
class Column(Generic[T]):
    key: str
    title: str
    value_fn: Callable[[T], str]
    colour_fn: Callable[[T], str | None] | None = None
    tooltip_fn: Callable[[T], str | None] | None = None
    right: bool = False


class PagedModel(QAbstractTableModel, Generic[T]):
    rows_did_load = Signal()
    rows_did_fail = Signal(object)  # the exception; screens say so in place, no dialog storm

    def __init__(self, core: CoreThread, columns: tuple[Column[T], ...], key_fn: Callable[[T], object],
                 parent: QObject | None = None, page: int = PAGE) -> None:
        super().__init__(parent)
        self._core = core
        self.columns = columns
        self._key_fn = key_fn
        self._page = page
        self._loader: Loader[T] | None = None
        self._rows: list[T] = []
        self._consumed = 0
        self._total = 0
        self._exhausted = True
        self._fetching = False
        self._generation = 0
        self.loaded_once = False

    # -- Qt's table interface --------------------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, column = self._rows[index.row()], self.columns[index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            return column.value_fn(row)
        if role == Qt.ItemDataRole.ForegroundRole and column.colour_fn is not None:
            colour = column.colour_fn(row)
            return QColor(colour) if colour else None
        if role == Qt.ItemDataRole.ToolTipRole and column.tooltip_fn is not None:
            return column.tooltip_fn(row)
        if role == Qt.ItemDataRole.TextAlignmentRole and column.right:
            return int(RIGHT.value)
        if role == ROW_ROLE:
            return row
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section].title
        return None

    def canFetchMore(self, parent: AnyIndex) -> bool:
        return not parent.isValid() and self._loader is not None and not self._fetching and not self._exhausted

    def fetchMore(self, parent: AnyIndex) -> None:
        if self.canFetchMore(parent):
            self._fetch(self._consumed, self._page, replace_rows=False)

    # -- ours -----------------------------------------------------------------------------------
    @property
    def rows(self) -> list[T]:
        return list(self._rows)

    @property
    def total(self) -> int:
        """Rows the service holds before any filter of ours (the end of paging, not a match count)."""
        return self._total

    @property
    def exhausted(self) -> bool:
        return self._exhausted

    @property
    def fetching(self) -> bool:
        return self._fetching

    def row_at(self, row: int) -> T | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, key: object) -> int | None:
        return next((i for i, row in enumerate(self._rows) if self._key_fn(row) == key), None)

    def set_rows(self, rows: list[T]) -> None:
        """A list read elsewhere, shown as it is (no paging)."""
        self._loader = None
        self._generation += 1
        self._show(list(rows), Chunk(tuple(rows), len(rows), len(rows)))
        self.loaded_once = True
        self.rows_did_load.emit()

    def set_loader(self, loader: Loader[T] | None) -> None:
        self._loader = loader
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        if self._loader is None:
            self._show([], Chunk((), 0, 0))
            return
        self._fetch(0, max(self._page, len(self._rows)), replace_rows=True)

    def _fetch(self, offset: int, want: int, *, replace_rows: bool) -> None:
        assert self._loader is not None
        generation = self._generation
        self._fetching = True
        self._core.op(self, self._loader(offset, want)).success(
            lambda chunk: self._did_fetch(generation, chunk, replace_rows)).failure(
            lambda error: self._did_fail(generation, error)).run()

    def _did_fetch(self, generation: int, chunk: Chunk[T], replace_rows: bool) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        if replace_rows:
            self._show(list(chunk.rows), chunk)
        else:
            self._append(chunk)
        self.loaded_once = True
        self.rows_did_load.emit()

    def _show(self, rows: list[T], chunk: Chunk[T]) -> None:
        """Same rows in the same order: update in place (selection and scroll stay); else reset."""
        self._consumed, self._total, self._exhausted = chunk.consumed, chunk.total, chunk.exhausted
        if [self._key_fn(r) for r in rows] == [self._key_fn(r) for r in self._rows]:
            self._rows = rows
            if rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(rows) - 1, len(self.columns) - 1))
            return
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def _append(self, chunk: Chunk[T]) -> None:
        self._consumed, self._total, self._exhausted = chunk.consumed, chunk.total, chunk.exhausted
        if chunk.rows:
            self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(chunk.rows) - 1)
            self._rows.extend(chunk.rows)
            self.endInsertRows()

    def _did_fail(self, generation: int, error: BaseException) -> None:
        if generation != self._generation:
            return
        self._fetching = False
        LOGGER.warning("list not read: %s", error)
        self.rows_did_fail.emit(error)
