"""Data explorer at scale: a stream of a million readings (written as ingest writes them, one numpy
batch) is drawn whole as per-pixel minimum and maximum; zooming reads finer ranges, down to every
reading, with the number of points drawn bounded by the plot's width and the data exact at the edges
of what was read; the CSV export of the visible range is the API's CSV byte for byte; Cancel stops an
export of a million readings and removes the partial file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import requests

from appliance.services.data_arrays import micros
from gui.models.series_feed import buckets_for
from gui.operations.series import Series, moment
from gui.screens.base import ScreenContext
from gui.screens.explorer import ALL, ExplorerScreen
from tests.gui import seed
from tests.gui.test_gui_explorer import DEVICE, FIRST, covers, drawn, open_explorer, settled

MILLION = 1_000_000


class Stored:
    """The readings seed.add_readings wrote, as the plot draws them (seconds, values)."""

    def __init__(self, first: datetime, count: int, step: float) -> None:
        self.first_us, self.step_us = micros(first), round(step * 1e6)
        assert self.first_us is not None
        self.t_us = self.first_us + np.arange(count, dtype=np.int64) * self.step_us
        self.t = self.t_us / 1e6
        self.y = np.sin(np.arange(count) / 50.0) * 10.0

    def are_readings(self, t: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> bool:
        """Every point is a stored reading: its time and its value."""
        assert self.first_us is not None
        index = np.rint((t * 1e6 - self.first_us) / self.step_us).astype(np.int64)
        return bool(np.array_equal(self.t[index], t) and np.array_equal(self.y[index], y))

    def inside(self, series: Series) -> npt.NDArray[np.bool_]:
        """Which readings lie in the range the series was read over, [start, end)."""
        assert series.start is not None and series.end is not None
        return (self.t_us >= round(series.start * 1e6)) & (self.t_us < round(series.end * 1e6))

    def reaching(self, series: Series) -> npt.NDArray[np.bool_]:
        """Those and the nearest reading beyond each end (the line runs through the edges)."""
        kept = self.inside(series)
        first, last = np.flatnonzero(kept)[[0, -1]]
        kept[max(first - 1, 0)] = kept[min(last + 1, kept.size - 1)] = True
        return kept


def only_series(screen: ExplorerScreen) -> Series:
    loaded = screen.feed.loaded
    assert loaded is not None and len(loaded.series) == 1
    return loaded.series[0]


def bound(screen: ExplorerScreen) -> int:
    """Two points per bucket, a bucket per pixel column (margins included), plus the two ends."""
    return 2 * buckets_for(screen.plot.pixel_width()) + 2


def test_a_million_readings_are_drawn_whole_and_zooming_reads_finer(qtbot: Any, ctx: ScreenContext) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    seed.add_readings(ctx.core, device, MILLION, first=FIRST, step=10.0)
    stored, slug = Stored(FIRST, MILLION, 10.0), seed.stream_slug(device)
    screen = open_explorer(qtbot, ctx, DEVICE)
    qtbot.waitUntil(lambda: settled(screen) and drawn(screen) > 0, timeout=20_000)
    whole, curve = only_series(screen), screen.plot.curves[slug]
    assert screen.preset == ALL and whole.readings == MILLION and not whole.complete
    assert drawn(screen) <= bound(screen)  # about two points per pixel column, not a million
    assert stored.are_readings(curve.t, curve.y)  # every point drawn was measured
    assert (curve.t[0], curve.t[-1]) == (stored.t[0], stored.t[-1])  # the line spans the data
    assert (curve.y.min(), curve.y.max()) == (stored.y.min(), stored.y.max())  # no peak is lost
    assert "1,000,000 readings" in screen.note.text() and "Zoom in" in screen.note.text()
    low, high = screen.plot.x_range()
    assert " … " in screen.plot.read_at((low + high) / 2)  # the cursor reads the bucket's low … high

    day = float(stored.t[500_000])
    zoomed, curve = zoom(qtbot, screen, slug, day, day + 86_400)  # 8,640 readings visible
    assert screen.preset is None  # the operator moved the view: no preset any more
    assert zoomed.bucket is not None and whole.bucket is not None and zoomed.bucket < whole.bucket / 100
    assert drawn(screen) <= bound(screen) and zoomed.readings == stored.inside(zoomed).sum()
    kept = stored.reaching(zoomed)
    assert stored.are_readings(curve.t, curve.y)
    assert (curve.t[0], curve.t[-1]) == (stored.t[kept][0], stored.t[kept][-1])  # exact at the read's edges
    assert (curve.y.min(), curve.y.max()) == (stored.y[kept].min(), stored.y[kept].max())

    ten = day + 3_600
    near, curve = zoom(qtbot, screen, slug, ten, ten + 1_200)  # 120 readings visible: every reading is read
    kept = stored.reaching(near)
    assert near.complete and curve.t.tolist() == stored.t[kept].tolist() and curve.y.tolist() == stored.y[kept].tolist()
    # a quarter-width margin each side (end excluded), then the nearest reading beyond it
    assert curve.t[0] == ten - 300 - 10 and curve.t[-1] == ten + 1_200 + 300
    assert "180 reading(s) drawn" in screen.note.text()


def zoom(qtbot: Any, screen: ExplorerScreen, slug: str, start: float, end: float) -> tuple[Series, Any]:
    """Show [start, end] as a wheel zoom would, and wait for the read it causes."""
    before = screen.feed.loaded
    screen.plot.set_x_range(start, end)
    qtbot.waitUntil(lambda: settled(screen) and screen.feed.loaded is not before and covers(screen, start, end),
                    timeout=20_000)
    return only_series(screen), screen.plot.curves[slug]


def test_export_the_visible_range_equals_the_apis_csv(qtbot: Any, ctx: ScreenContext, tmp_path: Path) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE, lids=(0x5001, 0x5002))
    seed.add_readings(ctx.core, device, 120_000, first=FIRST, step=1.0)
    seed.add_readings(ctx.core, device, 5_000, first=FIRST, step=30.0, lid=0x5002)
    screen = open_explorer(qtbot, ctx, DEVICE)
    slugs = [seed.stream_slug(device, 0x5001), seed.stream_slug(device, 0x5002)]
    screen.check_streams(set(slugs))
    qtbot.waitUntil(lambda: settled(screen) and len(screen.plot.curves) == 2, timeout=20_000)
    screen.plot.set_x_range(FIRST.timestamp() + 100.5, FIRST.timestamp() + 110_000.25)
    dialog = screen.export_to(tmp_path / "visible.csv")
    qtbot.waitUntil(lambda: not dialog.running, timeout=60_000)
    assert dialog.outcome is not None and not dialog.outcome.cancelled
    written = (tmp_path / "visible.csv").read_bytes()
    first, second = (api_csv(ctx, slug, *screen.plot.x_range()) for slug in slugs)
    assert written == first + second.split(b"\r\n", 1)[1]  # one header, then each stream's rows
    assert dialog.outcome.rows == 109_900 + 3_663 == written.count(b"\r\n") - 1
    assert dialog.bar.format().startswith(f"{dialog.outcome.rows:,} readings")
    assert not (tmp_path / "visible.csv.part").exists()


def test_cancel_an_export_removes_the_partial_file(qtbot: Any, ctx: ScreenContext, tmp_path: Path) -> None:
    site = seed.site(ctx.core, ctx.session.account)
    device = seed.claimed(ctx.core, site.org.id, DEVICE)
    seed.add_readings(ctx.core, device, MILLION, first=FIRST, step=1.0)
    screen = open_explorer(qtbot, ctx, DEVICE)
    qtbot.waitUntil(lambda: settled(screen), timeout=20_000)
    out = tmp_path / "exports"
    out.mkdir()
    dialog = screen.export_to(out / "all.csv")
    qtbot.waitUntil(lambda: dialog.bar.maximum() == MILLION and dialog.bar.value() > 0, timeout=30_000)
    dialog.button.click()  # Cancel, mid-way
    qtbot.waitUntil(lambda: not dialog.running, timeout=30_000)
    assert dialog.outcome is not None and dialog.outcome.cancelled
    assert 0 < dialog.outcome.rows < MILLION
    assert "cancelled" in dialog.message.text()
    assert list(out.iterdir()) == []  # neither all.csv nor all.csv.part


def api_csv(ctx: ScreenContext, slug: str, start: float, end: float) -> bytes:
    """``/api/v1/data/?format=csv`` over HTTP for the same stream and range, as the operator."""
    response = requests.get(f"{ctx.core.appliance.base_url}/api/v1/data/", timeout=120,
                            headers={"Authorization": f"jwt {ctx.session.token}"},
                            params={"filter": slug, "format": "csv", "start": iso(start), "end": iso(end)})
    assert response.status_code == 200, response.text
    return response.content


def iso(seconds: float) -> str:
    found = moment(seconds)
    assert found is not None
    return found.isoformat()
