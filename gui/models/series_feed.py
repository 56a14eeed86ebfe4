"""SeriesFeed: keeps a StreamPlot filled with the readings of the range it shows, at screen resolution.

When the visible time range changes (a preset, zoom, pan), the feed reads that range again through
the bridge, debounced (DEBOUNCE_MS) so a drag or a wheel spin costs one read, and with a margin on
both sides so small pans are served from what was read. Each read asks for one bucket per pixel
column of the plot (margins included): a range holding more readings than two per bucket comes back
as each bucket's minimum and maximum, a smaller one as every reading. So the whole of a long range
is drawn at once, and zooming in reads a finer range until every reading is drawn. A view already
covered by a read at least as fine as its pixels is not read again. One read is in flight at a time:
a change during a read is remembered and read next, and replies to superseded reads are dropped
(generation counter). The Qt thread only swaps arrays into the plot.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass

from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.operations.series import Series, StreamChoice, window_reader
from gui.qt import QObject, QTimer, Signal
from gui.widgets.stream_plot import StreamPlot

LOGGER = logging.getLogger(__name__)
DEBOUNCE_MS = 200
MARGIN = 0.25  # read a quarter of the visible width beyond each side
COARSER = 1.5  # a bucket may grow to 1.5 pixels (a small zoom) before the range is read again
MIN_PIXELS = 200  # a plot not laid out yet still reads at a useful resolution


@dataclass(frozen=True)
class Loaded:
    start: float
    end: float
    series: tuple[Series, ...]

    def covers(self, start: float, end: float, pixels: int) -> bool:
        """True when this read holds [start, end] at least as finely as ``pixels`` columns show it."""
        if not (self.start <= start and end <= self.end):
            return False
        finest = (end - start) / max(pixels, MIN_PIXELS) * COARSER
        return all(s.bucket is None or s.bucket <= finest for s in self.series)


def buckets_for(pixels: int) -> int:
    """One bucket per pixel column of the view and of the margins read beside it."""
    return math.ceil(max(pixels, MIN_PIXELS) * (1 + 2 * MARGIN))


class SeriesFeed(QObject):
    series_did_load = Signal(object)  # Loaded
    series_did_fail = Signal(object)  # the exception
    range_did_move = Signal(float, float)  # a range change by the operator (not by show_range)

    def __init__(self, core: CoreThread, account: AccountRecord, plot: StreamPlot,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._core, self._account, self.plot = core, account, plot
        self.streams: tuple[StreamChoice, ...] = ()
        self.loaded: Loaded | None = None
        self._generation = 0
        self._in_flight = False
        self._pending: tuple[float, float] | None = None
        self._requested: tuple[float, float] | None = None
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._read_visible)
        plot.range_did_change.connect(self._on_range)

    @property
    def busy(self) -> bool:
        return self._in_flight or self._timer.isActive() or self._pending is not None

    def set_streams(self, streams: Sequence[StreamChoice], *, read: bool = True) -> None:
        """Plot these streams; ``read=False`` when a show_range follows at once."""
        self.streams = tuple(streams)
        keep = {s.slug for s in streams}
        for slug in [key for key in self.plot.curves if key not in keep]:
            self.plot.remove_stream(slug)
        self.loaded = None
        if read:
            self.reload()

    def show_range(self, start: float, end: float) -> None:
        """Show [start, end] and read it now (a preset, or a device opened)."""
        self._requested = (start, end)
        self.plot.set_x_range(start, end)
        self._timer.stop()
        self._read(start, end)

    def reload(self) -> None:
        """Read the visible range again (new readings arrived, streams changed)."""
        self.loaded = None
        self._timer.stop()
        self._read(*self.plot.x_range())

    def _on_range(self, start: float, end: float) -> None:
        requested = self._requested
        if requested is not None and abs(requested[0] - start) < 1e-3 and abs(requested[1] - end) < 1e-3:
            return  # our own show_range
        self._requested = None
        self.range_did_move.emit(start, end)
        if self.loaded is None or not self.loaded.covers(start, end, self.plot.pixel_width()):
            self._timer.start()

    def _read_visible(self) -> None:
        self._read(*self.plot.x_range())

    def _read(self, start: float, end: float) -> None:
        if not self.streams or end <= start:
            self._show(Loaded(start, end, ()))
            return
        if self._in_flight:
            self._pending = (start, end)
            return
        margin = (end - start) * MARGIN
        low, high = start - margin, end + margin
        self._generation += 1
        generation, self._in_flight = self._generation, True
        read = window_reader(self._account, self.streams, low, high, buckets_for(self.plot.pixel_width()))
        self._core.op(self, read).success(
            lambda series: self._did_read(generation, Loaded(low, high, tuple(series)))).failure(
            lambda error: self._did_fail(generation, error)).run()

    def _did_read(self, generation: int, loaded: Loaded) -> None:
        self._in_flight = False
        if generation == self._generation and self._pending is None:
            self._show(loaded)
        self._next()

    def _did_fail(self, generation: int, error: BaseException) -> None:
        self._in_flight = False
        if generation == self._generation:
            LOGGER.warning("readings not read: %s", error)
            self.series_did_fail.emit(error)
        self._next()

    def _next(self) -> None:
        pending, self._pending = self._pending, None
        if pending is not None:
            self._read(*pending)

    def _show(self, loaded: Loaded) -> None:
        names = {s.slug: s for s in self.streams}
        for series in loaded.series:
            choice = names.get(series.slug)
            if choice is not None:
                bucket = None if series.bucket is None or series.start is None else (series.start, series.bucket)
                self.plot.set_stream(series.slug, series.t, series.y, name=choice.name, units=choice.units,
                                     bucket=bucket)
        self.loaded = loaded
        self.series_did_load.emit(loaded)
