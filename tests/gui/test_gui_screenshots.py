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
from gui.qt import QMessageBox, QScrollArea, QWizard
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
    shoot_members(qtbot, controller, screenshot_dir)
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


def shoot_members(qtbot: Any, controller: Any, directory: Path) -> None:
    from gui.dialogs.invite import InviteDialog

    window = controller.window
    screen = window.screens["members"]
    screen.invite()
    dialog = wait_top(qtbot, InviteDialog, "inviteDialog")
    dialog.email.setText("bob@acme.example")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.link.text() != "", timeout=10_000)
    save_shot(qtbot, dialog, directory, "31-invite-link")
    dialog.accept()
    qtbot.waitUntil(lambda: screen.invitations.rowCount() == 1, timeout=10_000)
    screen.table.selectRow(0)
    screen.invitation_table.selectRow(0)
    save_shot(qtbot, window, directory, "30-members")


def shoot_settings(qtbot: Any, controller: Any, directory: Path) -> None:
    window = controller.window
    window.show_screen("settings")
    screen = window.screens["settings"]
    qtbot.waitUntil(lambda: screen.fields["server.port"].edit.text() != "", timeout=10_000)
    screen.fields["server.port"].edit.setText("70000")
    screen.save()
    save_shot(qtbot, window, directory, "40-settings-refused")
    screen.smtp_password.setText("secret")
    scroll = screen.findChild(QScrollArea)
    scroll.verticalScrollBar().setValue(scroll.verticalScrollBar().maximum())
    save_shot(qtbot, window, directory, "41-settings-smtp-password")


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


def test_screenshots_of_projects_devices_and_the_explorer(qtbot: Any, ctx: Any, screenshot_dir: Path,
                                                          tmp_path: Path) -> None:
    from gui.main_window import MainWindow

    data = seed_site(ctx)
    window = MainWindow(ctx.core, ctx.status)
    qtbot.addWidget(window)
    window.resize(*SIZE)
    window.enter_session(ctx.session)
    window.show()
    shoot_dashboard(qtbot, window, ctx, screenshot_dir)
    shoot_projects(qtbot, window, screenshot_dir)
    shoot_devices(qtbot, window, data, screenshot_dir)
    shoot_explorer(qtbot, window, data, screenshot_dir, tmp_path)
    window.leave_session()


def seed_site(ctx: Any) -> dict[str, Any]:
    from tests.gui import seed

    site = seed.site(ctx.core, ctx.session.account, "Line 1 – assembly")
    seed.projects(ctx.core, ctx.session.account, site.org.slug, "Line 2 – packing", "Cold store")
    main = seed.claimed(ctx.core, site.org.id, 0x1A2B, lids=(0x5001, 0x5002))
    late = seed.claimed(ctx.core, site.org.id, 0x1A2C)
    quiet = seed.claimed(ctx.core, site.org.id, 0x1A2D)
    seed.set_status(ctx.core, main.device_id, last_report=seed.hours_ago(0.2), period=3600)
    seed.set_status(ctx.core, late.device_id, last_report=seed.hours_ago(30), period=7200)
    seed.set_status(ctx.core, quiet.device_id, last_report=None)
    seed.register(ctx.core, ctx.session.account, 0x1B00, 0x1B01)
    start = seed.hours_ago(24 * 6)
    count = 6 * 24 * 3600 * 2  # a reading every half second for six days: 1,036,800
    seed.add_readings(ctx.core, main, count, first=start, step=0.5, values=seed.temperatures(count, 0.5))
    seed.add_readings(ctx.core, main, 6 * 24 * 12, first=start, step=300.0, lid=0x5002)
    return {"site": site, "main": main, "seed": seed}


def shoot_dashboard(qtbot: Any, window: Any, ctx: Any, directory: Path) -> None:
    async def publish(appliance: Any) -> None:
        for device_id, count in ((0x1A2B, 60), (0x1A2C, 12), (0x1A2B, 60)):
            appliance.events.publish(ReportUploaded(device_id, 1, 0, count, count + 1, datetime.now(timezone.utc)))

    screen = window.screens["dashboard"]
    qtbot.waitUntil(lambda: screen.devices.rowCount() == 5, timeout=10_000)
    call(ctx.core, publish)
    qtbot.waitUntil(lambda: screen.feed.count() == 3, timeout=10_000)
    qtbot.waitUntil(lambda: window.status_bar.text_of("failing") == "1", timeout=15_000)
    save_shot(qtbot, window, directory, "12-dashboard-devices")


