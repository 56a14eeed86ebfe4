"""Device maintenance from the GUI against a real appliance: trim, reset, archive and move through their
dialogs (options, confirmation, the job's progress bar), the result read back through the services,
the Jobs screen listing the job, and an Operator (r1) held to the API's rules."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from appliance.app import Appliance
from appliance.errors import NotFound
from appliance.services.accounts import AccountRecord
from appliance.slugs import StreamSlug
from gui.dialogs.maintenance_base import CONFIRM, OPTIONS, PROGRESS, MaintenanceDialog, set_moment
from gui.dialogs.maintenance_data import ResetDialog, TrimDialog
from gui.dialogs.maintenance_device import ArchiveDialog, MoveDialog
from gui.operations.access import access_for
from gui.operations.session import Session, sign_in
from gui.qt import QMessageBox, Qt
from gui.screens.base import ScreenContext
from gui.screens.datablocks import NOT_ALLOWED, DataBlocksScreen
from gui.screens.devices import DevicesScreen
from gui.screens.jobs import JobsScreen
from tests.gui import seed
from tests.gui.conftest import call, wait_top
from tests.support.devices import ClaimedDevice

DEVICE = 0x4A01
JOB_MS = 30_000


def open_devices(qtbot: Any, ctx: ScreenContext, device_id: int = DEVICE) -> DevicesScreen:
    screen = DevicesScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1100, 760)
    screen.show()
    qtbot.waitUntil(lambda: screen.model.loaded_once and screen.access is not None, timeout=10_000)
    qtbot.waitUntil(lambda: screen.select_device(device_id), timeout=10_000)
    return screen


def open_action(qtbot: Any, screen: DevicesScreen, key: str, kind: type[MaintenanceDialog]) -> MaintenanceDialog:
    button = screen.action_buttons[key]
    assert button.isEnabled(), button.toolTip()
    button.click()
    dialog = wait_top(qtbot, kind, f"{key}Dialog")
    qtbot.addWidget(dialog)
    assert dialog.pages.currentIndex() == OPTIONS
    return dialog


def confirm(qtbot: Any, dialog: MaintenanceDialog) -> str:
    dialog.next_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == CONFIRM, timeout=10_000)
    return dialog.confirm_text.text()


def run_job(qtbot: Any, dialog: MaintenanceDialog) -> None:
    assert dialog.start_button.isEnabled()
    dialog.start_button.click()
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == PROGRESS and dialog.pid is not None, timeout=10_000)
    qtbot.waitUntil(lambda: dialog.final is not None, timeout=JOB_MS)
    assert dialog.final is not None and dialog.final.status == "done", dialog.final
    assert dialog.job.bar.value() == 100


def readings(core: Any, account: AccountRecord, slug: str) -> tuple[int, Any]:
    async def read(appliance: Appliance) -> tuple[int, Any]:
        access = await access_for(appliance, account)
        return (await appliance.reading_arrays.count(access, slug, None, None),
                await appliance.reading_arrays.extent(access, slug))

    return call(core, read)


def claimed_with_data(ctx: ScreenContext, count: int, step: float = 60.0) -> tuple[ClaimedDevice, Any]:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    first = seed.hours_ago(count * step / 3600.0).replace(microsecond=0)
    seed.add_readings(ctx.core, device, count, first=first, step=step)
    return device, first


def test_trim_a_range_from_the_dialog(qtbot: Any, ctx: ScreenContext) -> None:
    device, first = claimed_with_data(ctx, 600)  # one reading a minute for ten hours
    screen = open_devices(qtbot, ctx)
    dialog = open_action(qtbot, screen, "trim", TrimDialog)
    assert isinstance(dialog, TrimDialog)
    assert "600 readings" in dialog.range_label.text()
    start, end = first + timedelta(hours=2), first + timedelta(hours=8)
    set_moment(dialog.start_edit.edit, start)
    set_moment(dialog.end_edit.edit, end)
    text = confirm(qtbot, dialog)
    assert "120 readings (and the events) before" in text and "119 readings (and the events) after" in text
    assert "361 readings from" in text
    values: list[int] = []
    dialog.job.bar.valueChanged.connect(values.append)
    run_job(qtbot, dialog)
    assert values[-1] == 100
    assert dialog.result_label.text().startswith("Trim finished: 239 readings and 0 events deleted.")
    count, extent = readings(ctx.core, ctx.session.account, seed.stream_slug(device))
    assert count == 361 and extent.first == start and extent.last == end
    qtbot.waitUntil(lambda: screen.job.status == "done", timeout=10_000)  # the screen's bar followed it too
    jobs = JobsScreen(ctx)
    qtbot.addWidget(jobs)
    jobs.show()
    qtbot.waitUntil(lambda: jobs.select_pid(dialog.pid or ""), timeout=10_000)
    job = jobs.selected_job()
    assert job is not None and job.kind == "device_trim" and job.status == "done"


def test_trim_refuses_a_range_holding_no_data(qtbot: Any, ctx: ScreenContext) -> None:
    _device, first = claimed_with_data(ctx, 60)
    dialog = open_action(qtbot, open_devices(qtbot, ctx), "trim", TrimDialog)
    assert isinstance(dialog, TrimDialog)
    set_moment(dialog.start_edit.edit, first - timedelta(days=3))
    set_moment(dialog.end_edit.edit, first - timedelta(days=2))
    assert "trimming would delete all of them" in confirm(qtbot, dialog)
    assert not dialog.start_button.isEnabled()
    dialog.back_button.click()
    assert dialog.pages.currentIndex() == OPTIONS
    dialog.end_edit.check.setChecked(False)
    dialog.start_edit.check.setChecked(False)
    dialog.next_button.click()
    assert "Tick at least one side" in dialog.problem_label.text() and dialog.pages.currentIndex() == OPTIONS


def test_reset_and_its_progress_bar(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    token = seed.operator_token(ctx.core, site.org.id)
    seed.upload(ctx.core, token, DEVICE, 1, 20)
    assert readings(ctx.core, ctx.session.account, seed.stream_slug(device))[0] == 20
    screen = open_devices(qtbot, ctx)
    dialog = open_action(qtbot, screen, "reset", ResetDialog)
    assert isinstance(dialog, ResetDialog)
    assert dialog.full.isChecked() and dialog.keep_properties.isChecked() and dialog.keep_notes.isChecked()
    text = confirm(qtbot, dialog)
    assert "All 20 readings and the events of its streams" in text and "Its properties" in text
    values: list[int] = []
    dialog.job.bar.valueChanged.connect(values.append)
    run_job(qtbot, dialog)
    assert values[-1] == 100 and dialog.job.label.text() == f"Resetting {dialog.device.slug}: done."
    deleted = (dialog.final.result or {})["data_deleted"] if dialog.final else 0
    assert deleted >= 20  # its stream's readings, and the report's own marker (keyed to the device, no StreamId)
    assert dialog.result_label.text().startswith(f"Reset finished: {deleted} readings and 0 events deleted.")
    assert readings(ctx.core, ctx.session.account, seed.stream_slug(device))[0] == 0
    seed.upload(ctx.core, token, DEVICE, 1, 20)  # a full reset forgot the streamer: the same IDs count again
    assert readings(ctx.core, ctx.session.account, seed.stream_slug(device))[0] == 20
    qtbot.waitUntil(lambda: screen.action_buttons["reset"].isEnabled(), timeout=10_000)  # idle again, list read


def test_archive_makes_a_block_and_frees_the_device(qtbot: Any, ctx: ScreenContext) -> None:
    device, _first = claimed_with_data(ctx, 50)
    screen = open_devices(qtbot, ctx)
    dialog = open_action(qtbot, screen, "archive", ArchiveDialog)
    assert isinstance(dialog, ArchiveDialog)
    dialog.title_edit.setText("Batch 42")
    dialog.description.setPlainText("Burn-in of the first batch")
    dialog.unclaim.setChecked(True)
    text = confirm(qtbot, dialog)
    assert "Its 50 readings and events" in text and "“Batch 42”" in text
    run_job(qtbot, dialog)
    assert dialog.result_label.text().startswith("Archived 50 readings into data block b--0001-0000-0000-4a01")
    qtbot.waitUntil(lambda: screen.model.row_of(DEVICE) is not None
                    and screen.model.index(screen.model.row_of(DEVICE) or 0, 2).data() == "Not claimed",
                    timeout=10_000)
    with pytest.raises(NotFound):  # its stream went with the unclaim; the readings are in the block
        readings(ctx.core, ctx.session.account, seed.stream_slug(device))
    blocks = DataBlocksScreen(ctx)
    qtbot.addWidget(blocks)
    blocks.show()
    qtbot.waitUntil(lambda: blocks.select_block("b--0001-0000-0000-4a01"), timeout=10_000)
    row = blocks.selected_row()
    assert row is not None and row.block.title == "Batch 42" and row.readings == 50
    assert blocks.open_button.isEnabled() and blocks.delete_button.isEnabled()  # staff


def test_move_to_another_project(qtbot: Any, ctx: ScreenContext) -> None:
    device, _first = claimed_with_data(ctx, 30)
    seed.projects(ctx.core, ctx.session.account, "acme-factory", "Line 9")
    dialog = open_action(qtbot, open_devices(qtbot, ctx), "move", MoveDialog)
    assert isinstance(dialog, MoveDialog)
    names = [dialog.project.itemText(i) for i in range(dialog.project.count())]
    assert "Line 9" in names
    dialog.project.setCurrentIndex(names.index("Line 9"))
    assert "The device leaves" in confirm(qtbot, dialog)
    run_job(qtbot, dialog)
    target = next(p for p in dialog.facts.move_targets if p.name == "Line 9")
    moved = StreamSlug(target.gid, DEVICE, seed.STREAM).slug
    assert readings(ctx.core, ctx.session.account, moved)[0] == 30
    assert dialog.result_label.text().startswith("Moved to Line 9: 30 readings moved along.")
    assert device.project_gid != target.gid


def operator_session(ctx: ScreenContext, org_id: int) -> Session:
    async def make(appliance: Appliance) -> Session:
        account = await appliance.accounts.create("op@acme.example", "operator-pass-1", username="op")
        await appliance.orgs.add_member(org_id, account.id, "r1")
        return await sign_in(appliance, "op@acme.example", "operator-pass-1", False)

    return call(ctx.core, make)


def test_an_operator_sees_the_operations_disabled(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)
    operator = ScreenContext(ctx.core, operator_session(ctx, site.org.id), ctx.status)
    screen = open_devices(qtbot, operator)
    for key, button in screen.action_buttons.items():
        assert not button.isEnabled(), key
        assert button.toolTip().startswith("Your role in this organization may not"), button.toolTip()
    dialog = ResetDialog(ctx.core, operator.session.account, call(ctx.core, _facts(operator)), screen)
    qtbot.addWidget(dialog)
    dialog.show()
    confirm(qtbot, dialog)
    dialog.start_button.click()  # the service is still the judge: its refusal is a clear dialog
    box = wait_top(qtbot, QMessageBox, "errorBox")
    assert box.windowTitle() == "You may not do this"
    box.accept()
    assert dialog.pages.currentIndex() == OPTIONS
    blocks = DataBlocksScreen(operator)
    qtbot.addWidget(blocks)
    blocks.show()
    qtbot.waitUntil(lambda: blocks.note.text() == NOT_ALLOWED, timeout=10_000)
    assert not blocks.delete_button.isEnabled()


def _facts(ctx: ScreenContext) -> Any:
    from gui.operations.maintenance import facts_reader

    return facts_reader(ctx.session.account, f"d--0000-0000-0000-{DEVICE:04x}")


def test_keyboard_only_and_enter_never_deletes(qtbot: Any, ctx: ScreenContext) -> None:
    """Enter walks to the confirmation and back; only the danger button's Alt mnemonic (or Tab, Space)
    starts the job, so a barcode scanner's Enter typed into the dialog cannot reset a device."""
    device, _first = claimed_with_data(ctx, 30)
    screen = open_devices(qtbot, ctx)
    screen.table.setFocus()
    qtbot.keyClick(screen, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)  # the Reset… button's mnemonic
    dialog = wait_top(qtbot, ResetDialog, "resetDialog")
    qtbot.addWidget(dialog)
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == CONFIRM, timeout=10_000)
    assert dialog.back_button.hasFocus() or dialog.back_button.isDefault()
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    assert dialog.pages.currentIndex() == OPTIONS and dialog.pid is None
    qtbot.keyClick(dialog, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.pages.currentIndex() == CONFIRM, timeout=10_000)
    qtbot.keyClick(dialog, Qt.Key.Key_R, Qt.KeyboardModifier.AltModifier)
    qtbot.waitUntil(lambda: dialog.final is not None, timeout=JOB_MS)
    assert readings(ctx.core, ctx.session.account, seed.stream_slug(device))[0] == 0
