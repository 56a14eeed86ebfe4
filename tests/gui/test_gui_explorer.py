"""Data explorer: an upload over HTTP appears in the live feed and the plot; the visible range is read
again when it changes; the table pages lazily; CSV export equals the data service's readings;
cancelling an export removes the partial file."""

from __future__ import annotations

import csv
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from appliance.services.auth import Principal
from appliance.services.data import ReadQuery
from gui.operations.series import WINDOW_CAP, readings_of
from gui.screens.base import ScreenContext
from gui.screens.dashboard import DashboardScreen
from gui.screens.explorer import ALL, ExplorerScreen
from tests.gui import seed
from tests.gui.conftest import call

DEVICE = 0x1234


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


def test_range_changes_are_read_again_and_the_table_pages(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    first = datetime(2026, 1, 5, tzinfo=timezone.utc)
    seed.add_readings(ctx.core, device, WINDOW_CAP + 5_000, first=first, step=10.0)
    screen = open_explorer(qtbot, ctx, DEVICE)
    qtbot.waitUntil(lambda: settled(screen) and drawn(screen) == WINDOW_CAP, timeout=20_000)
    assert "holds 25,000 readings; the newest 20,000 are drawn" in screen.note.text()
    assert screen.preset == ALL
    start = first.timestamp() + 1000 * 10
    screen.plot.set_x_range(start, start + 2000 * 10)  # as a zoom does: 2,000 readings visible
    assert screen.preset is None  # the operator moved the view: no preset any more
    qtbot.waitUntil(lambda: settled(screen) and screen.feed.loaded.start < start, timeout=20_000)
    loaded = screen.feed.loaded
    assert loaded is not None and all(s.complete for s in loaded.series)
    curve = screen.plot.curves[seed.stream_slug(device)]
    assert curve.t[0] <= start and curve.t[-1] >= start + 2000 * 10
    assert drawn(screen) == 3000  # the view plus a quarter of its width each side (end excluded)
    screen.tabs.setCurrentIndex(1)
    model = screen.readings
    qtbot.waitUntil(lambda: model.loaded_once and model.rowCount() == 500, timeout=10_000)
    assert model.total == 2000 and not model.exhausted
    model.fetchMore(model.index(-1, -1))
    qtbot.waitUntil(lambda: model.rowCount() == 1000, timeout=10_000)
    assert [r.streamer_local_id for r in model.rows[:2]] == [1001, 1002]
    assert "2,000 readings in the visible range" in screen.table_count.text()


def test_export_the_visible_range_equals_the_data_service(qtbot: Any, ctx: ScreenContext, tmp_path: Path) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE, lids=(0x5001, 0x5002))
    first = datetime(2026, 1, 5, tzinfo=timezone.utc)
    seed.add_readings(ctx.core, device, 12_000, first=first, step=1.0)
    seed.add_readings(ctx.core, device, 500, first=first, step=30.0, lid=0x5002)
    screen = open_explorer(qtbot, ctx, DEVICE)
    screen.check_streams({seed.stream_slug(device, 0x5001), seed.stream_slug(device, 0x5002)})
    qtbot.waitUntil(lambda: settled(screen) and drawn(screen) == 12_500, timeout=20_000)
    start, end = first.timestamp() + 100.5, first.timestamp() + 11_000.5
    screen.plot.set_x_range(start, end)
    dialog = screen.export_to(tmp_path / "visible.csv")
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert dialog.outcome is not None and not dialog.outcome.cancelled
    with (tmp_path / "visible.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    expected = expected_rows(ctx, [seed.stream_slug(device, 0x5001), seed.stream_slug(device, 0x5002)], start, end)
    assert len(rows) == len(expected) == 10_900 + 363
    assert [(int(r["id"]), r["stream"], float(r["value"])) for r in rows] == expected
    assert dialog.bar.format().startswith(f"{len(rows):,} readings")
    assert not (tmp_path / "visible.csv.part").exists()


def test_cancel_an_export_removes_the_partial_file(qtbot: Any, ctx: ScreenContext, tmp_path: Path) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    seed.add_readings(ctx.core, device, 60_000, first=datetime(2026, 1, 5, tzinfo=timezone.utc), step=1.0)
    screen = open_explorer(qtbot, ctx, DEVICE)
    qtbot.waitUntil(lambda: settled(screen), timeout=20_000)
    out = tmp_path / "exports"
    out.mkdir()
    dialog = screen.export_to(out / "all.csv")
    qtbot.waitUntil(lambda: dialog.bar.maximum() > 1 and dialog.bar.value() > 0, timeout=30_000)
    dialog.button.click()  # Cancel, mid-way
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert dialog.outcome is not None and dialog.outcome.cancelled
    assert 0 < dialog.outcome.rows < 60_000
    assert "cancelled" in dialog.message.text()
    assert list(out.iterdir()) == []  # neither all.csv nor all.csv.part


def expected_rows(ctx: ScreenContext, slugs: list[str], start: float, end: float) -> list[tuple[int, str, float]]:
    """What the data service (behind /api/v1/data/) returns for the same streams and range."""
    async def read(appliance: Any) -> list[tuple[int, str, float]]:
        access = await appliance.orgs.access_for(Principal("gui", ctx.session.account))
        query = ReadQuery(start=datetime.fromtimestamp(start, timezone.utc),
                          end=datetime.fromtimestamp(end, timezone.utc))
        rows: list[tuple[int, str, float]] = []
        for slug in slugs:
            page = await readings_of(appliance).data_page(access, slug, query)
            rows += [(r.id, r.slugs.stream, float(np.float64(r.value))) for r in page.rows]
        return rows

    return call(ctx.core, read)


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
