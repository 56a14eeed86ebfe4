"""Projects screen: the list with its filter box, New project (org and name), and opening a project
to see its devices (through the main window, as the operator does)."""

from __future__ import annotations

from typing import Any

from gui.dialogs.new_project import NewProjectDialog
from gui.main_window import MainWindow
from gui.qt import Qt
from gui.screens.base import ScreenContext
from gui.screens.devices import DevicesScreen
from gui.screens.projects import ProjectsScreen
from tests.gui import seed
from tests.gui.conftest import wait_top


def names(screen: ProjectsScreen) -> list[str]:
    return [row.project.name for row in screen.model.rows]


def test_list_filter_and_create(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account, "Line 1")
    seed.projects(ctx.core, ctx.session.account, site.org.slug, "Line 2", "Packing")
    screen = ProjectsScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: names(screen) == ["Line 1", "Line 2", "Packing"], timeout=10_000)
    assert screen.model.index(0, 1).data() == "Acme Factory"
    qtbot.keyClicks(screen.filter, "line")
    qtbot.waitUntil(lambda: names(screen) == ["Line 1", "Line 2"], timeout=10_000)
    screen.filter.clear()
    qtbot.waitUntil(lambda: len(names(screen)) == 3, timeout=10_000)
    qtbot.keyClick(screen, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = wait_top(qtbot, NewProjectDialog, "newProjectDialog")
    assert [dialog.org.itemText(i) for i in range(dialog.org.count())] == ["Acme Factory"]
    dialog.name.setText("Line 1")
    dialog.submit()
    qtbot.waitUntil(lambda: "taken" in dialog.message.text() or "already" in dialog.message.text(), timeout=10_000)
    assert dialog.isVisible()
    dialog.name.setText("Line 3")
    dialog.submit()
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=10_000)
    qtbot.waitUntil(lambda: "Line 3" in names(screen), timeout=10_000)
    selected = screen.selected_project()
    assert selected is not None and selected.name == "Line 3"
    assert "created" in screen.note.text()


def test_open_a_project_shows_its_devices(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account, "Line 1")
    other = seed.claimed(ctx.core, site.org.id, 0x2002)  # in a project of its own
    seed.register(ctx.core, ctx.session.account, 0x3001)
    window = MainWindow(ctx.core, ctx.status)
    qtbot.addWidget(window)
    window.enter_session(ctx.session)
    window.show()
    window.show_screen("projects")
    projects = window.screens["projects"]
    assert isinstance(projects, ProjectsScreen)
    qtbot.waitUntil(lambda: projects.select_project(site.project.gid), timeout=10_000)
    projects.table.setFocus()
    qtbot.keyClick(projects.table, Qt.Key.Key_Return)
    assert window.current_key() == "devices"
    devices = window.screens["devices"]
    assert isinstance(devices, DevicesScreen)
    qtbot.waitUntil(lambda: devices.current_filter().project == site.project.slug and devices.model.loaded_once
                    and devices.model.filter.project == site.project.slug, timeout=10_000)
    qtbot.waitUntil(lambda: not devices.model.fetching, timeout=10_000)
    assert devices.model.rowCount() == 0  # nothing claimed into Line 1 yet
    current = devices.claim.current_project()
    assert current is not None and current.gid == site.project.gid  # a scan now claims into Line 1
    devices.project_filter.setCurrentIndex(0)
    qtbot.waitUntil(lambda: {r.device.id for r in devices.model.rows} == {other.device_id, 0x3001},
                    timeout=10_000)
    window.leave_session()
