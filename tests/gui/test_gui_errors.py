"""Errors become dialogs that say what to do; tracebacks go to the log, never to the screen."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest

from appliance.app import Appliance
from appliance.errors import Conflict, NotFound, StartupError, ValidationError
from gui.bridge import CoreThread
from gui.errors import describe, guarded, show_error
from gui.qt import QMessageBox, QProgressDialog, QWidget
from tests.gui.conftest import find_top, wait_top


def test_domain_errors_get_their_own_advice() -> None:
    locked = describe(StartupError("Another IOTile Appliance is already using it", key="data_dir_locked"))
    assert locked.title == "IOTile Appliance is already running" and "Switch to" in locked.todo
    missing = describe(NotFound("job not found"))
    assert missing.title == "It is no longer there" and missing.message == "Job not found."
    clash = describe(Conflict("an org named 'A' already exists", key="duplicate_org"))
    assert clash.title == "This cannot be done right now"
    bad = describe(ValidationError("name must be 1 to 50 characters", key="invalid_name"))
    assert bad.title == "Please check what you entered"


def test_unexpected_errors_show_no_internals_and_log_the_traceback(caplog: pytest.LogCaptureFixture) -> None:
    try:
        raise RuntimeError("password=hunter2 in /secret/path")
    except RuntimeError as err:
        error = err
    text = describe(error)
    assert "hunter2" not in text.message + text.todo and text.title == "Something went wrong"
    with caplog.at_level(logging.ERROR, logger="gui.errors"):
        box = show_error(None, error)
    assert "Traceback" in caplog.text and "hunter2" in caplog.text  # for support, in the log only
    assert "hunter2" not in box.informativeText() and "Traceback" not in box.informativeText()
    box.close()


def test_a_failing_callback_becomes_a_dialog_not_a_crash(qtbot: Any) -> None:
    def broken(_value: int) -> None:
        raise KeyError("oops")

    guarded(None, broken, 1)
    box = wait_top(qtbot, QMessageBox, "errorBox", timeout=5_000)
    assert box.windowTitle() == "Something went wrong"
    box.close()


def test_core_op_without_failure_handler_shows_the_error(qtbot: Any, core: CoreThread) -> None:
    async def missing(appliance: Appliance) -> None:
        await appliance.accounts.by_slug("nobody-here")

    core.op(None, missing).run()
    box = wait_top(qtbot, QMessageBox, "errorBox", timeout=10_000)
    assert box.windowTitle() == "It is no longer there"
    box.close()


def test_slow_op_shows_a_progress_dialog_then_closes_it(qtbot: Any, core: CoreThread) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    parent.show()
    done: list[str] = []

    async def slow(appliance: Appliance) -> str:
        await asyncio.sleep(1.0)
        return "ok"

    core.op(parent, slow).with_progress("Working…").success(done.append).run()
    qtbot.waitUntil(lambda: any(d.isVisible() for d in parent.findChildren(QProgressDialog)), timeout=5_000)
    qtbot.waitUntil(lambda: done == ["ok"], timeout=10_000)
    assert not any(d.isVisible() for d in parent.findChildren(QProgressDialog))


def test_callbacks_are_skipped_when_the_parent_is_gone(qtbot: Any, core: CoreThread) -> None:
    parent = QWidget()
    seen: list[object] = []

    async def slow(appliance: Appliance) -> int:
        await asyncio.sleep(0.3)
        return 1

    core.op(parent, slow).success(seen.append).run()
    parent.deleteLater()
    qtbot.wait(800)
    assert seen == [] and find_top(QMessageBox, "errorBox") is None
