"""The whole program: first start, restored session, quit, second instance, remembered geometry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gui.bridge import CoreThread
from gui.qt import QMessageBox, Qt, QWizard
from tests.gui.conftest import fill_wizard, make_controller, quit_controller, wait_top


def test_first_start_then_restored_session_then_clean_quit(qtbot: Any, tmp_path: Path) -> None:
    first = make_controller(tmp_path / "data")
    qtbot.addWidget(first.window)
    first.start()
    assert first.window.isVisible()  # the window is there before the core has started
    wizard = wait_top(qtbot, QWizard, "firstRunWizard")
    fill_wizard(qtbot, wizard)
    wizard.accept()
    qtbot.waitUntil(lambda: first.window.current_key() == "dashboard", timeout=10_000)
    qtbot.waitUntil(lambda: "127.0.0.1:" in first.window.status_bar.text_of("addresses"), timeout=10_000)
    assert "Ada Operator" in first.window.user_label.text()
    assert quit_controller(qtbot, first) == 0
    assert not first.core.appliance.started

    again = make_controller(tmp_path / "data")  # "keep me signed in": no dialog this time
    qtbot.addWidget(again.window)
    again.start()
    qtbot.waitUntil(lambda: again.window.current_key() == "dashboard", timeout=30_000)
    assert again.session is not None and again.session.account.email == "ada@example.com"
    assert quit_controller(qtbot, again) == 0


def test_keyboard_navigation(qtbot: Any, tmp_path: Path) -> None:
    controller = make_controller(tmp_path / "data")
    qtbot.addWidget(controller.window)
    controller.start()
    wizard = wait_top(qtbot, QWizard, "firstRunWizard")
    fill_wizard(qtbot, wizard)
    wizard.accept()
    window = controller.window
    qtbot.waitUntil(lambda: window.current_key() == "dashboard", timeout=10_000)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    keys = ((Qt.Key.Key_2, "projects"), (Qt.Key.Key_3, "devices"), (Qt.Key.Key_4, "explorer"), (Qt.Key.Key_5, "jobs"),
            (Qt.Key.Key_7, "settings"), (Qt.Key.Key_1, "dashboard"))
    for key, screen in keys:
        qtbot.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
        assert window.current_key() == screen
    assert quit_controller(qtbot, controller) == 0


def test_second_instance_says_so_and_exits_non_zero(qtbot: Any, core: CoreThread) -> None:
    controller = make_controller(core.appliance.data_dir.root)
    qtbot.addWidget(controller.window)
    codes: list[int] = []
    controller.gui_did_finish.connect(codes.append)
    controller.start()
    box = wait_top(qtbot, QMessageBox, "errorBox")
    assert "already running" in box.text()
    assert "Another IOTile Appliance is already using the data directory" in box.informativeText()
    assert "Traceback" not in box.informativeText()
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: codes == [2], timeout=10_000)
    assert controller.core.join(10)
    assert core.running  # the first instance is unharmed


def test_window_geometry_is_remembered(qtbot: Any, tmp_path: Path) -> None:
    first = make_controller(tmp_path / "data")
    qtbot.addWidget(first.window)
    first.start()
    wizard = wait_top(qtbot, QWizard, "firstRunWizard")
    first.window.setGeometry(12, 34, 700, 517)  # the offscreen screen is 800x600; the window is wider
    wizard.reject()  # closing the set-up quits the program
    codes: list[int] = []
    first.gui_did_finish.connect(codes.append)
    qtbot.waitUntil(lambda: bool(codes), timeout=30_000)
    assert codes == [0] and first.core.join(10)
    second = make_controller(tmp_path / "data")
    qtbot.addWidget(second.window)
    # x and width are clamped: the window's minimum width (919 px) exceeds the offscreen screen
    assert (second.window.y(), second.window.height()) == (34, 517)


def test_sign_out_then_sign_in_again(qtbot: Any, tmp_path: Path) -> None:
    from gui.qt import QDialog

    controller = make_controller(tmp_path / "data")
    qtbot.addWidget(controller.window)
    controller.start()
    wizard = wait_top(qtbot, QWizard, "firstRunWizard")
    fill_wizard(qtbot, wizard)
    wizard.accept()
    window = controller.window
    qtbot.waitUntil(lambda: window.current_key() == "dashboard", timeout=10_000)
    window.sign_out_button.click()
    dialog = wait_top(qtbot, QDialog, "signInDialog")
    assert not window.screens and dialog.email.text() == "ada@example.com"
    dialog.password.setText("correct horse 42")
    dialog.remember.setChecked(False)
    dialog.submit()
    qtbot.waitUntil(lambda: window.current_key() == "dashboard", timeout=10_000)
    assert controller.session is not None and not controller.session.remembered
    assert quit_controller(qtbot, controller) == 0