def shoot_projects(qtbot: Any, window: Any, directory: Path) -> None:
    from gui.dialogs.new_project import NewProjectDialog

    window.show_screen("projects")
    screen = window.screens["projects"]
    qtbot.waitUntil(lambda: screen.model.rowCount() == 6, timeout=10_000)
    screen.table.selectRow(0)
    save_shot(qtbot, window, directory, "70-projects")
    screen.new_project()
    dialog = wait_top(qtbot, NewProjectDialog, "newProjectDialog")
    dialog.name.setText("Cold store")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.message.text() != "", timeout=10_000)
    save_shot(qtbot, dialog, directory, "71-new-project-refused")
    dialog.reject()


def shoot_devices(qtbot: Any, window: Any, data: dict[str, Any], directory: Path) -> None:
    from gui.dialogs.device_detail import DeviceDetailDialog

    window.show_screen("devices")
    screen = window.screens["devices"]
    qtbot.waitUntil(lambda: screen.model.rowCount() == 5 and screen.claim.project.count() == 6, timeout=10_000)
    screen.claim.serial.setText("0x1b00")
    screen.claim.submit()
    qtbot.waitUntil(lambda: "claimed into" in screen.claim.message.text(), timeout=10_000)
    screen.claim.serial.setText("0x1b0")
    qtbot.waitUntil(lambda: screen.select_device(0x1A2C), timeout=10_000)
    save_shot(qtbot, window, directory, "72-devices")
    screen.start_unclaim("d--0000-0000-0000-1a2c", clean_streams=False)
    qtbot.waitUntil(lambda: screen.job.status == "done", timeout=20_000)
    save_shot(qtbot, window, directory, "73-devices-unclaimed")
    qtbot.waitUntil(lambda: screen.select_device(0x1A2B), timeout=10_000)
    screen.show_details()
    dialog = wait_top(qtbot, DeviceDetailDialog, "deviceDetailDialog")
    dialog.tabs.setCurrentIndex(1)
    save_shot(qtbot, dialog, directory, "74-device-detail-streams")
    dialog.tabs.setCurrentIndex(2)
    save_shot(qtbot, dialog, directory, "75-device-detail-health")
    dialog.tabs.setCurrentIndex(5)
    save_shot(qtbot, dialog, directory, "76-device-detail-notes")
    dialog.accept()


def point_at(plot: Any, fraction: float) -> None:
    """The cursor line and its read-out, as when the mouse rests over the plot."""
    low, high = plot.x_range()
    x = low + (high - low) * fraction
    plot.readout.setText(plot.read_at(x))
    plot.crosshair.setPos(x)
    plot.crosshair.setVisible(True)


def shoot_explorer(qtbot: Any, window: Any, data: dict[str, Any], directory: Path, tmp_path: Path) -> None:
    seed, main = data["seed"], data["main"]
    window.show_screen("devices")
    devices = window.screens["devices"]
    qtbot.waitUntil(lambda: devices.select_device(0x1A2B), timeout=10_000)
    devices.plot_selected()
    screen = window.screens["explorer"]
    qtbot.waitUntil(lambda: screen.device is not None and screen.device.id == 0x1A2B and len(screen.streams) == 2,
                    timeout=10_000)
    screen.check_streams({seed.stream_slug(main, 0x5001), seed.stream_slug(main, 0x5002)})
    qtbot.waitUntil(lambda: screen.feed.loaded is not None and not screen.feed.busy
                    and len(screen.plot.curves) == 2, timeout=20_000)
    point_at(screen.plot, 0.5)
    save_shot(qtbot, window, directory, "80-explorer-all")  # a million readings, each pixel its low and high
    screen.preset_buttons[1].click()  # last day
    qtbot.waitUntil(lambda: not screen.feed.busy and screen.feed.loaded is not None, timeout=20_000)
    point_at(screen.plot, 0.5)
    save_shot(qtbot, window, directory, "81-explorer-day-cursor")
    low, high = screen.plot.x_range()
    screen.plot.set_x_range(low + (high - low) * 0.4, low + (high - low) * 0.4 + 300)  # five minutes
    qtbot.waitUntil(lambda: not screen.feed.busy and screen.feed.loaded is not None
                    and all(s.complete for s in screen.feed.loaded.series), timeout=20_000)
    point_at(screen.plot, 0.3)
    save_shot(qtbot, window, directory, "84-explorer-zoomed-every-reading")
    screen.tabs.setCurrentIndex(1)
    qtbot.waitUntil(lambda: screen.readings.loaded_once and screen.readings.rowCount() > 0, timeout=10_000)
    save_shot(qtbot, window, directory, "82-explorer-table")
    screen.tabs.setCurrentIndex(0)
    dialog = screen.export_to(tmp_path / "line-1.csv")
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    save_shot(qtbot, dialog, directory, "83-export-done")
    dialog.accept()
