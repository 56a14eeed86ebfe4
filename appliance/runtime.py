"""Process-wide settings that only the program's entry points (``serve``, the desktop program) make.

Garbage collection: by the time the appliance has started, the process holds a few hundred thousand
long-lived objects (modules, ORM mappings, the Qt bindings). Python's full collection walks all of
them: measured 110 ms pauses, three a minute, under a busy upload endpoint, each one stalling every
upload in flight (the p99 latency was those pauses). ``gc.freeze()`` moves what exists at start-up
out of the collector's sight for good (refcounting still frees it), and a larger youngest
generation means fewer, still short, collections of the objects each request makes.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 10_000
"""Allocations between collections of the youngest generation (Python's default is 700)."""


def settle_memory() -> None:
    """Call once, after start-up; never from library code or tests (frozen objects are never
    collected, so a test process that froze its fixtures would keep their cycles forever)."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
