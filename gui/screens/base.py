"""What every screen shares: its dependencies, passed in, and refresh-when-shown.

Screens receive the core, the signed-in session and the status poller explicitly (no global main
window to reach through, STYLE C.1). A screen told about a change while hidden only marks itself
dirty and refreshes when the operator comes back to it (Anki refreshes on focus the same way).
A screen that wants another one (a project's devices, a device's data) emits
``navigation_requested(key, target)``; the main window shows that screen and calls its
``open_with(target)``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import ClassVar

from gui.bridge import CoreThread
from gui.layout import WrapLabel
from gui.operations.session import Session
from gui.qt import QLabel, QShowEvent, QVBoxLayout, QWidget, Signal
from gui.status import StatusPoller
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScreenContext:
    core: CoreThread
    session: Session
    status: StatusPoller


class Screen(QWidget):
    navigation_requested = Signal(str, object)  # the screen's key, what to open there
    key: ClassVar[str] = ""
    title: ClassVar[str] = ""
    subtitle: ClassVar[str] = ""

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName(f"screen_{self.key}")
        self.ctx = ctx
        self._dirty = True
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(28, 20, 28, 16)
        self.layout_.setSpacing(14)
        self.layout_.addLayout(self._header())

    def _header(self) -> QVBoxLayout:
        box = QVBoxLayout()
        box.setSpacing(2)
        title = QLabel(self.title)
        set_role(title, "title")
        box.addWidget(title)
        if self.subtitle:
            sub = WrapLabel(self.subtitle)
            set_role(sub, "help")
            box.addWidget(sub)
        return box

    def refresh(self) -> None:
        """Read what the screen shows; subclasses override. Called when shown and dirty."""

    def open_with(self, target: object) -> None:
        """Show what another screen asked for (a project, a device); subclasses override."""

    def mark_dirty(self) -> None:
        if self.isVisible():
            self._dirty = False
            self.refresh()
        else:
            self._dirty = True

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self._dirty = False
            self.refresh()

