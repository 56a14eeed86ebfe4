"""Python's cycle collector, run on the Qt thread only (as Anki's GarbageCollector does).

Automatic collection runs in whichever thread happens to allocate when a threshold is crossed: the
appliance's loop, a store reader, a job. If the cycles it frees hold Qt objects (a closed screen's
plot: pyqtgraph keeps many cycles), their C++ side is destroyed on that thread, and Qt crashes
("Fatal Python error: Segmentation fault ... Garbage-collecting" in a worker thread). So automatic
collection is switched off, and a timer on the Qt thread collects with the same thresholds.
Reference counting, which frees most objects, is untouched.
"""

from __future__ import annotations

import gc
import logging

from gui.qt import QObject, QTimer

LOGGER = logging.getLogger(__name__)
CHECK_MS = 500


class MainThreadCollector(QObject):
    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_MS) -> None:
        super().__init__(parent)
        self.threshold = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the oldest generation whose count has passed its threshold, as the interpreter would."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.threshold[generation]:
                gc.collect(generation)
                return

    def stop(self) -> None:
        self._timer.stop()
        gc.collect()
        gc.enable()


_installed: list[MainThreadCollector] = []


def collect_on_main_thread() -> MainThreadCollector:
    """Install once per process (call on the Qt thread, after the QApplication exists)."""
    if not _installed:
        _installed.append(MainThreadCollector())
        LOGGER.debug("cyclic garbage collection moved to the Qt thread")
    return _installed[0]
