"""Devices screen: claim by typing or scanning a serial and Enter, filters, unclaim as a job with its
progress bar, operations enabled by the operator's rights, and the device detail dialog.
(Reset, trim, move, archive and the new detail tabs: test_gui_maintenance*.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from appliance.errors import ValidationError
from appliance.services.properties import NewProperty
from gui.dialogs.device_detail import DeviceDetailDialog
from gui.dialogs.maintenance_device import UnclaimDialog
from gui.operations.access import access_for
from gui.operations.device_detail import services_of, target_of
from gui.operations.devices import parse_serial
from gui.qt import QApplication, QMessageBox, Qt
from gui.screens.base import ScreenContext
from gui.screens.devices import DevicesScreen
from gui.widgets.claim_panel import describe_serial
from tests.gui import seed
from tests.gui.conftest import call, wait_top

DEVICE = 0x1234


def open_screen(qtbot: Any, ctx: ScreenContext) -> DevicesScreen:
    screen = DevicesScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1100, 760)
    screen.show()
    qtbot.waitUntil(lambda: screen.model.loaded_once, timeout=10_000)
    return screen


def label_of(screen: DevicesScreen, device_id: int, column: int) -> str | None:
    row = screen.model.row_of(device_id)
    return None if row is None else screen.model.index(row, column).data()


@pytest.mark.parametrize(("text", "expected"), [
    ("0x1234", 0x1234), ("d--0000-0000-0000-1234", 0x1234), ("4660", 4660), ("  0X00ab\n", 0xAB),
])
def test_serial_numbers_as_typed_or_scanned(text: str, expected: int) -> None:
    assert parse_serial(text) == expected


@pytest.mark.parametrize("text", ["12ab", "0x", "-5", "0", "d--0001-0000-0000-0001"])
def test_not_serial_numbers(text: str) -> None:
    with pytest.raises(ValidationError):
        parse_serial(text)
    assert describe_serial(text).startswith("Not a serial number")


def test_claim_by_typing_a_serial_and_enter(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.register(ctx.core, ctx.session.account, DEVICE, 0x1235)
    screen = open_screen(qtbot, ctx)
    qtbot.waitUntil(lambda: screen.claim.project.count() == 1, timeout=10_000)
    box = screen.claim.serial
    box.setFocus()
    qtbot.keyClicks(box, "0x1234")
    assert screen.claim.hint.text() == "→ d--0000-0000-0000-1234"
    qtbot.keyClick(box, Qt.Key.Key_Return)
    assert box.text() == ""  # emptied at once: the next scan can follow
    qtbot.waitUntil(lambda: "claimed into Line 1" in screen.claim.message.text(), timeout=10_000)
    qtbot.waitUntil(lambda: label_of(screen, DEVICE, 2) == "Line 1", timeout=10_000)
    device = call(ctx.core, lambda a: a.devices.page(None, _query(), limit=10))[1]
    claimed = {d.id: d.project_gid for d in device}
    assert claimed == {DEVICE: site.project.gid, 0x1235: None}
    qtbot.keyClicks(box, "4661")  # decimal 4661 = 0x1235, as a scanner types it
    qtbot.keyClick(box, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: label_of(screen, 0x1235, 2) == "Line 1", timeout=10_000)


def test_claim_refusals_are_said_in_the_panel(qtbot: Any, ctx: ScreenContext) -> None:
    seed.site(ctx.core, ctx.session.account)
    seed.register(ctx.core, ctx.session.account, DEVICE)
    screen = open_screen(qtbot, ctx)
    qtbot.waitUntil(lambda: screen.claim.project.count() == 1, timeout=10_000)
    for text, expected in (("0x9999", "No device d--0000-0000-0000-9999 is registered"),
                           ("hello", "Not a serial number")):
        screen.claim.serial.setText(text)
        screen.claim.submit()
        qtbot.waitUntil(lambda expected=expected: expected in screen.claim.message.text(), timeout=10_000)
    screen.claim.serial.setText("0x1234")
    screen.claim.submit()
    qtbot.waitUntil(lambda: "claimed into" in screen.claim.message.text(), timeout=10_000)
    screen.claim.serial.setText("0x1234")
    screen.claim.submit()
    qtbot.waitUntil(lambda: "not claimable" in screen.claim.message.text(), timeout=10_000)
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]


def test_filters_health_and_operations_by_rights(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    late = seed.claimed(ctx.core, site.org.id, 0x2001)
    seed.claimed(ctx.core, site.org.id, 0x2002)
    seed.set_status(ctx.core, late.device_id, last_report=seed.hours_ago(3), period=3600)
    seed.register(ctx.core, ctx.session.account, 0x3001)
    screen = open_screen(qtbot, ctx)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 3, timeout=10_000)
    assert label_of(screen, 0x2001, 3) == "FAIL" and label_of(screen, 0x2002, 3) == "Off"
    screen.health_filter.setCurrentIndex(2)  # FAIL
    qtbot.waitUntil(lambda: [r.device.id for r in screen.model.rows] == [0x2001], timeout=10_000)
    screen.health_filter.setCurrentIndex(0)
    screen.filter.setText("3001")
    qtbot.waitUntil(lambda: [r.device.id for r in screen.model.rows] == [0x3001], timeout=10_000)
    screen.filter.clear()
    screen.project_filter.setCurrentIndex(1)  # not claimed
    qtbot.waitUntil(lambda: [r.device.id for r in screen.model.rows] == [0x3001], timeout=10_000)
    screen.project_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: screen.model.rowCount() == 3, timeout=10_000)
    assert screen.select_device(0x2002)
    qtbot.waitUntil(lambda: screen.access is not None, timeout=10_000)
    assert all(button.isEnabled() for button in screen.action_buttons.values())  # staff, claimed, idle
    assert screen.select_device(0x3001)
    for button in screen.action_buttons.values():
        assert not button.isEnabled() and button.toolTip() == "This device is not claimed into a project."
    qtbot.waitUntil(lambda: ctx.status.latest is not None and ctx.status.latest.failing_devices == 1,
                    timeout=15_000)


def test_unclaim_job_and_its_progress_bar(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)
    screen = open_screen(qtbot, ctx)
    qtbot.waitUntil(lambda: screen.select_device(DEVICE), timeout=10_000)
    values: list[int] = []
    screen.job.bar.valueChanged.connect(values.append)
    qtbot.waitUntil(lambda: screen.action_buttons["unclaim"].isEnabled(), timeout=10_000)
    screen.action_buttons["unclaim"].click()
    dialog = wait_top(qtbot, UnclaimDialog, "unclaimDialog")
    dialog.next_button.click()
    dialog.start_button.click()
    qtbot.waitUntil(lambda: screen.job.isVisible() and screen.job.pid is not None, timeout=10_000)
    qtbot.waitUntil(lambda: screen.job.status == "done", timeout=20_000)
    assert screen.job.bar.value() == 100 and values[-1] == 100
    assert screen.job.label.text() == "Unclaiming d--0000-0000-0000-1234: done."
    qtbot.waitUntil(lambda: label_of(screen, DEVICE, 2) == "Not claimed", timeout=10_000)
    job = call(ctx.core, lambda a: a.jobs.get(screen.job.pid or ""))
    assert job.kind == "device_unclaim" and job.status == "done" and job.created_by_id == ctx.session.account.id


def test_device_detail_dialog(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE, lids=(0x5001, 0x5002))
    screen = open_screen(qtbot, ctx)
    qtbot.waitUntil(lambda: screen.select_device(DEVICE), timeout=10_000)
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    dialog = wait_top(qtbot, DeviceDetailDialog, "deviceDetailDialog")
    qtbot.addWidget(dialog)
    assert dialog.tab_titles() == ["Overview", "Streams (2)", "Health", "Properties", "Config attributes", "Notes",
                                   "Locations", "Versions", "Data mask"]
    assert dialog.streams_model.rowCount() == 2
    assert {s.lid for s in dialog.detail.streams} == {0x5001, 0x5002}
    dialog.tabs.setCurrentIndex(7)
    assert dialog.versions_tab.versions.current == () and dialog.versions_tab.current_labels["os"].text().endswith("—")
    assert dialog.notes_list.count() == 0 and dialog.notes_note.text() == "No notes on this device yet."
    dialog.accept()


def open_detail(qtbot: Any, ctx: ScreenContext) -> DeviceDetailDialog:
    screen = open_screen(qtbot, ctx)
    qtbot.waitUntil(lambda: screen.select_device(DEVICE), timeout=10_000)
    screen.show_details()
    dialog = wait_top(qtbot, DeviceDetailDialog, "deviceDetailDialog")
    qtbot.addWidget(dialog)
    return dialog


def test_device_detail_adds_a_note(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)
    dialog = open_detail(qtbot, ctx)
    dialog.tabs.setCurrentIndex(5)
    assert not dialog.note_button.isEnabled()
    qtbot.keyClicks(dialog.note_edit, "Replaced the battery")
    assert dialog.note_button.isEnabled()
    qtbot.mouseClick(dialog.note_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.notes_list.count() == 1, timeout=10_000)
    assert dialog.notes_list.item(0).text().endswith(f"@{ctx.session.account.username}: Replaced the battery")
    assert dialog.note_edit.text() == "" and not dialog.notes_note.isVisibleTo(dialog)

    async def notes(appliance: Any) -> Any:
        access = await access_for(appliance, ctx.session.account)
        return await services_of(appliance).notes.list(access, target_of(DEVICE), start=None, end=None,
                                                       lastn=None, offset=0, limit=10)

    count, rows = call(ctx.core, notes)
    assert count == 1 and rows[0].note == "Replaced the battery" and rows[0].type == "ui"
    dialog.accept()


def test_device_detail_shows_properties(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)

    async def add_property(appliance: Any) -> None:
        access = await access_for(appliance, ctx.session.account)
        new = NewProperty(target=target_of(DEVICE), name="Location", type="str", text="Line 1, bay 4")
        await services_of(appliance).properties.create(access, new, ctx.session.account.id)

    call(ctx.core, add_property)
    dialog = open_detail(qtbot, ctx)
    assert dialog.properties_list.count() == 1
    assert dialog.properties_list.item(0).text() == "Location: Line 1, bay 4"
    assert dialog.detail.properties.count == 1 and dialog.detail.attributes.rows == ()
    assert dialog.attributes_note.text() == "This device has no configuration attributes."
    assert dialog.locations_note.text() == "No locations recorded for this device."
    dialog.accept()


def _query() -> Any:
    from appliance.services.devices import DeviceQuery

    return DeviceQuery()
