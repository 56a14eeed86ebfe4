"""StreamPlot: one or several streams against time, fast at millions of points.

The data explorer hands it at most about two points per pixel column (SeriesFeed reads each column's
minimum and maximum from the appliance once a range holds more), and pyqtgraph's own clip to view
and peak downsampling stay on, so whatever arrays a caller passes, a paint costs about a screenful
of points. The bottom axis shows dates and times; a vertical cursor line follows the mouse and the
read-out below the plot gives the time and, for every stream, the nearest reading at that time, or
the lowest and highest reading of the time bucket under the cursor when the stream is bucketed.

The time axis is under the caller's control (``set_x_range``; zooming and panning with the mouse
or the keyboard change it too) and every change is announced by ``range_did_change``, so the data
explorer can read what the view shows; the value axis follows the visible data.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

import numpy as np
import numpy.typing as npt

from gui.plotting import pg
from gui.qt import QLabel, QPointF, QVBoxLayout, QWidget, Signal
from gui.theme import TEXT

LOGGER = logging.getLogger(__name__)
COLOURS = ("#1f5fa8", "#c2410c", "#15803d", "#7e22ce", "#0e7490", "#a16207")
READOUT_RATE = 30  # mouse read-outs per second at most
FloatArray = npt.NDArray[np.float64]


@dataclass
class Curve:
    name: str
    units: str
    t: FloatArray
    y: FloatArray
    item: Any  # pg.PlotDataItem (pyqtgraph ships no type information)
    bucket: tuple[float, float] | None = None  # (origin, width) in seconds when t, y are bucket extremes

    def value_at(self, x: float) -> str | None:
        """The nearest reading at time x, or "low … high" of the bucket holding x."""
        if self.bucket is not None:
            origin, width = self.bucket
            low = origin + math.floor((x - origin) / width) * width
            first, last = np.searchsorted(self.t, (low, low + width))
            if last > first:
                values = self.y[first:last]
                return f"{values.min():.6g} … {values.max():.6g}"
        i = nearest(self.t, x)
        return None if i is None else f"{self.y[i]:.6g}"


def nearest(t: FloatArray, x: float) -> int | None:
    """Index of the sample closest in time to x; t is sorted ascending."""
    if t.size == 0:
        return None
    i = int(np.searchsorted(t, x))
    if i <= 0:
        return 0
    if i >= t.size:
        return int(t.size - 1)
    return i if t[i] - x < x - t[i - 1] else i - 1


def format_time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).astimezone().strftime("%Y-%m-%d %H:%M:%S")


class StreamPlot(QWidget):
    range_did_change = Signal(float, float)  # the visible time range, seconds since the epoch

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.plot = pg.PlotWidget(background="w", axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        self.plot.setObjectName("streamPlot")
        item = self.plot.getPlotItem()
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        item.showGrid(x=True, y=True, alpha=0.25)
        item.addLegend(offset=(10, 10), brush=pg.mkBrush(255, 255, 255, 230), pen=pg.mkPen("#c5ccd3"),
                       labelTextColor=TEXT, labelTextSize="11pt")
        for name in ("bottom", "left"):
            axis = item.getAxis(name)
            axis.setTextPen(pg.mkPen(TEXT))
            axis.setPen(pg.mkPen("#8a96a3"))
        item.setAutoVisible(y=True)
        item.vb.sigXRangeChanged.connect(self._x_range_changed)
        self.crosshair = pg.InfiniteLine(angle=90, movable=False, pen=pg.mkPen("#6b7580", width=1))
        self.crosshair.setVisible(False)
        item.addItem(self.crosshair, ignoreBounds=True)
        self.readout = QLabel("Move the mouse over the plot to read values.")
        self.readout.setObjectName("plotReadout")
        self.readout.setContentsMargins(10, 4, 10, 6)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.plot, 1)
        layout.addWidget(self.readout)
        self.curves: dict[str, Curve] = {}
        self._proxy = pg.SignalProxy(self.plot.scene().sigMouseMoved, rateLimit=READOUT_RATE,
                                     slot=self._mouse_moved)

    def set_stream(self, key: str, t: FloatArray, y: FloatArray, *, name: str = "", units: str = "",
                   bucket: tuple[float, float] | None = None) -> None:
        """Replace (or add) one stream. ``t`` is seconds since the epoch (UTC), sorted ascending;
        ``bucket`` (origin, width) says the points are each bucket's minimum and maximum."""
        t = np.ascontiguousarray(t, dtype=np.float64)
        y = np.ascontiguousarray(y, dtype=np.float64)
        if t.shape != y.shape:
            raise ValueError(f"times and values differ in length: {t.shape} vs {y.shape}")
        old = self.curves.get(key)
        colour = COLOURS[(list(self.curves).index(key) if old else len(self.curves)) % len(COLOURS)]
        if old is not None:
            old.item.setData(t, y)
            self.curves[key] = Curve(name or old.name, units or old.units, t, y, old.item, bucket)
            return
        item = self.plot.plot(t, y, pen=pg.mkPen(colour, width=1), name=name or key)
        self.curves[key] = Curve(name or key, units, t, y, item, bucket)

    def remove_stream(self, key: str) -> None:
        curve = self.curves.pop(key, None)
        if curve is not None:
            self.plot.getPlotItem().removeItem(curve.item)

    def clear(self) -> None:
        for key in list(self.curves):
            self.remove_stream(key)

    def show_all(self) -> None:
        self.plot.getPlotItem().enableAutoRange()

    def set_x_range(self, start: float, end: float) -> None:
        """Show exactly [start, end] (seconds since the epoch); the value axis fits what is visible."""
        item = self.plot.getPlotItem()
        item.disableAutoRange(axis="x")
        item.enableAutoRange(axis="y")
        item.setXRange(start, end, padding=0)

    def pixel_width(self) -> int:
        """How many pixel columns the data area has (what a read at screen resolution asks for)."""
        width: float = self.plot.getPlotItem().vb.width()
        return max(1, round(width))

    def x_range(self) -> tuple[float, float]:
        low, high = self.plot.getPlotItem().vb.viewRange()[0]
        return float(low), float(high)

    def _x_range_changed(self, _view: Any, bounds: tuple[float, float]) -> None:
        self.range_did_change.emit(float(bounds[0]), float(bounds[1]))

    def read_at(self, x: float) -> str:
        """The read-out text for time x: the time, then each stream's nearest reading."""
        parts = [format_time(x)]
        for curve in self.curves.values():
            value = curve.value_at(x)
            if value is not None:
                parts.append(f"{curve.name}: {value}{(' ' + curve.units) if curve.units else ''}")
        return "    ".join(parts)

    def _mouse_moved(self, event: tuple[QPointF]) -> None:
        position = event[0]
        item = self.plot.getPlotItem()
        if not item.sceneBoundingRect().contains(position) or not self.curves:
            return
        x = float(item.vb.mapSceneToView(position).x())
        self.crosshair.setPos(x)
        self.crosshair.setVisible(True)
        self.readout.setText(self.read_at(x))
