"""The bridge: ops deliver results and errors on the Qt thread; events become signals; one owner."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from appliance.app import Appliance
from appliance.errors import NotFound, StartupError
from appliance.events import Changes
from appliance.jobs.records import JobChanged
from gui.bridge import CoreThread
from tests.conftest import TEST_OVERRIDES
from tests.gui.conftest import START_MS, call, start_core, stop_core


def test_op_result_and_error_arrive_on_the_qt_thread(qtbot: Any, core: CoreThread) -> None:
    seen: list[tuple[str, object, bool]] = []
    main = threading.current_thread()

    async def count(appliance: Appliance) -> int:
        assert threading.current_thread() is not main
        return await appliance.accounts.count()

    async def missing(appliance: Appliance) -> None:
        await appliance.jobs.get("pid:00000000-0000-0000-0000-000000000000")

    core.op(None, count).success(lambda n: seen.append(("ok", n, threading.current_thread() is main))).run()
    core.op(None, missing).failure(lambda e: seen.append(("err", e, threading.current_thread() is main))).run()
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=10_000)
    results = dict((kind, (value, on_main)) for kind, value, on_main in seen)
    assert results["ok"] == (1, True)
    assert isinstance(results["err"][0], NotFound) and results["err"][1]


def test_events_are_reemitted_as_signals(qtbot: Any, core: CoreThread) -> None:
    with qtbot.waitSignal(core.job_did_change, timeout=10_000,
                          check_params_cb=lambda e: isinstance(e, JobChanged) and e.kind == "ping"), \
            qtbot.waitSignal(core.changes_did_apply, timeout=10_000,
                             check_params_cb=lambda c: isinstance(c, Changes) and c.jobs):
        call(core, lambda a: a.jobs.schedule("ping", {"seconds": 0, "steps": 1}))


def test_second_core_on_the_same_data_dir_reports_the_lock(qtbot: Any, core: CoreThread) -> None:
    second = CoreThread(core.appliance.data_dir.root, overrides=TEST_OVERRIDES, console_logging=False)
    with qtbot.waitSignal(second.core_did_fail, timeout=START_MS) as failed, \
            qtbot.waitSignal(second.core_did_stop, timeout=START_MS):
        second.start()
    error = failed.args[0]
    assert isinstance(error, StartupError) and error.key == "data_dir_locked"
    assert "Another IOTile Appliance is already using" in error.message
    assert second.join(10) and not second.running
    assert call(core, lambda a: a.accounts.count()) == 1  # the first one is unharmed


def test_ops_fail_fast_when_the_core_is_not_running(qtbot: Any, tmp_path: Path) -> None:
    idle = CoreThread(tmp_path / "idle", overrides=TEST_OVERRIDES, console_logging=False)
    errors: list[BaseException] = []
    idle.op(None, lambda a: a.accounts.count()).failure(errors.append).run()
    qtbot.waitUntil(lambda: bool(errors), timeout=5_000)
    assert isinstance(errors[0], StartupError) and errors[0].key == "not_running"


def test_stop_is_clean_and_idempotent(qtbot: Any, tmp_path: Path) -> None:
    running = start_core(qtbot, tmp_path / "data")
    assert running.running and running.appliance.started
    stop_core(qtbot, running)
    running.stop()  # a second stop is a no-op
    assert not running.appliance.started and not running.running
    again = start_core(qtbot, tmp_path / "data")  # the lock was released
    stop_core(qtbot, again)


def test_restart_applies_and_keeps_events(qtbot: Any, core: CoreThread) -> None:
    done: list[object] = []
    core.restart(None).success(done.append).run()
    qtbot.waitUntil(lambda: bool(done), timeout=START_MS)
    assert core.running and core.appliance.http_addresses
    with qtbot.waitSignal(core.job_did_change, timeout=10_000):
        call(core, lambda a: a.jobs.schedule("ping", {"seconds": 0, "steps": 1}))


def test_stop_lets_work_already_submitted_finish(qtbot: Any, tmp_path: Path) -> None:
    """A read still running when the stores close would make them refuse to close (DuckDB: "connection
    is busy"), leaving the appliance half-stopped: stopping waits for it first."""
    import asyncio

    running = start_core(qtbot, tmp_path / "data")
    finished: list[int] = []

    async def slow(appliance: Appliance) -> None:
        await asyncio.sleep(0.5)
        finished.append(await appliance.accounts.count())  # the stores are still open

    future = running.submit(slow)
    stop_core(qtbot, running)
    assert finished == [1] and future.result(0) is None
    assert not running.appliance.metadata.is_open and not running.appliance.streams.is_open
