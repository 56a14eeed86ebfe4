"""What a running job sees: its arguments' owner, progress reporting and a way off the loop.

``report()`` is synchronous, cheap and thread-safe so blocking code running in the executor can
call it in a tight loop: it only records the latest value; the queue writes it to the database at
most a few times a second and publishes it as an event. It raises JobCancelled once a cancel was
requested, which is how long blocking work notices it should stop.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from appliance.jobs.kinds import JobCancelled

if TYPE_CHECKING:
    from appliance.app import Appliance

T = TypeVar("T")


@dataclass(frozen=True)
class ProgressUpdate:
    pid: str
    kind: str
    progress: int
    message: str


class JobContext:
    def __init__(self, pid: str, kind: str, attempt: int, appliance: Appliance | None,
                 on_progress: Callable[[ProgressUpdate], None]) -> None:
        self.pid = pid
        self.kind = kind
        self.attempt = attempt
        self.appliance = appliance
        self._on_progress = on_progress
        self._cancelled = threading.Event()
        self._last = (-1, "")

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def request_cancel(self) -> None:
        self._cancelled.set()

    def check_cancelled(self) -> None:
        if self._cancelled.is_set():
            raise JobCancelled(f"job {self.pid} was cancelled")

    def report(self, progress: float, message: str = "") -> None:
        self.check_cancelled()
        value = max(0, min(100, int(progress)))
        if (value, message) == self._last:
            return
        self._last = (value, message)
        self._on_progress(ProgressUpdate(self.pid, self.kind, value, message))

    async def run_blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """Blocking work goes to the executor so uploads and the GUI never wait on a job."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)
