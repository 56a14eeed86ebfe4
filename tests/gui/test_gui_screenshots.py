"""Every main screen and dialog saved as a PNG (offscreen ``grab()``), to be looked at by people.

Set GUI_SCREENSHOT_DIR to keep them; otherwise they go to a temporary directory. The pictures show
real states: a job mid-way, a refused setting, a wrong password, a second instance.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from appliance.ingest.pipeline import ReportUploaded
from gui.bridge import CoreThread
from gui.dialogs.sign_in import show_sign_in
from gui.qt import QMessageBox, QWizard
from gui.widgets.progress_delegate import PROGRESS_ROLE
from tests.gui.conftest import (
    call,
    fill_wizard,
    make_controller,
    quit_controller,
    save_shot,
    wait_top,
)

SIZE = (1280, 820)


def test_screenshots_of_the_wizard_and_every_screen(qtbot: Any, tmp_path: Path, screenshot_dir: Path) -> None:
    controller = make_controller(tmp_path / "data")
    qtbot.addWidget(controller.window)
    controller.window.resize(*SIZE)
    controller.start()
    save_shot(qtbot, controller.window, screenshot_dir, "00-starting")
    wizard = wait_top(qtbot, QWizard, "firstRunWizard")
    shoot_wizard(qtbot, wizard, screenshot_dir)
    wizard.accept()
    window = controller.window
    qtbot.waitUntil(lambda: window.current_key() == "dashboard", timeout=10_000)
    qtbot.waitUntil(lambda: "127.0.0.1" in window.screens["dashboard"].urls.text(), timeout=10_000)
    window.resize(*SIZE)
    save_shot(qtbot, window, screenshot_dir, "10-dashboard")
    shoot_feed(qtbot, controller, screenshot_dir)
    shoot_jobs(qtbot, controller, screenshot_dir)
    window.show_screen("members")
    qtbot.waitUntil(lambda: window.screens["members"].model.rowCount() > 0, timeout=10_000)
    save_shot(qtbot, window, screenshot_dir, "30-members")
    shoot_settings(qtbot, controller, screenshot_dir)
    assert quit_controller(qtbot, controller) == 0


def shoot_wizard(qtbot: Any, wizard: Any, directory: Path) -> None:
    save_shot(qtbot, wizard, directory, "01-wizard-welcome")
    wizard.next()
    wizard.email.setText("ada@")
    wizard.next()
    save_shot(qtbot, wizard, directory, "02-wizard-account-refused")
    wizard.back()
    fill_wizard(qtbot, wizard)
    qtbot.waitUntil(lambda: "http://" in wizard.urls.text(), timeout=10_000)
    save_shot(qtbot, wizard, directory, "03-wizard-ready")


def shoot_feed(qtbot: Any, controller: Any, directory: Path) -> None:
    """Real pipeline events (published as the ingest pipeline does), not a mock-up of the feed."""
    async def publish(appliance: Any) -> None:
        for device_id, count, stored in ((0x0A1B, 120, 120), (0x0A1C, 48, 48), (0x0A1B, 120, 0)):
            appliance.events.publish(ReportUploaded(device_id, 5, 0, count, stored, datetime.now(timezone.utc)))

    call(controller.core, publish)
    screen = controller.window.screens["dashboard"]
    qtbot.waitUntil(lambda: screen.feed.count() == 3, timeout=10_000)
    qtbot.waitUntil(lambda: controller.window.status_bar.text_of("uploads") == "3", timeout=10_000)
    save_shot(qtbot, controller.window, directory, "11-dashboard-feed")


def shoot_jobs(qtbot: Any, controller: Any, directory: Path) -> None:
    core: CoreThread = controller.core
    call(core, lambda a: a.jobs.schedule("ping", {"seconds": 0.2, "steps": 2}))
    job = call(core, lambda a: a.jobs.schedule("ping", {"seconds": 30, "steps": 100}))
    controller.window.show_screen("jobs")
    screen = controller.window.screens["jobs"]

    def midway() -> bool:
        row = screen.model.row_of(job.pid)
        value = screen.model.index(row, 2).data(PROGRESS_ROLE) if row is not None else None
        return value is not None and 10 <= value <= 90

    qtbot.waitUntil(midway, timeout=20_000)
    screen.select_pid(job.pid)
    save_shot(qtbot, controller.window, directory, "20-jobs")
    call(core, lambda a: a.jobs.cancel(job.pid))


def shoot_settings(qtbot: Any, controller: Any, directory: Path) -> None:
    window = controller.window
    window.show_screen("settings")
    screen = window.screens["settings"]
    qtbot.waitUntil(lambda: screen.fields["server.port"].edit.text() != "", timeout=10_000)
    screen.fields["server.port"].edit.setText("70000")
    screen.save()
    save_shot(qtbot, window, directory, "40-settings-refused")


def test_screenshots_of_sign_in_and_errors(qtbot: Any, core: CoreThread, screenshot_dir: Path) -> None:
    dialog = show_sign_in(core, None, lambda _s: None, lambda: None, email="owner@appliance.local")
    qtbot.addWidget(dialog)
    save_shot(qtbot, dialog, screenshot_dir, "50-sign-in")
    dialog.password.setText("wrong password")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=10_000)
    save_shot(qtbot, dialog, screenshot_dir, "51-sign-in-refused")
    dialog.reject()
    second = make_controller(core.appliance.data_dir.root)
    qtbot.addWidget(second.window)
    second.window.resize(*SIZE)
    second.start()
    box = wait_top(qtbot, QMessageBox, "errorBox")
    save_shot(qtbot, box, screenshot_dir, "60-second-instance")
    save_shot(qtbot, second.window, screenshot_dir, "61-second-instance-window")
    box.button(QMessageBox.StandardButton.Ok).click()
    assert second.core.join(10)
