"""run_gui: the desktop program. Build, start and stop the embedded appliance; nothing more.

GuiController is a small state machine (Anki's ``moveToState``): starting -> first run, restored
session or sign-in -> signed in -> stopping. The window appears at once with "Starting…" while the
core starts on its own thread; a start-up failure (another process holds the data directory, a
broken settings file) is shown in a dialog and the program exits non-zero. Quitting stops the
appliance first and the window closes when the core's loop has ended.
"""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from appliance.runtime import settle_memory
from gui.bridge import CoreThread
from gui.collector import collect_on_main_thread
from gui.dialogs.first_run import show_first_run
from gui.dialogs.sign_in import show_sign_in
from gui.errors import install_excepthook, show_error
from gui.main_window import MainWindow
from gui.operations.first_run import FirstRunPlan, FirstRunResult, first_run_plan
from gui.operations.session import Session, restore_session, sign_out
from gui.qt import QApplication, QObject, QSettings, QTimer, Signal
from gui.status import StatusPoller
from gui.theme import apply_theme

LOGGER = logging.getLogger(__name__)
EXIT_START_FAILED = 2
EXIT_CORE_DIED = 3
PREFS_FILE = "gui.ini"
JOIN_SECONDS = 30.0


class GuiController(QObject):
    gui_did_finish = Signal(int)  # the exit code; run_gui ends the Qt loop with it

    def __init__(self, data_dir: Path | None, *, overrides: Mapping[str, Any] | None = None,
                 console_logging: bool = True) -> None:
        super().__init__()
        self.core = CoreThread(data_dir, overrides=overrides, console_logging=console_logging, parent=self)
        root = self.core.appliance.data_dir.root
        self.prefs = QSettings(str(root / PREFS_FILE), QSettings.Format.IniFormat)
        self.status = StatusPoller(self.core, self)
        self.window = MainWindow(self.core, self.status, self.prefs)
        self.exit_code = 0
        self.state = "new"
        self.session: Session | None = None
        self.core.core_did_start.connect(self._core_started)
        self.core.core_did_fail.connect(self._core_failed)
        self.core.core_did_stop.connect(self._core_stopped)
        self.window.close_requested.connect(self.request_quit)
        self.window.sign_out_requested.connect(self.sign_out)

    def start(self) -> None:
        self.state = "starting"
        self.window.show()
        self.core.start()

    # -- start-up ---------------------------------------------------------------------------------
    def _core_started(self) -> None:
        self.state = "routing"
        self.status.start()
        self.core.op(self.window, first_run_plan).success(self._route).run()

    def _route(self, plan: FirstRunPlan | None) -> None:
        if plan is not None:
            self.state = "first_run"
            show_first_run(self.core, self.window, plan, self._set_up, self.request_quit)
            return
        self.core.op(self.window, restore_session).success(self._restored).run()

    def _set_up(self, result: FirstRunResult) -> None:
        self.enter(result.session)

    def _restored(self, session: Session | None) -> None:
        if session is not None:
            self.enter(session)
        else:
            self.ask_sign_in()

    def ask_sign_in(self, email: str = "") -> None:
        self.state = "sign_in"
        self.window.set_waiting("Please sign in.", busy=False)
        show_sign_in(self.core, self.window, self.enter, self.request_quit, email)

    def enter(self, session: Session) -> None:
        self.state = "signed_in"
        self.session = session
        self.window.enter_session(session)

    def sign_out(self) -> None:
        email = self.session.account.email if self.session else ""
        self.session = None
        self.window.leave_session()
        self.core.op(self.window, sign_out).success(lambda _none: self.ask_sign_in(email)).run()

    # -- failure and shutdown ---------------------------------------------------------------------
    def _core_failed(self, error: BaseException) -> None:
        self.state = "failed"
        self.exit_code = EXIT_START_FAILED
        self.window.set_waiting("The appliance could not start.", busy=False)
        self.window.status_bar.show_not_running()
        show_error(self.window, error, on_close=self._finish)

    def request_quit(self) -> None:
        if self.state in ("stopping", "failed", "finished"):
            if self.state == "failed":
                self._finish()
            return
        self.state = "stopping"
        self.status.stop()
        self.window.set_waiting("Stopping the appliance…")
        self.core.stop()

    def _core_stopped(self) -> None:
        if self.state == "stopping":
            self._finish()
        elif self.state not in ("failed", "finished"):
            self.state = "failed"
            self.exit_code = EXIT_CORE_DIED
            LOGGER.error("the appliance loop ended without being asked to stop")
            show_error(self.window, RuntimeError("appliance loop ended"), on_close=self._finish)

    def _finish(self) -> None:
        self.state = "finished"
        self.window.allow_close()
        self.gui_did_finish.emit(self.exit_code)


def _quit_on_sigint(controller: GuiController) -> QTimer:
    """Ctrl+C in the terminal quits cleanly; the timer lets Python see the signal during Qt's loop."""
    signal.signal(signal.SIGINT, lambda *_: controller.request_quit())
    timer = QTimer(controller)
    timer.timeout.connect(lambda: None)
    timer.start(250)
    return timer


def create_application() -> QApplication:
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv)
    app.setApplicationName("IOTile Appliance")
    app.setOrganizationName("IOTile")
    app.setQuitOnLastWindowClosed(False)
    apply_theme(app)
    collect_on_main_thread()
    return app


def run_gui(data_dir: Path | None) -> int:
    """The CLI's default command on a machine with a display. Returns the process exit code."""
    app = create_application()
    install_excepthook()
    controller = GuiController(data_dir)
    controller.gui_did_finish.connect(QApplication.exit)
    _quit_on_sigint(controller)
    controller.start()
    settle_memory()  # on the Qt thread, where this program's collections run (gui/collector.py)
    code = app.exec()
    if not controller.core.join(JOIN_SECONDS):
        LOGGER.error("the appliance thread did not end within %s s", JOIN_SECONDS)
    return controller.exit_code or int(code)
