"""The only road from the Qt thread to the appliance (STYLE B.5), after Anki's TaskManager.

The Appliance runs on an asyncio loop in a background thread (``CoreThread``); the Qt thread never
waits for it. Work is a small ``async (appliance) -> T`` function wrapped in a ``CoreOp``:

    CoreOp(core, parent, fn).success(cb).failure(cb).with_progress("Saving...").run()

``fn`` runs on the appliance loop via ``run_coroutine_threadsafe`` and must not touch widgets; the
callbacks run on the Qt thread. Results travel back as closures queued under a lock and drained by a
Qt signal (Anki's ``_closures_pending``), so no Python object crosses threads inside a signal.
The bridge also re-emits the EventBus's ``Changes`` and ``JobChanged`` as Qt signals, and hands
``ReportUploaded`` events over in batches. Stopping lets the work already submitted finish first
(at most STOP_GRACE_SECONDS): the stores refuse to close under a running read (DuckDB raises
"connection is busy"), which would leave the appliance half-stopped.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Generic, TypeVar

from appliance.app import Appliance
from appliance.errors import StartupError
from appliance.events import Changes
from appliance.ingest.pipeline import ReportUploaded
from appliance.jobs.records import JobChanged
from gui import errors
from gui.operations import Op
from gui.qt import QObject, QProgressDialog, Qt, QTimer, QWidget, Signal, is_alive

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")
CoreFn = Op[T]
Closure = Callable[[], None]
PROGRESS_DELAY_MS = 300  # quick work never flashes a dialog
STOP_GRACE_SECONDS = 5.0


class CoreThread(QObject):
    """Owns the Appliance and the thread its loop runs on; start() and stop() never block."""

    core_did_start = Signal()
    core_did_fail = Signal(object)  # the exception that stopped start(), usually a StartupError
    core_did_stop = Signal()  # the loop has ended; join() returns at once after this
    changes_did_apply = Signal(object)  # Changes
    job_did_change = Signal(object)  # JobChanged
    uploads_did_arrive = Signal(object)  # list[ReportUploaded], batched: one signal per Qt turn
    _closures_pending = Signal()

    def __init__(self, data_dir: Path | None, *, overrides: Mapping[str, Any] | None = None,
                 serve_http: bool = True, run_jobs: bool = True, console_logging: bool = True,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.appliance = Appliance(data_dir, overrides=overrides, serve_http=serve_http, run_jobs=run_jobs,
                                   console_logging=console_logging)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._start_future: concurrent.futures.Future[None] | None = None
        self._running = False
        self._stopping = False
        self._unsubscribe: list[Callable[[], None]] = []
        self._closures: list[Closure] = []
        self._in_flight: set[concurrent.futures.Future[Any]] = set()
        self._uploads: list[ReportUploaded] = []
        self._lock = threading.Lock()
        self._closures_pending.connect(self._run_closures, Qt.ConnectionType.QueuedConnection)

    @property
    def running(self) -> bool:
        return self._running

    def start(self) -> None:
        if self._thread is not None:
            return
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_loop, name="appliance-core", daemon=True)
        self._thread.start()
        self._start_future = asyncio.run_coroutine_threadsafe(self._start_core(), self._loop)

    def stop(self) -> None:
        """Stop the appliance, then the loop; ``core_did_stop`` follows. Safe to call twice."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or self._stopping or not thread.is_alive():
            return
        self._stopping = True
        self._running = False
        asyncio.run_coroutine_threadsafe(self._stop_core(), loop)

    def join(self, timeout: float = 30.0) -> bool:
        """For the end of run_gui and for tests, after core_did_stop; True when the thread ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def submit(self, fn: CoreFn[T], *, require_started: bool = True) -> concurrent.futures.Future[T]:
        """Run ``fn(appliance)`` on the loop. Fails at once (never blocks) when the core is not running;
        ``require_started=False`` is for work that must also run while the appliance is stopped
        (restarting it after a failed restart)."""
        loop = self._loop
        if loop is None or loop.is_closed() or self._stopping or (require_started and not self._running):
            future: concurrent.futures.Future[T] = concurrent.futures.Future()
            future.set_exception(StartupError("The appliance is not running.", key="not_running"))
            return future
        running = asyncio.run_coroutine_threadsafe(fn(self.appliance), loop)
        with self._lock:
            self._in_flight.add(running)
        running.add_done_callback(self._forget)
        return running

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._in_flight.discard(future)

    def op(self, parent: QObject | None, fn: CoreFn[T]) -> CoreOp[T]:
        return CoreOp(self, parent, fn)

    def run_on_main(self, closure: Closure) -> None:
        """Any thread: queue ``closure`` for the Qt thread."""
        with self._lock:
            self._closures.append(closure)
        self._closures_pending.emit()

    def _on_upload(self, event: ReportUploaded) -> None:
        """Loop thread. Uploads can come thousands a second: queue them and let one closure hand
        the Qt thread everything that arrived before it got there."""
        with self._lock:
            self._uploads.append(event)
            first = len(self._uploads) == 1
        if first:
            self.run_on_main(self._flush_uploads)

    def _flush_uploads(self) -> None:
        with self._lock:
            batch, self._uploads = self._uploads, []
        if batch:
            self.uploads_did_arrive.emit(batch)

    def _run_closures(self) -> None:
        with self._lock:
            closures, self._closures = self._closures, []
        for closure in closures:
            closure()

    def _run_loop(self) -> None:
        loop = self._loop
        assert loop is not None
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
            _drain(loop)
        finally:
            loop.close()
            LOGGER.info("appliance loop ended")
            self.core_did_stop.emit()

    async def _start_core(self) -> None:
        try:
            await self.appliance.start()
        except Exception as err:  # noqa: BLE001 - every start failure is reported to the window
            LOGGER.warning("the appliance did not start: %s", err, exc_info=not isinstance(err, StartupError))
            asyncio.get_running_loop().stop()
            self.core_did_fail.emit(err)
            return
        events = self.appliance.events
        self._unsubscribe = [events.subscribe(Changes, self.changes_did_apply.emit),
                             events.subscribe(JobChanged, self.job_did_change.emit),
                             events.subscribe(ReportUploaded, self._on_upload)]
        self._running = not self._stopping
        self.core_did_start.emit()

    async def _stop_core(self) -> None:
        if self._start_future is not None:
            await asyncio.wrap_future(self._start_future)
        await self._let_work_finish()
        for unsubscribe in self._unsubscribe:
            unsubscribe()
        self._unsubscribe = []
        try:
            await self.appliance.stop()
        except Exception:
            LOGGER.exception("the appliance did not stop cleanly")
        finally:
            asyncio.get_running_loop().stop()

    async def _let_work_finish(self) -> None:
        """Work submitted before stop() runs on this loop: give it STOP_GRACE_SECONDS to end."""
        with self._lock:
            running = [asyncio.wrap_future(f) for f in self._in_flight if not f.done()]
        if not running:
            return
        _done, late = await asyncio.wait(running, timeout=STOP_GRACE_SECONDS)
        if late:
            LOGGER.warning("stopping with %d piece(s) of work still running", len(late))

    def restart(self, parent: QWidget | None) -> CoreOp[None]:
        """Stop and start the appliance again so changed settings (address, port) apply. Allowed while
        stopped, so a restart that failed (port taken) can be retried after fixing the setting."""
        return CoreOp(self, parent, self._restart_appliance, require_started=False)

    async def _restart_appliance(self, appliance: Appliance) -> None:
        self._running = False
        try:
            await appliance.stop()
            await appliance.start()
        finally:
            self._running = appliance.started and not self._stopping


def _drain(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left so no task outlives the loop (their CoreOps are dropped quietly)."""
    tasks = asyncio.all_tasks(loop)
    for task in tasks:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())
    loop.run_until_complete(loop.shutdown_default_executor())


