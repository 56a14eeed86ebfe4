"""The main window: a navigation column, a stack of screens and the status bar. Nothing else.

It knows no service: screens do their own reading through the bridge. Screens are built when a
session begins (they read as the signed-in account) and dropped when it ends. Ctrl+1..9 jump to
the screens in navigation order; the window asks before it closes so the core can stop first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from gui.bridge import CoreThread
from gui.operations.session import Session
from gui.qt import (
    QButtonGroup,
    QCloseEvent,
    QFrame,
    QGuiApplication,
    QHBoxLayout,
    QKeySequence,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSettings,
    QShortcut,
    QStackedWidget,
    Qt,
    QVBoxLayout,
    QWidget,
    Signal,
)
from gui.screens.base import Screen, ScreenContext
from gui.screens.dashboard import DashboardScreen
from gui.screens.datablocks import DataBlocksScreen
from gui.screens.devices import DevicesScreen
from gui.screens.explorer import ExplorerScreen
from gui.screens.jobs import JobsScreen
from gui.screens.members import MembersScreen
from gui.screens.projects import ProjectsScreen
from gui.screens.settings import SettingsScreen
from gui.status import StatusPoller
from gui.theme import set_role
from gui.widgets.status_bar import StatusBar

LOGGER = logging.getLogger(__name__)
GEOMETRY_KEY = "main_window/geometry"
DEFAULT_SIZE = (1280, 820)


@dataclass(frozen=True, kw_only=True)
class ScreenEntry:
    key: str
    label: str
    factory: Callable[[ScreenContext], Screen]


SCREENS: tuple[ScreenEntry, ...] = (
    ScreenEntry(key="dashboard", label="Dashboard", factory=DashboardScreen),
    ScreenEntry(key="projects", label="Projects", factory=ProjectsScreen),
    ScreenEntry(key="devices", label="Devices", factory=DevicesScreen),
    ScreenEntry(key="explorer", label="Data explorer", factory=ExplorerScreen),
    ScreenEntry(key="jobs", label="Jobs", factory=JobsScreen),
    ScreenEntry(key="members", label="Members", factory=MembersScreen),
    ScreenEntry(key="settings", label="Settings", factory=SettingsScreen),
    ScreenEntry(key="datablocks", label="Data blocks", factory=DataBlocksScreen),  # last: Ctrl+1..7 stay put
)


class MainWindow(QMainWindow):
    close_requested = Signal()  # the operator wants to quit: stop the core, then allow_close()
    sign_out_requested = Signal()

    def __init__(self, core: CoreThread, status: StatusPoller, prefs: QSettings | None = None) -> None:
        super().__init__()
        self.setWindowTitle("IOTile Appliance")
        self.core, self.status, self._prefs = core, status, prefs
        self._may_close = False
        self.screens: dict[str, Screen] = {}
        self.buttons: dict[str, QPushButton] = {}
        self.stack = QStackedWidget()
        self.stack.addWidget(self._waiting_page())
        self.status_bar = StatusBar()
        status.status_did_refresh.connect(self.status_bar.show_snapshot)
        status.status_did_fail.connect(self.status_bar.mark_stale)
        self.setCentralWidget(self._layout())
        self._shortcuts()
        self._restore_geometry()

    def _layout(self) -> QWidget:
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(self.stack, 1)
        right.addWidget(self.status_bar)
        root = QHBoxLayout()
        root.setContentsMargins(0, 0, 0, 0)
        root.setSpacing(0)
        root.addWidget(self._nav())
        root.addLayout(right, 1)
        central = QWidget()
        central.setLayout(root)
        return central

    def _nav(self) -> QFrame:
        nav = QFrame()
        nav.setObjectName("nav")
        nav.setFixedWidth(230)
        box = QVBoxLayout(nav)
        box.setContentsMargins(0, 18, 0, 16)
        box.setSpacing(2)
        brand = QLabel("IOTile\nAppliance")
        brand.setStyleSheet("font-size: 17pt; font-weight: 700; padding: 0 20px 18px 20px;")
        box.addWidget(brand)
        box.addWidget(self._nav_buttons(), 1)
        self.user_label = QLabel("")
        self.user_label.setStyleSheet("padding: 0 20px; font-size: 11pt;")
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.setVisible(False)
        self.sign_out_button.clicked.connect(lambda: self.sign_out_requested.emit())
        box.addWidget(self.user_label)
        box.addWidget(self.sign_out_button)
        return nav

    def _nav_buttons(self) -> QScrollArea:
        """The screen buttons scroll when the window is shorter than they are (a small panel PC)."""
        self._group = QButtonGroup(self)
        self._group.setExclusive(True)
        holder = QWidget()
        holder.setObjectName("navButtons")
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        for number, entry in enumerate(SCREENS, start=1):
            column.addWidget(self._nav_button(entry, number))
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setObjectName("navScroll")
        scroll.setWidget(holder)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        return scroll

    def _nav_button(self, entry: ScreenEntry, number: int) -> QPushButton:
        button = QPushButton(entry.label)
        button.setObjectName(f"nav_{entry.key}")
        button.setCheckable(True)
        button.setEnabled(False)
        button.setToolTip(f"{entry.label} (Ctrl+{number})")
        button.clicked.connect(lambda _checked=False, key=entry.key: self.show_screen(key))
        self._group.addButton(button)
        self.buttons[entry.key] = button
        return button

    def _waiting_page(self) -> QWidget:
        page = QWidget()
        box = QVBoxLayout(page)
        box.addStretch(1)
        self.waiting_label = QLabel("Starting the appliance…")
        self.waiting_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        set_role(self.waiting_label, "big")
        self.waiting_bar = QProgressBar()
        self.waiting_bar.setRange(0, 0)
        self.waiting_bar.setFixedWidth(360)
        self.waiting_bar.setTextVisible(False)
        box.addWidget(self.waiting_label)
        box.addWidget(self.waiting_bar, 0, Qt.AlignmentFlag.AlignHCenter)
        box.addStretch(2)
        return page

    def _shortcuts(self) -> None:
        for number, entry in enumerate(SCREENS[:9], start=1):
            shortcut = QShortcut(QKeySequence(f"Ctrl+{number}"), self)
            shortcut.activated.connect(lambda key=entry.key: self.show_screen(key))

    # -- sessions and screens ---------------------------------------------------------------------
    def set_waiting(self, text: str, busy: bool = True) -> None:
        self.waiting_label.setText(text)
        self.waiting_bar.setVisible(busy)
        self.stack.setCurrentIndex(0)

    def enter_session(self, session: Session) -> None:
        self.leave_session()
        ctx = ScreenContext(self.core, session, self.status)
        for entry in SCREENS:
            screen = entry.factory(ctx)
            screen.navigation_requested.connect(self.open_in)
            self.screens[entry.key] = screen
            self.stack.addWidget(screen)
            self.buttons[entry.key].setEnabled(True)
        self.status.set_account(session.account)
        account = session.account
        self.user_label.setText(f"Signed in as\n{account.name or account.email}")
        self.sign_out_button.setVisible(True)
        self.show_screen(SCREENS[0].key)

    def leave_session(self) -> None:
        for key, screen in self.screens.items():
            self.stack.removeWidget(screen)
            screen.deleteLater()
            self.buttons[key].setEnabled(False)
        self.screens = {}
        self.status.set_account(None)
        self.user_label.setText("")
        self.sign_out_button.setVisible(False)
        self.set_waiting("Please sign in.", busy=False)

    def show_screen(self, key: str) -> None:
        screen = self.screens.get(key)
        if screen is None:
            return
        self.stack.setCurrentWidget(screen)
        self.buttons[key].setChecked(True)
        LOGGER.debug("screen %s", key)

    def open_in(self, key: str, target: object) -> None:
        """A screen asked for another one to show something (a project's devices, a device's data)."""
        screen = self.screens.get(key)
        if screen is not None:
            self.show_screen(key)
            screen.open_with(target)

    def current_key(self) -> str | None:
        current = self.stack.currentWidget()
        return next((k for k, s in self.screens.items() if s is current), None)

    # -- closing ----------------------------------------------------------------------------------
    def allow_close(self) -> None:
        self._may_close = True
        self.close()

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self._may_close:
            event.ignore()
            self.close_requested.emit()
            return
        self._save_geometry()
        event.accept()

    def _restore_geometry(self) -> None:
        geometry = self._prefs.value(GEOMETRY_KEY) if self._prefs is not None else None
        if geometry is not None and self.restoreGeometry(geometry):
            return
        screen = QGuiApplication.primaryScreen()
        room = screen.availableGeometry().size() if screen is not None else None
        width, height = DEFAULT_SIZE
        if room is not None:  # a first start on a small panel PC must still fit
            width, height = min(width, room.width()), min(height, room.height())
        self.resize(width, height)

    def _save_geometry(self) -> None:
        if self._prefs is not None:
            self._prefs.setValue(GEOMETRY_KEY, self.saveGeometry())
            self._prefs.sync()
