"""The device detail's new tabs against a real appliance: Versions after an upload holding a 5c09
reading, the health check switched and its period changed, the data mask set and cleared; and the
Data blocks screen: open a block's streams, delete it (staff) as a job with its progress bar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import requests
from iotile.core.hw.reports import IOTileReading, SignedListReport

from appliance.app import Appliance
from gui.dialogs.datablock import DataBlockDialog
from gui.dialogs.device_detail import DeviceDetailDialog, show_device_detail
from gui.dialogs.maintenance_base import set_moment
from gui.operations.access import access_for
from gui.qt import QMessageBox
from gui.screens.base import ScreenContext
from gui.screens.datablocks import DataBlocksScreen
from tests.gui import seed
from tests.gui.conftest import call, wait_top

DEVICE = 0x4B01
SLUG = f"d--0000-0000-0000-{DEVICE:04x}"
APP_VERSION, OS_VERSION = 0x5C09, 0x5C08


def version_value(tag: int, major: int, minor: int) -> int:
    """A 5c08/5c09 reading's value: the tag in the low 20 bits, then minor and major (6 bits each)."""
    return tag | (minor << 20) | (major << 26)


def upload_readings(core: Any, token: str, readings: list[tuple[int, int]], first_id: int) -> None:
    """(lid, value) readings in one SignedListReport over real HTTP, as a device's gateway sends it."""
    sent = 10_000
    items = [IOTileReading(sent - len(readings) + i, lid, value, reading_id=first_id + i)
             for i, (lid, value) in enumerate(readings)]
    report = SignedListReport.FromReadings(DEVICE, items, report_id=first_id + len(items), selector=0xD7FF,
                                           streamer=0, sent_timestamp=sent)
    received = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    response = requests.post(f"{core.appliance.base_url}/api/v1/streamer/report/", params={"timestamp": received},
                             files={"file": ("report.bin", report.encode())},
                             headers={"Authorization": f"jwt {token}"}, timeout=30)
    assert response.status_code == 201, response.text


def open_detail(qtbot: Any, ctx: ScreenContext) -> DeviceDetailDialog:
    show_device_detail(ctx.core, None, ctx.session.account, SLUG)
    dialog = wait_top(qtbot, DeviceDetailDialog, "deviceDetailDialog")
    qtbot.addWidget(dialog)
    return dialog


def test_versions_tab_after_a_5c09_upload(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)
    token = seed.operator_token(ctx.core, site.org.id)
    upload_readings(ctx.core, token, [(seed.STREAM, 7), (APP_VERSION, version_value(1024, 2, 3)),
                                      (OS_VERSION, version_value(17, 1, 0))], first_id=1)
    dialog = open_detail(qtbot, ctx)
    dialog.tabs.setCurrentWidget(dialog.versions_tab)
    tab = dialog.versions_tab
    assert "tag 1024, version 2.3" in tab.current_labels["sg"].text()
    assert "tag 17, version 1.0" in tab.current_labels["os"].text()
    lines = [tab.history.item(i).text() for i in range(tab.history.count())]
    assert len(lines) == 2 and any(line.endswith("Application (5c09): tag 1024, version 2.3   (reading 2)")
                                   for line in lines), lines
    dialog.accept()


def test_health_check_switched_on_with_a_period(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)
    dialog = open_detail(qtbot, ctx)
    tab = dialog.health_tab
    assert not tab.enabled.isChecked() and not tab.hours.isEnabled() and tab.save_button.isEnabled()
    tab.enabled.setChecked(True)
    tab.hours.setValue(3)
    tab.minutes.setValue(30)
    tab.save_button.click()
    qtbot.waitUntil(lambda: tab.message.text().startswith("Saved."), timeout=10_000)
    assert tab.message.text() == "Saved. Health is now UNK."
    assert tab.values["Health check"].text() == "on, expects an upload every 3 h 30 min"

    async def status(appliance: Appliance) -> Any:
        return await appliance.devices.status(await access_for(appliance, ctx.session.account), SLUG)

    saved = call(ctx.core, status)
    assert saved.health_check_enabled and saved.health_check_period == 3 * 3600 + 30 * 60
    dialog.accept()


def test_data_mask_set_and_cleared(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)
    dialog = open_detail(qtbot, ctx)
    tab = dialog.mask_tab
    assert tab.state.text().startswith("No data mask") and not tab.clear_button.isEnabled()
    start = (datetime.now(timezone.utc) - timedelta(days=2)).replace(microsecond=0)
    set_moment(tab.start.edit, start)
    tab.end.check.setChecked(False)
    tab.set_button.click()
    qtbot.waitUntil(lambda: tab.message.text() == "Mask set.", timeout=10_000)
    assert tab.state.text().startswith("Masked: only readings from") and tab.clear_button.isEnabled()

    async def mask(appliance: Appliance) -> Any:
        return await appliance.maintenance.mask(await access_for(appliance, ctx.session.account), SLUG)

    assert call(ctx.core, mask) == {"start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "end": None}
    tab.clear_button.click()
    box = wait_top(qtbot, QMessageBox, "maskClearConfirm")
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: tab.message.text() == "Mask cleared.", timeout=10_000)
    assert call(ctx.core, mask) == {"start": None, "end": None}
    assert tab.state.text().startswith("No data mask")
    dialog.accept()


def archive(ctx: ScreenContext, qtbot: Any) -> str:
    async def start(appliance: Appliance) -> str:
        access = await access_for(appliance, ctx.session.account)
        _block, pid = await appliance.datablocks.create(access, {"device": SLUG, "title": "Run 7"})
        return pid

    pid = call(ctx.core, start)
    qtbot.waitUntil(lambda: call(ctx.core, lambda a: a.jobs.get(pid)).status == "done", timeout=30_000)
    return "b--0001-0000-0000-4b01"


def test_open_and_delete_a_data_block(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE, lids=(0x5001, 0x5002))
    seed.add_readings(ctx.core, device, 40, first=seed.hours_ago(2))
    seed.add_readings(ctx.core, device, 5, first=seed.hours_ago(2), lid=0x5002)
    block = archive(ctx, qtbot)
    screen = DataBlocksScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1100, 700)
    screen.show()
    qtbot.waitUntil(lambda: screen.select_block(block), timeout=10_000)
    qtbot.keyClick(screen.table, "\r")
    dialog = wait_top(qtbot, DataBlockDialog, "dataBlockDialog")
    qtbot.addWidget(dialog)
    assert dialog.detail.readings == 45
    assert {(s.slug[-4:], s.data_cnt) for s in dialog.streams_model.rows} == {("5001", 40), ("5002", 5)}
    dialog.accept()
    qtbot.waitUntil(lambda: screen.rights is not None and screen.delete_button.isEnabled(), timeout=10_000)
    screen.delete_button.click()
    box = wait_top(qtbot, QMessageBox, "blockDeleteConfirm")
    assert "45 readings" in box.text()
    box.button(QMessageBox.StandardButton.Yes).click()
    qtbot.waitUntil(lambda: screen.job.status == "done", timeout=30_000)
    assert screen.job.bar.value() == 100
    qtbot.waitUntil(lambda: screen.model.rowCount() == 0, timeout=10_000)
    assert screen.note.text().startswith("No data blocks yet")
