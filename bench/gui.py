"""GUI timings: time to first window, and time to plot 1,000,000 points of one stream.

Run: .venv/bin/python bench/gui.py [--points 1000000] [--repeat 5]
Offscreen unless a display is set. "First window" is QApplication + theme, the main window shown
and painted, and the embedded appliance started (HTTP on 127.0.0.1, fresh data directory), then the
first-run routing (the wizard on screen). The plot figures compare our StreamPlot (peak downsampling,
clip to view, date axis, cursor read-out) with bare pyqtgraph plotting the same numpy arrays in the
same run: plain ``PlotWidget.plot`` (every point drawn), and the same options set by hand (our
overhead). Each plot is timed from setData to a finished synchronous paint (``grab``).

"Data explorer path" times what the explorer does for one stream of ``--points`` readings stored in
a running appliance, from DuckDB to pixels: the columnar read through the bridge (``window_reader``:
permission check, count, then the per-pixel-column min/max read or every reading, numpy to the Qt
thread) and the plot, to a finished paint. "All" is the whole stream at screen resolution (what the
explorer draws); "one day" and "ten minutes" are zooms (the second reads every reading); "every
reading" forces the raw array read of all ``--points`` readings and plots them, the same array
size as the bare pyqtgraph figure above it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")) and sys.platform.startswith("linux"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402

_t_import = time.perf_counter()
from gui.app import GuiController, create_application  # noqa: E402
from gui.bridge import CoreThread  # noqa: E402
from gui.models.series_feed import buckets_for  # noqa: E402
from gui.operations.series import StreamChoice, window_reader  # noqa: E402
from gui.plotting import pg  # noqa: E402
from gui.qt import QApplication, QWidget, QWizard  # noqa: E402
from gui.widgets.stream_plot import StreamPlot  # noqa: E402

IMPORT_SECONDS = time.perf_counter() - _t_import
OVERRIDES = {"server.host": "127.0.0.1", "server.port": 0, "secrets.backend": "file"}
SIZE = (1200, 600)


def pump_until(app: QApplication, done: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not done():
        if time.perf_counter() > deadline:
            raise TimeoutError("the GUI did not get there in time")
        app.processEvents()
        time.sleep(0.001)


def wizard_shown() -> bool:
    return any(isinstance(w, QWizard) and w.isVisible() for w in QApplication.topLevelWidgets())


def first_window(data_dir: Path) -> dict[str, float]:
    started = time.perf_counter()
    app = create_application()
    controller = GuiController(data_dir, overrides=OVERRIDES, console_logging=False)
    controller.start()
    controller.window.grab()  # the first paint, synchronously
    painted = time.perf_counter() - started
    pump_until(app, lambda: controller.core.running)
    core_ready = time.perf_counter() - started
    pump_until(app, wizard_shown)
    routed = time.perf_counter() - started
    finished: list[int] = []
    controller.gui_did_finish.connect(finished.append)
    controller.request_quit()
    pump_until(app, lambda: bool(finished))
    controller.core.join(30)
    controller.window.deleteLater()
    return {"window painted": painted, "core started": core_ready, "first-run wizard shown": routed}


def stream_arrays(points: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(7)
    t = 1_700_000_000.0 + np.arange(points, dtype=np.float64) * 10.0  # one reading every 10 s
    y = np.cumsum(rng.normal(0.0, 1.0, points))
    return t, y


def time_plot(make: Callable[[], QWidget], plot: Callable[[QWidget], None], app: QApplication) -> float:
    widget = make()
    widget.resize(*SIZE)
    widget.show()
    app.processEvents()
    started = time.perf_counter()
    plot(widget)
    widget.grab()
    elapsed = time.perf_counter() - started
    widget.close()
    widget.deleteLater()
    app.processEvents()
    return elapsed


def bare_tuned() -> Any:
    widget = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
    widget.getPlotItem().setDownsampling(auto=True, mode="peak")
    widget.getPlotItem().setClipToView(True)
    return widget


def plots(points: int, repeat: int) -> dict[str, float]:
    app = create_application()
    t, y = stream_arrays(points)
    cases: dict[str, tuple[Callable[[], Any], Callable[[Any], None]]] = {
        "StreamPlot (ours)": (StreamPlot, lambda w: w.set_stream("s", t, y, name="value")),
        "pyqtgraph, plain plot()": (pg.PlotWidget, lambda w: w.plot(t, y)),
        "pyqtgraph, same options": (bare_tuned, lambda w: w.plot(t, y)),
    }
    results: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeat):
        for name, (make, draw) in cases.items():  # interleaved: drift hits every case alike
            results[name].append(time_plot(make, draw, app))
    return {name: statistics.median(times) for name, times in results.items()}


async def seed_stream(appliance: Any, points: int) -> tuple[Any, StreamChoice]:
    """An org, a project, a device with one stream (all through the services) and its readings."""
    import asyncio

    from appliance.app import OWNER_EMAIL
    from appliance.services.auth import Principal
    from storage.streams import DataBatch

    owner = await appliance.accounts.find_by_email(OWNER_EMAIL)
    access = await appliance.orgs.access_for(Principal("gui", owner))
    org = await appliance.orgs.create("Bench", created_by_id=owner.id)
    project = await appliance.projects.create(access, {"name": "Bench", "org": org.slug})
    await appliance.devices.create(access, [{"id": 0xBE, "project": project.slug}])
    variable = await appliance.stream_ids.create_variable(access, {"name": "Bench", "lid": "5001",
                                                                    "project": project.uuid})
    stream = await appliance.stream_ids.create_stream(access, {"variable": variable.slug,
                                                               "device": "d--0000-0000-0000-00be"})
    t, y = stream_arrays(points)
    batch = DataBatch(project=np.full(points, project.gid, np.uint32), device=np.full(points, 0xBE, np.uint64),
                      variable=np.full(points, 0x5001, np.uint16), timestamp=(t * 1e6).astype("datetime64[us]"),
                      streamer_local_id=np.arange(1, points + 1, dtype=np.int64), value=y)
    await asyncio.wrap_future(appliance.streams.append_data(batch))
    return owner, StreamChoice.of(stream)


def explorer_path(points: int, repeat: int) -> dict[str, float]:
    existing = QApplication.instance()  # themed already: styling every widget again here crashes PySide6
    app = existing if isinstance(existing, QApplication) else create_application()
    results: dict[str, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        core = CoreThread(Path(tmp) / "data", overrides=OVERRIDES, serve_http=False, run_jobs=False,
                          console_logging=False)
        core.start()
        pump_until(app, lambda: core.running)
        owner, choice = core.submit(lambda a: seed_stream(a, points)).result(600)
        t, _y = stream_arrays(points)
        middle = float(t[points // 2])
        cases: dict[str, tuple[float, float, int | None]] = {
            "All (min/max per pixel column)": (float(t[0]) - 60, float(t[-1]) + 60, None),
            "zoom: one day": (middle, middle + 86_400, None),
            "zoom: ten minutes (every reading)": (middle, middle + 600, None),
            f"every reading ({points:,}), raw read": (float(t[0]) - 60, float(t[-1]) + 60, points + 1),
        }
        for _ in range(repeat):
            for name, (low, high, raw_limit) in cases.items():
                results.setdefault(name, []).append(time_explorer(app, core, owner, choice, (low, high), raw_limit))
        core.stop()
        pump_until(app, lambda: core.join(0))
    return {name: statistics.median(times) for name, times in results.items()}


def time_explorer(app: QApplication, core: CoreThread, owner: Any, choice: StreamChoice,
                  window: tuple[float, float], raw_limit: int | None) -> float:
    """As SeriesFeed does: the visible range plus a quarter each side, a bucket per pixel column."""
    plot = StreamPlot()
    plot.resize(*SIZE)
    plot.show()
    app.processEvents()
    low, high = window
    margin = (high - low) * 0.25
    read = window_reader(owner, [choice], low - margin, high + margin, buckets_for(plot.pixel_width()), raw_limit)
    started = time.perf_counter()
    series = core.submit(read).result(600)[0]
    plot.set_stream(series.slug, series.t, series.y, name=choice.name)
    plot.set_x_range(*window)
    plot.grab()
    elapsed = time.perf_counter() - started
    plot.close()
    plot.deleteLater()
    app.processEvents()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    print(f"import gui.app and pyqtgraph: {IMPORT_SECONDS * 1000:8.1f} ms")  # noqa: T201
    with tempfile.TemporaryDirectory() as tmp:
        for name, seconds in first_window(Path(tmp) / "data").items():
            print(f"time to {name:28s} {seconds * 1000:8.1f} ms")  # noqa: T201
    timings = plots(args.points, args.repeat)
    raw = timings["pyqtgraph, plain plot()"]
    tuned = timings["pyqtgraph, same options"]
    print(f"plot {args.points:,} points, median of {args.repeat}, {SIZE[0]}x{SIZE[1]} px:")  # noqa: T201
    for name, seconds in timings.items():
        print(f"  {name:26s} {seconds * 1000:8.1f} ms   "  # noqa: T201
              f"x{seconds / raw:5.2f} of plain pyqtgraph   x{seconds / tuned:5.2f} of same options")
    print(f"data explorer path, one stream of {args.points:,} stored readings, DuckDB to pixels "  # noqa: T201
          f"(median of {args.repeat}):")
    for name, seconds in explorer_path(args.points, args.repeat).items():
        print(f"  {name:36s} {seconds * 1000:9.1f} ms   x{seconds / raw:6.2f} of plain pyqtgraph")  # noqa: T201


if __name__ == "__main__":
    main()