class CoreOp(Generic[T]):
    """One piece of core work with callbacks on the Qt thread. Nothing in ``fn`` may touch widgets.

    Without ``failure()``, errors go to ``gui.errors.show_error`` (a dialog that says what to do; the
    traceback goes to the log). ``parent`` is any QObject (a widget, a model): callbacks are skipped
    when it has been deleted meanwhile, and a widget parent also owns the progress and error dialogs.
    """

    def __init__(self, core: CoreThread, parent: QObject | None, fn: CoreFn[T], *,
                 require_started: bool = True) -> None:
        self._core = core
        self._require_started = require_started
        self._parent = parent
        self._fn = fn
        self._on_success: Callable[[T], None] | None = None
        self._on_failure: Callable[[BaseException], None] | None = None
        self._label: str | None = None
        self._progress: _DelayedProgress | None = None

    def success(self, callback: Callable[[T], None]) -> CoreOp[T]:
        self._on_success = callback
        return self

    def failure(self, callback: Callable[[BaseException], None]) -> CoreOp[T]:
        self._on_failure = callback
        return self

    def with_progress(self, label: str) -> CoreOp[T]:
        self._label = label
        return self

    def run(self) -> None:
        if self._label is not None:
            self._progress = _DelayedProgress(self._widget(), self._label)
        future = self._core.submit(self._fn, require_started=self._require_started)
        future.add_done_callback(lambda done: self._core.run_on_main(lambda: self._finish(done)))

    def _finish(self, future: concurrent.futures.Future[T]) -> None:
        if self._progress is not None:
            self._progress.close()
        if future.cancelled():
            LOGGER.debug("core op %s was cancelled (shutdown)", getattr(self._fn, "__name__", self._fn))
            return
        if self._parent is not None and not is_alive(self._parent):
            return
        error = future.exception()
        if error is None:
            if self._on_success is not None:
                errors.guarded(self._widget(), self._on_success, future.result())
        elif self._on_failure is not None:
            errors.guarded(self._widget(), self._on_failure, error)
        else:
            errors.show_error(self._widget(), error)

    def _widget(self) -> QWidget | None:
        """Dialogs need a widget parent; a model (a plain QObject) lends none."""
        return self._parent if isinstance(self._parent, QWidget) else None


class _DelayedProgress:
    """A busy dialog that appears only if the work takes longer than PROGRESS_DELAY_MS."""

    def __init__(self, parent: QWidget | None, label: str) -> None:
        self._dialog: QProgressDialog | None = None
        self._done = False
        self._parent = parent
        self._label = label
        QTimer.singleShot(PROGRESS_DELAY_MS, self._show)

    def _show(self) -> None:
        if self._done or (self._parent is not None and not is_alive(self._parent)):
            return
        dialog = QProgressDialog(self._label, "", 0, 0, self._parent)
        dialog.setCancelButton(None)
        dialog.setWindowTitle("Please wait")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setMinimumWidth(420)
        dialog.show()
        self._dialog = dialog

    def close(self) -> None:
        self._done = True
        if self._dialog is not None and is_alive(self._dialog):
            self._dialog.close()
            self._dialog.deleteLater()
        self._dialog = None
