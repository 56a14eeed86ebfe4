"""Every PySide6 name the GUI uses, imported in one place (Anki's ``aqt.qt`` shim).

Other gui modules import Qt only from here (pyqtgraph through gui/plotting.py), so a binding
upgrade or a workaround touches one file. One workaround lives here: ``pin_singletons`` below.
"""

from __future__ import annotations

import ctypes
import logging
import sys

from PySide6 import __version__ as PYSIDE_VERSION
from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    QSettings,
    QSize,
    QStringListModel,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import (
    QCloseEvent,
    QColor,
    QFont,
    QGuiApplication,
    QKeySequence,
    QPainter,
    QPen,
    QResizeEvent,
    QShortcut,
    QShowEvent,
)
from PySide6.QtNetwork import QAbstractSocket, QHostAddress, QNetworkInterface
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QProgressDialog,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)
from shiboken6 import isValid

LOGGER = logging.getLogger(__name__)
_PIN = 1 << 40


class _Probe(QObject):
    ping = Signal()


def _emit_drops_a_reference() -> bool:
    before = sys.getrefcount(True)
    probe = _Probe()
    for _ in range(8):
        probe.ping.emit()
    return sys.getrefcount(True) < before - 4


def pin_singletons() -> bool:
    """Work around PySide6 6.12 on Python 3.11: it drops a reference to True on every Python
    ``Signal.emit()`` and to None on every slot call from Qt. On Python 3.12+ None/True/False are
    immortal (PEP 683) so nothing happens; on 3.11 the count reaches zero after a few thousand
    signals and the interpreter aborts ("deallocating True or False"). When the fault is detected,
    give the three singletons a reference count no program can use up, which is what 3.12 does.
    """
    if sys.version_info >= (3, 12) or not _emit_drops_a_reference():
        return False
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _PIN
    LOGGER.info("PySide6 %s drops references to None/True/False on Python %d.%d: pinned them",
                PYSIDE_VERSION, *sys.version_info[:2])
    return True


PINNED = pin_singletons()


def is_alive(obj: object) -> bool:
    """False once Qt has deleted the C++ side of a widget (a closed dialog, a replaced screen)."""
    return bool(isValid(obj))


__all__ = [
    "is_alive", "PINNED", "PYSIDE_VERSION", "QAbstractItemView", "QAbstractSocket", "QAbstractTableModel",
    "QApplication", "QButtonGroup", "QCheckBox", "QCloseEvent", "QColor", "QComboBox", "QCompleter",
    "QDateTime", "QDateTimeEdit", "QDialog",
    "QDialogButtonBox", "QFileDialog", "QFont", "QFormLayout", "QFrame", "QGuiApplication", "QHBoxLayout",
    "QHeaderView", "QHostAddress", "QKeySequence", "QLabel", "QLineEdit", "QListWidget", "QListWidgetItem",
    "QMainWindow", "QMessageBox", "QModelIndex", "QNetworkInterface", "QObject", "QPainter", "QPen",
    "QPersistentModelIndex",
    "QPlainTextEdit", "QPointF", "QProgressBar", "QProgressDialog", "QPushButton", "QRectF", "QResizeEvent",
    "QScrollArea", "QSettings", "QShortcut", "QShowEvent", "QSize", "QSizePolicy", "QSpinBox", "QStackedWidget",
    "QStringListModel", "QStyle", "QStyledItemDelegate", "QStyleOptionViewItem", "Qt", "QTableView", "QTabWidget",
    "QTimer", "QVBoxLayout", "QWidget", "QWizard", "QWizardPage", "Signal",
]
