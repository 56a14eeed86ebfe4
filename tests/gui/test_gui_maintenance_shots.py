"""Screenshots of device maintenance, to be looked at: the Devices screen's operation buttons, each
operation's dialog (options, confirmation, a finished job), the device detail's Health, Versions and
Data mask tabs, the Data blocks screen and a block's streams.

PNGs go to $GUI_MAINTENANCE_SHOTS, else /tmp/gui-shots/.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

from appliance.app import Appliance
from gui.dialogs.datablock import DataBlockDialog
from gui.dialogs.device_detail import DeviceDetailDialog
from gui.dialogs.maintenance_base import MaintenanceDialog, set_moment
from gui.dialogs.maintenance_data import ResetDialog, TrimDialog
from gui.dialogs.maintenance_device import ArchiveDialog, MoveDialog, UnclaimDialog
from gui.operations.access import access_for
from gui.qt import QWidget
from gui.screens.base import ScreenContext
from gui.screens.datablocks import DataBlocksScreen
from gui.screens.devices import DevicesScreen
from tests.gui import seed
from tests.gui.conftest import call, save_shot, wait_top
from tests.gui.test_gui_maintenance import confirm, run_job
from tests.gui.test_gui_maintenance_detail import APP_VERSION, OS_VERSION, upload_readings, version_value

DEVICE, SPARE = 0x4B01, 0x4B02  # upload_readings sends as 0x4b01
SCREEN_SIZE = (1050, 780)  # the Devices screen in the default 1280 x 820 window, beside the navigation


def shot_dir() -> Path:
    path = Path(os.environ.get("GUI_MAINTENANCE_SHOTS", "/tmp/gui-shots"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def shoot(qtbot: Any, widget: QWidget, name: str) -> None:
    save_shot(qtbot, widget, shot_dir(), name)


def prepare(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.projects(ctx.core, ctx.session.account, site.org.slug, "Line 2 – packing", "Cold store")
    device = seed.claimed(ctx.core, site.org.id, DEVICE, lids=(0x5001, 0x5002))
    spare = seed.claimed(ctx.core, site.org.id, SPARE)
    first = seed.hours_ago(10).replace(microsecond=0)
    seed.add_readings(ctx.core, device, 600, first=first, step=60)
    seed.add_readings(ctx.core, spare, 250, first=first, step=120)
    token = seed.operator_token(ctx.core, site.org.id)
    upload_readings(ctx.core, token, [(0x5001, 7), (APP_VERSION, version_value(1024, 2, 3)),
                                      (OS_VERSION, version_value(17, 1, 0))], first_id=1)
    upload_readings(ctx.core, token, [(APP_VERSION, version_value(1024, 2, 4))], first_id=10)
    seed.set_status(ctx.core, DEVICE, last_report=seed.hours_ago(0.1), period=2 * 3600)

    async def block(appliance: Appliance) -> str:
        access = await access_for(appliance, ctx.session.account)
        body = {"device": "d--0000-0000-0000-4b02", "title": "Burn-in, batch 41",
                "description": "72 h burn-in before shipping"}
        _block, pid = await appliance.datablocks.create(access, body)
        await appliance.maintenance.set_mask(access, "d--0000-0000-0000-4b01",
                                             {"start": (first + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")})
        return pid

    pid = call(ctx.core, block)
    qtbot.waitUntil(lambda: call(ctx.core, lambda a: a.jobs.get(pid)).status == "done", timeout=30_000)


def open_dialog(qtbot: Any, screen: DevicesScreen, key: str, kind: type[MaintenanceDialog]) -> MaintenanceDialog:
    screen.action_buttons[key].click()
    dialog = wait_top(qtbot, kind, f"{key}Dialog")
    qtbot.addWidget(dialog)
    return dialog


def shoot_dialogs(qtbot: Any, screen: DevicesScreen) -> None:
    for key, kind in (("unclaim", UnclaimDialog), ("move", MoveDialog), ("archive", ArchiveDialog)):
        dialog = open_dialog(qtbot, screen, key, kind)
        shoot(qtbot, dialog, f"m-{key}-1-options")
        confirm(qtbot, dialog)
        shoot(qtbot, dialog, f"m-{key}-2-confirm")
        dialog.reject()
    trim = open_dialog(qtbot, screen, "trim", TrimDialog)
    assert isinstance(trim, TrimDialog)
    span = trim.facts.trim_range
    assert span is not None
    set_moment(trim.start_edit.edit, span.first + timedelta(hours=2))
    set_moment(trim.end_edit.edit, span.first + timedelta(hours=8))
    shoot(qtbot, trim, "m-trim-1-options")
    confirm(qtbot, trim)
    shoot(qtbot, trim, "m-trim-2-confirm")
    run_job(qtbot, trim)
    shoot(qtbot, trim, "m-trim-3-done")
    trim.accept()
    reset = open_dialog(qtbot, screen, "reset", ResetDialog)
    shoot(qtbot, reset, "m-reset-1-options")
    confirm(qtbot, reset)
    shoot(qtbot, reset, "m-reset-2-confirm")
    reset.reject()


def shoot_detail(qtbot: Any, screen: DevicesScreen) -> None:
    screen.show_details()
    dialog = wait_top(qtbot, DeviceDetailDialog, "deviceDetailDialog")
    qtbot.addWidget(dialog)
    for tab, name in ((dialog.health_tab, "health"), (dialog.versions_tab, "versions"), (dialog.mask_tab, "mask")):
        dialog.tabs.setCurrentWidget(tab)
        shoot(qtbot, dialog, f"m-detail-{name}")
    dialog.accept()


def test_maintenance_screenshots(qtbot: Any, ctx: ScreenContext) -> None:
    prepare(qtbot, ctx)
    screen = DevicesScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(*SCREEN_SIZE)
    screen.show()
    qtbot.waitUntil(lambda: screen.access is not None and screen.select_device(DEVICE), timeout=10_000)
    qtbot.waitUntil(lambda: screen.action_buttons["reset"].isEnabled(), timeout=10_000)
    shoot(qtbot, screen, "m-devices")
    shoot_detail(qtbot, screen)
    shoot_dialogs(qtbot, screen)
    shoot(qtbot, screen, "m-devices-after-trim")
    blocks = DataBlocksScreen(ctx)
    qtbot.addWidget(blocks)
    blocks.resize(*SCREEN_SIZE)
    blocks.show()
    qtbot.waitUntil(lambda: blocks.select_block("b--0001-0000-0000-4b02"), timeout=30_000)
    shoot(qtbot, blocks, "m-datablocks")
    blocks.open_selected()
    block = wait_top(qtbot, DataBlockDialog, "dataBlockDialog")
    qtbot.addWidget(block)
    shoot(qtbot, block, "m-datablock")
    block.accept()
