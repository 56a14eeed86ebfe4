"""Widgets and helpers: status bar, dashboard feed, stream plot, LAN addresses, the PySide6 fix."""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from typing import Any

import numpy as np

from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from gui import netaddr
from gui.operations.status import StatusSnapshot
from gui.qt import PINNED, QObject, QTimer, Signal
from gui.screens.base import ScreenContext
from gui.screens.dashboard import DashboardScreen, change_line
from gui.status import UploadWindow
from gui.widgets.status_bar import DASH, StatusBar
from gui.widgets.stream_plot import StreamPlot, nearest
from tests.gui.conftest import call


def snapshot(**changes: Any) -> StatusSnapshot:
    base = dict(urls=("http://192.0.2.7:8000",), local_only=False, serving=True, running_jobs=2, queued_jobs=1,
                disk_free=50 * 1024**3, disk_total=100 * 1024**3, uploads_last_minute=None, readings_today=None,
                failing_devices=None)
    base.update(changes)
    return StatusSnapshot(**base)  # type: ignore[arg-type]


def test_status_bar_shows_figures_and_dashes_never_made_up_numbers(qtbot: Any) -> None:
    bar = StatusBar()
    qtbot.addWidget(bar)
    bar.show_snapshot(snapshot())
    assert bar.text_of("addresses") == "192.0.2.7:8000"
    assert bar.text_of("jobs") == "2 running, 1 waiting"
    assert bar.text_of("disk") == "50.0 GB (50%)"
    for key in ("uploads", "readings", "failing"):  # None from the core: not counted
        assert bar.text_of(key) == DASH
        assert "not counted" in bar.values[key].toolTip()
    bar.show_snapshot(snapshot(readings_today=1234567, disk_free=1024**3, local_only=True))
    assert bar.text_of("readings") == "1,234,567"
    assert bar.values["disk"].property("level") == "warn"
    assert bar.values["addresses"].property("level") == "warn"
    assert "0.0.0.0" in bar.values["addresses"].toolTip()


def test_status_poller_reads_the_real_appliance(qtbot: Any, ctx: ScreenContext) -> None:
    bar = StatusBar()
    qtbot.addWidget(bar)
    ctx.status.status_did_refresh.connect(bar.show_snapshot)
    ctx.status.refresh()
    qtbot.waitUntil(lambda: bar.snapshot is not None, timeout=10_000)
    assert bar.text_of("addresses") == f"127.0.0.1:{ctx.core.appliance.port}"
    assert bar.text_of("jobs") == "0 running"
    assert bar.snapshot is not None and 0 < bar.snapshot.disk_free <= bar.snapshot.disk_total
    call(ctx.core, lambda a: a.jobs.schedule("ping", {"seconds": 30, "steps": 30}))  # Changes(jobs) -> re-read
    qtbot.waitUntil(lambda: "1 running" in bar.text_of("jobs") or "1 waiting" in bar.text_of("jobs"),
                    timeout=10_000)


def test_lan_addresses_for_a_wildcard_bind() -> None:
    urls = netaddr.upload_urls([("0.0.0.0", 8000)])
    assert urls and all(u.startswith("http://") and u.endswith(":8000") for u in urls)
    lan = netaddr.interface_addresses(ipv6=False)
    assert ("http://127.0.0.1:8000" in urls) == (not lan)  # loopback only when nothing else exists
    assert netaddr.upload_urls([("::1", 9)]) == ["http://[::1]:9"]
    assert netaddr.local_only([("127.0.0.1", 1)]) and not netaddr.local_only([("0.0.0.0", 1)])


def uploaded(device_id: int = 0x0A1B, count: int = 120, stored: int = 120) -> ReportUploaded:
    return ReportUploaded(device_id, 5, 0, count, stored, datetime.now(timezone.utc))


def test_dashboard_feed_and_upload_count_follow_the_pipeline_events(qtbot: Any, ctx: ScreenContext) -> None:
    screen = DashboardScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    bar = StatusBar()
    qtbot.addWidget(bar)
    ctx.status.status_did_refresh.connect(bar.show_snapshot)
    assert not screen.feed.isVisible() and screen.feed_empty.isVisible()

    async def publish(appliance: Any) -> None:
        for n in range(3):
            appliance.events.publish(uploaded(count=120, stored=120 if n else 100))
        appliance.events.publish(Changes(readings=True, initiator="ingest", detail={"device": 0x0A1B}))  # dup
        appliance.events.publish(Changes(readings=True, initiator="data", detail={"devices": 1}))
        appliance.events.publish(Changes(jobs=True))  # not readings: not in the feed

    call(ctx.core, publish)
    qtbot.waitUntil(lambda: screen.feed.count() == 4, timeout=10_000)
    lines = [screen.feed.item(i).text() for i in range(4)]
    assert "data" in lines[0] and "devices: 1" in lines[0]
    assert all("d--0000-0000-0000-0a1b" in line and "120 readings" in line for line in lines[1:])
    assert "100 new" in lines[3] and "all new" in lines[1]
    qtbot.waitUntil(lambda: bar.text_of("uploads") == "3", timeout=10_000)


def test_upload_window_forgets_after_a_minute() -> None:
    window = UploadWindow(seconds=60)
    window.add(2, now=100.0)
    window.add(1, now=150.0)
    assert window.count(now=155.0) == 3
    assert window.count(now=161.0) == 1
    assert window.count(now=211.0) == 0


def test_change_line_uses_only_what_the_event_says() -> None:
    line = change_line(Changes(readings=True, initiator="api", detail={}))
    assert line.endswith("api") and "readings" not in line


def test_stream_plot_million_points_and_readout(qtbot: Any) -> None:
    plot = StreamPlot()
    qtbot.addWidget(plot)
    plot.resize(900, 500)
    t = 1_700_000_000 + np.arange(1_000_000, dtype=np.float64)
    y = np.sin(np.arange(1_000_000) / 1000.0)
    plot.set_stream("s1", t, y, name="Temperature", units="°C")
    plot.show()
    assert plot.grab().width() == 900
    assert nearest(t, t[500] + 0.4) == 500 and nearest(t, t[500] + 0.6) == 501
    assert nearest(t, 0) == 0 and nearest(t, 2e9) == 999_999
    text = plot.read_at(float(t[1000]))
    assert "Temperature: " in text and "°C" in text
    plot.set_stream("s1", t[:10], y[:10])
    assert plot.curves["s1"].t.size == 10
    plot.remove_stream("s1")
    assert not plot.curves


class _Burst(QObject):
    fired = Signal()


def test_many_signals_do_not_exhaust_the_singletons(qtbot: Any) -> None:
    """PySide6 6.12 on Python 3.11 drops a reference per emit and per slot call (see gui/qt.py)."""
    burst = _Burst()
    hits: list[int] = []
    burst.fired.connect(lambda: None)
    for _ in range(100_000):
        burst.fired.emit()
    timer = QTimer()
    timer.timeout.connect(lambda: hits.append(1))
    timer.start(0)
    deadline = time.monotonic() + 1.0
    qtbot.waitUntil(lambda: time.monotonic() > deadline, timeout=5_000)
    timer.stop()
    assert hits
    if sys.version_info < (3, 12):
        assert PINNED
        assert sys.getrefcount(True) > 1_000_000 and sys.getrefcount(None) > 1_000_000
