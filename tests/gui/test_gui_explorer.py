"""Data explorer: an upload over HTTP appears in the live feed and the plot; the table pages lazily;
an operator without data rights is told so; another device's streams replace the first's.
(A million readings, zooming and the CSV export: test_gui_explorer_data.py.)"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from gui.qt import QModelIndex
from gui.screens.base import ScreenContext
from gui.screens.dashboard import DashboardScreen
from gui.screens.explorer import ExplorerScreen
from tests.gui import seed
from tests.gui.conftest import call

DEVICE = 0x1234
FIRST = datetime(2026, 1, 5, tzinfo=timezone.utc)


def open_explorer(qtbot: Any, ctx: ScreenContext, device_id: int) -> ExplorerScreen:
    screen = ExplorerScreen(ctx)
    qtbot.addWidget(screen)
    screen.resize(1100, 760)
    screen.show()
    qtbot.waitUntil(lambda: screen.device is not None and screen.device.id == device_id, timeout=10_000)
    qtbot.waitUntil(lambda: bool(screen.checked_streams()), timeout=10_000)
    qtbot.waitUntil(lambda: screen.feed.loaded is not None and not screen.feed.busy, timeout=10_000)
    return screen


def drawn(screen: ExplorerScreen) -> int:
    return sum(curve.t.size for curve in screen.plot.curves.values())


def settled(screen: ExplorerScreen) -> bool:
    return screen.feed.loaded is not None and not screen.feed.busy


def test_upload_over_http_appears_in_the_feed_the_plot_and_the_status_bar(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    token = seed.operator_token(ctx.core, site.org.id)
    dashboard = DashboardScreen(ctx)
    qtbot.addWidget(dashboard)
    dashboard.show()
    screen = open_explorer(qtbot, ctx, DEVICE)
    qtbot.waitUntil(lambda: "No readings" in screen.note.text(), timeout=10_000)
    received = seed.upload(ctx.core, token, DEVICE, first_id=1, count=30)
    qtbot.waitUntil(lambda: dashboard.feed.count() == 1, timeout=10_000)
    line = dashboard.feed.item(0).text()
    assert "d--0000-0000-0000-1234" in line and "30 readings, all new" in line
    qtbot.waitUntil(lambda: drawn(screen) == 30, timeout=15_000)
    curve = screen.plot.curves[seed.stream_slug(device)]
    assert curve.y.tolist() == [float(1000 + i) for i in range(30)]
    assert curve.t[-1] == received.timestamp() - 1  # the newest reading: one second before it was sent
    low, high = screen.plot.x_range()
    assert low <= curve.t[0] and curve.t[-1] <= high
    assert "30 reading(s) drawn" in screen.note.text()
    today = datetime.now().astimezone().date() == received.astimezone().date()
    if today:  # from local midnight, as the data service counts: the 30 and the upload's 5a05 marker
        qtbot.waitUntil(lambda: ctx.status.latest is not None and ctx.status.latest.readings_today == 31,
                        timeout=15_000)
    seed.upload(ctx.core, token, DEVICE, first_id=31, count=10)
    qtbot.waitUntil(lambda: drawn(screen) == 40, timeout=15_000)  # a preset follows new uploads


def test_the_table_pages_lazily(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    seed.add_readings(ctx.core, device, 25_000, first=FIRST, step=10.0)
    screen = open_explorer(qtbot, ctx, DEVICE)
    start = FIRST.timestamp() + 1000 * 10
    screen.plot.set_x_range(start, start + 2000 * 10)
    qtbot.waitUntil(lambda: settled(screen) and covers(screen, start, start + 20_000), timeout=20_000)
    screen.tabs.setCurrentIndex(1)
    model = screen.readings
    qtbot.waitUntil(lambda: model.loaded_once and model.rowCount() == 500, timeout=10_000)
    assert model.total == 2000 and not model.exhausted and model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    qtbot.waitUntil(lambda: model.rowCount() == 1000, timeout=10_000)
    assert [r.streamer_local_id for r in model.rows[:2]] == [1001, 1002]
    assert "2,000 readings in the visible range" in screen.table_count.text()
    screen.table.scrollToBottom()  # as the operator scrolls: Qt asks for the next page itself
    qtbot.waitUntil(lambda: model.rowCount() == 1500, timeout=10_000)


def covers(screen: ExplorerScreen, start: float, end: float) -> bool:
    loaded = screen.feed.loaded
    return loaded is not None and loaded.start < start and end < loaded.end


def test_an_operator_may_not_read_data_and_is_told_so(qtbot: Any, ctx: ScreenContext) -> None:
    from gui.operations.session import sign_in

    site = seed.site(ctx.core, ctx.session.account)
    seed.claimed(ctx.core, site.org.id, DEVICE)
    seed.operator_token(ctx.core, site.org.id)
    session = call(ctx.core, lambda a: sign_in(a, "uploader@acme.example", "uploader-pass-1", False))
    screen = ExplorerScreen(ScreenContext(ctx.core, session, ctx.status))
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: "could not be read" in screen.note.text(), timeout=10_000)
    assert "You may not do this" not in screen.note.text()  # the message, then what to do
    assert "permission" in screen.note.text() and "Ask an owner or administrator" in screen.note.text()


def test_choosing_another_device_plots_its_streams(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    first = seed.claimed(ctx.core, site.org.id, DEVICE)
    second = seed.claimed(ctx.core, site.org.id, 0x1235, lids=(0x5010, 0x5011))
    seed.add_readings(ctx.core, second, 50, first=seed.hours_ago(2), lid=0x5010)
    screen = open_explorer(qtbot, ctx, DEVICE)
    assert [s.slug for s in screen.checked_streams()] == [seed.stream_slug(first)]
    screen.device_choice.setCurrentIndex(1)  # as a pick in the list, or a typed name and Enter
    qtbot.waitUntil(lambda: screen.device is not None and screen.device.id == 0x1235, timeout=10_000)
    qtbot.waitUntil(lambda: [s.slug for s in screen.checked_streams()] == [seed.stream_slug(second, 0x5010)],
                    timeout=10_000)
    qtbot.waitUntil(lambda: settled(screen) and drawn(screen) == 50, timeout=10_000)
    assert list(screen.plot.curves) == [seed.stream_slug(second, 0x5010)]
