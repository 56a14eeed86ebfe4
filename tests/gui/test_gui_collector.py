"""Cycles are collected on the Qt thread only (a Qt object freed on a worker thread crashes Qt)."""

from __future__ import annotations

import gc
import threading
import weakref
from typing import Any

from gui.collector import MainThreadCollector, collect_on_main_thread


class Node:
    def __init__(self) -> None:
        self.me = self


def test_automatic_collection_is_off_and_the_timer_collects(qtbot: Any) -> None:
    collector = collect_on_main_thread()
    assert isinstance(collector, MainThreadCollector) and not gc.isenabled()
    collected_on: list[str] = []

    class Watched(Node):
        def __del__(self) -> None:
            collected_on.append(threading.current_thread().name)

    def churn() -> None:  # a worker allocating far past every threshold must not collect
        for _ in range(50_000):
            Node()

    cycle = Watched()
    ref = weakref.ref(cycle)
    del cycle
    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()
    assert ref() is not None  # nothing collected it off the Qt thread
    qtbot.waitUntil(lambda: ref() is None, timeout=10_000)
    assert collected_on == [threading.main_thread().name]
