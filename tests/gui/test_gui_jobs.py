"""Jobs screen: a job started from outside appears and its bar reaches 100; cancel; run a check."""

from __future__ import annotations

from typing import Any

from appliance.jobs.records import JobRecord
from gui.models.jobs import PROGRESS_COLUMN, JobsModel
from gui.screens.base import ScreenContext
from gui.screens.jobs import JobsScreen
from gui.widgets.progress_delegate import PROGRESS_ROLE
from tests.gui.conftest import call


def progress_of(model: JobsModel, pid: str) -> int | None:
    row = model.row_of(pid)
    return None if row is None else model.index(row, PROGRESS_COLUMN).data(PROGRESS_ROLE)


def status_of(model: JobsModel, pid: str) -> str | None:
    row = model.row_of(pid)
    job = model.job_at(row) if row is not None else None
    return job.status if job else None


def test_ping_job_shows_and_its_bar_reaches_100(qtbot: Any, ctx: ScreenContext) -> None:
    screen = JobsScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    seen: list[int] = []
    job: JobRecord = call(ctx.core, lambda a: a.jobs.schedule("ping", {"seconds": 1.5, "steps": 10}))
    qtbot.waitUntil(lambda: progress_of(screen.model, job.pid) is not None, timeout=10_000)
    screen.model.dataChanged.connect(lambda *_: seen.append(progress_of(screen.model, job.pid) or 0))
    qtbot.waitUntil(lambda: progress_of(screen.model, job.pid) == 100, timeout=20_000)
    qtbot.waitUntil(lambda: status_of(screen.model, job.pid) == "done", timeout=10_000)
    assert any(0 < p < 100 for p in seen), f"no intermediate progress seen: {seen}"
    row = screen.model.row_of(job.pid)
    assert row is not None and screen.model.index(row, 1).data() == "Done"


def test_cancel_a_running_job_from_the_screen(qtbot: Any, ctx: ScreenContext) -> None:
    screen = JobsScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    job: JobRecord = call(ctx.core, lambda a: a.jobs.schedule("ping", {"seconds": 60, "steps": 60}))
    qtbot.waitUntil(lambda: status_of(screen.model, job.pid) == "running", timeout=15_000)
    assert screen.select_pid(job.pid)
    assert screen.cancel_button.isEnabled()
    screen.cancel_button.click()
    qtbot.waitUntil(lambda: status_of(screen.model, job.pid) == "cancelled", timeout=15_000)
    assert not screen.cancel_button.isEnabled()


def test_run_a_check_starts_a_ping_owned_by_the_operator(qtbot: Any, ctx: ScreenContext) -> None:
    screen = JobsScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.detail.text() != "", timeout=10_000)
    screen.check_button.click()
    qtbot.waitUntil(lambda: screen.selected_job() is not None, timeout=10_000)
    selected = screen.selected_job()
    assert selected is not None and selected.kind == "ping"
    assert selected.created_by_id == ctx.session.account.id
    qtbot.waitUntil(lambda: status_of(screen.model, selected.pid) == "done", timeout=20_000)


def test_status_filter_and_paging(qtbot: Any, ctx: ScreenContext) -> None:
    for _ in range(130):
        call(ctx.core, lambda a: a.jobs.schedule("ping", {"seconds": 0, "steps": 1}, run_after=_far_future()))
    screen = JobsScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.model.total >= 130, timeout=10_000)
    assert screen.model.rowCount() == 100  # one page; the rest on scroll
    screen.model.fetchMore(screen.model.index(-1, -1))
    qtbot.waitUntil(lambda: screen.model.rowCount() == screen.model.total, timeout=10_000)
    screen.filter.setCurrentIndex(4)  # Failed
    qtbot.waitUntil(lambda: screen.model.total == 0 and screen.model.rowCount() == 0, timeout=10_000)


def _far_future() -> Any:
    from datetime import datetime, timedelta, timezone

    return datetime.now(timezone.utc) + timedelta(days=1)
