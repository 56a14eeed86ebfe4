"""StatusPoller: one source of the status figures for the status bar and the dashboard.

It reads on a timer (disk space changes without events) and soon after any change event that moves
a figure, never with two reads in flight. Failures are logged, not shown: a status bar that pops up
dialogs every five seconds would be worse than a stale figure, which is marked as such.

Uploads in the last minute come from the ingest pipeline's ReportUploaded events, counted here as
they arrive. The count is exact: only this process can receive uploads for its data directory (the
lock), so no upload of the last minute can predate the subscription.

"Readings today" and "devices failing" are the signed-in operator's (``set_account``) and cost a
query per project and per device, so they are counted at most every COUNT_SECONDS; the reads in
between carry the last counts over.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from dataclasses import replace

from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from appliance.services.accounts import AccountRecord
from gui.bridge import CoreThread
from gui.operations.status import StatusSnapshot, status_reader
from gui.qt import QObject, QTimer, Signal

LOGGER = logging.getLogger(__name__)
INTERVAL_MS = 5000
SOON_MS = 250
WINDOW_SECONDS = 60.0
COUNT_SECONDS = 5.0


class UploadWindow:
    """Arrival times of the uploads of the last minute."""

    def __init__(self, seconds: float = WINDOW_SECONDS) -> None:
        self._seconds = seconds
        self._times: deque[float] = deque()

    def add(self, count: int, now: float | None = None) -> None:
        moment = time.monotonic() if now is None else now
        self._times.extend([moment] * count)

    def count(self, now: float | None = None) -> int:
        limit = (time.monotonic() if now is None else now) - self._seconds
        while self._times and self._times[0] < limit:
            self._times.popleft()
        return len(self._times)


class StatusPoller(QObject):
    status_did_refresh = Signal(object)  # StatusSnapshot
    status_did_fail = Signal()

    def __init__(self, core: CoreThread, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self._core = core
        self._in_flight = False
        self._again = False
        self.latest: StatusSnapshot | None = None
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.refresh)
        self._soon = QTimer(self)
        self._soon.setSingleShot(True)
        self._soon.setInterval(SOON_MS)
        self._soon.timeout.connect(self.refresh)
        self.uploads = UploadWindow()
        self._account: AccountRecord | None = None
        self._counted_at = -COUNT_SECONDS
        core.changes_did_apply.connect(self._on_changes)
        core.uploads_did_arrive.connect(self._on_uploads)

    def start(self) -> None:
        self._timer.start()
        self.refresh()

    def stop(self) -> None:
        self._timer.stop()
        self._soon.stop()

    def refresh(self) -> None:
        if self._in_flight:
            self._again = True
            return
        self._in_flight = True
        counting = self._account is not None and time.monotonic() - self._counted_at >= COUNT_SECONDS
        if counting:
            self._counted_at = time.monotonic()
        self._core.op(None, status_reader(self._account, counting)).success(
            lambda snapshot: self._did_read(snapshot, counting)).failure(self._did_fail).run()

    def set_account(self, account: AccountRecord | None) -> None:
        """Whose counts to show; None (signed out) shows "—" for them."""
        self._account = account
        self._counted_at = -COUNT_SECONDS
        self.refresh()

    def _on_changes(self, changes: Changes) -> None:
        if changes.jobs or changes.settings or changes.devices or changes.readings:
            self._refresh_soon()

    def _on_uploads(self, batch: list[ReportUploaded]) -> None:
        self.uploads.add(len(batch))
        self._refresh_soon()

    def _refresh_soon(self) -> None:
        """Not restarted while pending: a steady stream of events must not postpone it for ever."""
        if not self._soon.isActive():
            self._soon.start()

    def _did_read(self, snapshot: StatusSnapshot, counted: bool) -> None:
        self._settle()
        snapshot = replace(snapshot, uploads_last_minute=self.uploads.count())
        if not counted and self._account is not None and self.latest is not None:
            snapshot = replace(snapshot, readings_today=self.latest.readings_today,
                               failing_devices=self.latest.failing_devices)
        self.latest = snapshot
        self.status_did_refresh.emit(snapshot)

    def _did_fail(self, error: BaseException) -> None:
        self._settle()
        LOGGER.info("status not read: %s", error)
        self.status_did_fail.emit()

    def _settle(self) -> None:
        self._in_flight = False
        if self._again:
            self._again = False
            self._refresh_soon()
