"""Errors become dialogs that say what happened and what to do; tracebacks go to the log only.

This module and the API middleware are the only two places that catch broadly (STYLE B.9). The
advice is a table keyed first by the error's message key, then by its class, so adding a case is a
row, not a branch.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TypeVar

from appliance.errors import (
    ApplianceError,
    AuthenticationError,
    Conflict,
    DeviceError,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    StartupError,
    StorageError,
    ValidationError,
)
from gui.qt import QApplication, QMessageBox, QWidget

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True)
class Advice:
    title: str
    todo: str


BY_KEY: dict[str, Advice] = {
    "data_dir_locked": Advice("IOTile Appliance is already running",
                              "Switch to the IOTile Appliance window that is already open. If there is none, "
                              "wait a minute and start again, or ask your administrator."),
    "bad_settings": Advice("The settings file has a mistake",
                           "Correct the line named above in settings.toml, or delete the file to go back to "
                           "the defaults, then start again."),
    "not_running": Advice("The appliance is not running",
                          "Close the program and start it again."),
    "bad_credentials": Advice("Sign-in failed",
                              "Check the e-mail address and the password (capital letters count) and try again."),
    "inactive": Advice("This account is switched off", "Ask an administrator to switch your account back on."),
    "token_expired": Advice("Please sign in again", "Your saved sign-in has run out. Sign in with your password."),
    "weak_password": Advice("Choose a longer password", "Use at least 8 characters."),
    "duplicate_email": Advice("That e-mail address is taken",
                              "Sign in with that account instead, or use another e-mail address."),
    "duplicate_project": Advice("That project name is taken",
                                "Choose another name, or use the project that already has it."),
    "no_project_orgs": Advice("You may not create projects",
                              "Ask an owner or administrator of your organization to create the project, "
                              "or to give you the Admin role."),
    "not_claimable": Advice("This device cannot be claimed",
                            "It is already in a project. Unclaim it there first, or check the serial number."),
    "device_busy": Advice("The device is busy", "Wait for its running job to finish (see Jobs), then try again."),
    "unclaim_pending": Advice("An unclaim is already running", "Wait for it to finish on the Jobs screen."),
    "can_claim_devices": Advice("You may not claim devices",
                                "Ask an owner or administrator of the organization to claim it, or to change "
                                "your role."),
}

BY_CLASS: tuple[tuple[type[ApplianceError], Advice], ...] = (
    (StartupError, Advice("The appliance cannot start", "Fix the cause described above, then start again.")),
    (ValidationError, Advice("Please check what you entered", "Correct the value and try again.")),
    (AuthenticationError, Advice("Please sign in", "Sign in again with your e-mail address and password.")),
    (PermissionDenied, Advice("You may not do this",
                              "Ask an owner or administrator of the organization to do it, or to change "
                              "your role.")),
    (NotFound, Advice("It is no longer there", "Someone may have removed it. Refresh the view and try again.")),
    (Conflict, Advice("This cannot be done right now", "Read the reason above, change what it names and retry.")),
    (PayloadTooLarge, Advice("Too large", "Use a smaller file, or raise the limit in Settings.")),
    (DeviceError, Advice("Device problem", "Check that the device is powered and in range, then try again.")),
    (StorageError, Advice("Storage problem",
                          "Check that the disk of the data directory is connected and not full, then retry.")),
)

_OPEN: set[QMessageBox] = set()

UNEXPECTED = Advice("Something went wrong",
                    "The details were written to the log file. Try again; if it happens again, send the log "
                    "file to your support contact.")


@dataclass(frozen=True)
class ErrorText:
    title: str
    message: str
    todo: str


def describe(error: BaseException) -> ErrorText:
    """The words an operator sees; unexpected errors never show their internals."""
    if not isinstance(error, ApplianceError):
        log = log_file()
        where = f" ({log})" if log else ""
        return ErrorText(UNEXPECTED.title, "An unexpected error stopped this action.",
                         UNEXPECTED.todo.replace("log file.", f"log file{where}."))
    advice = BY_KEY.get(error.key) or next((a for cls, a in BY_CLASS if isinstance(error, cls)), UNEXPECTED)
    return ErrorText(advice.title, _sentence(error.message), advice.todo)


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def log_error(error: BaseException) -> None:
    """Expected errors get one line; anything else its traceback (for support, never for the screen)."""
    if isinstance(error, ApplianceError):
        LOGGER.warning("%s: %s", type(error).__name__, error.message)
    else:
        LOGGER.error("unexpected error", exc_info=(type(error), error, error.__traceback__))


def show_error(parent: QWidget | None, error: BaseException,
               on_close: Callable[[], None] | None = None) -> QMessageBox:
    """A window-modal box; returns at once (``on_close`` runs when the operator dismisses it)."""
    log_error(error)
    text = describe(error)
    box = QMessageBox(parent)
    box.setObjectName("errorBox")
    box.setIcon(QMessageBox.Icon.Critical if isinstance(error, StartupError) else QMessageBox.Icon.Warning)
    box.setWindowTitle(text.title)
    box.setText(f"<b>{_escape(text.title)}</b>")
    box.setInformativeText(f"{_escape(text.message)}<br><br>{_escape(text.todo)}")
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    _OPEN.add(box)  # a box without a parent is owned by Python: keep it until it is closed
    box.finished.connect(lambda _result: _OPEN.discard(box))
    if on_close is not None:
        box.finished.connect(lambda _result: on_close())
    box.open()
    return box


def guarded(parent: QWidget | None, callback: Callable[[T], None], value: T) -> None:
    """Run a Qt-thread callback; a bug in it becomes a logged error and a calm dialog, not a crash."""
    try:
        callback(value)
    except Exception as err:  # noqa: BLE001 - the GUI's one broad catch, see the module docstring
        show_error(parent, err)


def install_excepthook() -> None:
    """Exceptions escaping Qt slots are logged and shown, never printed as a traceback to the user."""
    def hook(kind: type[BaseException], error: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, error, tb)
            return
        error.__traceback__ = tb
        parent = QApplication.activeWindow()
        show_error(parent, error)

    sys.excepthook = hook


def log_file() -> str | None:
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.handlers.RotatingFileHandler):
            return str(handler.baseFilename)
    return None


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")
