"""The durable job queue over a real Appliance and SQLite file."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import text

from appliance.app import Appliance
from appliance.errors import NotFound, ValidationError
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import HardJobError, JobKind, JobResult, SoftJobError
from appliance.jobs.records import JobChanged


def now() -> datetime:
    return datetime.now(timezone.utc)


async def job_count(appliance: Appliance) -> int:
    count, _ = await appliance.jobs.page(limit=1)
    return count


async def test_ping_runs_reports_progress_and_completes(appliance: Appliance) -> None:
    seen: list[JobChanged] = []
    appliance.events.subscribe(JobChanged, seen.append)
    job = await appliance.jobs.schedule("ping", {"seconds": 0.6, "steps": 6})
    done = await appliance.jobs.wait(job.pid, timeout=30)
    assert done.status == "done" and done.progress == 100
    assert done.result is not None and done.result["pong"] is True
    assert done.attempts == 1 and done.started_on and done.finished_on
    statuses = [e.status for e in seen if e.pid == job.pid]
    assert statuses[0] == "queued" and statuses[-1] == "done" and "running" in statuses
    assert any(0 < e.progress < 100 for e in seen if e.pid == job.pid)


@pytest.mark.parametrize("kind,args,message", [
    ("no-such-kind", {}, "unknown job kind"),
    ("ping", {"seconds": -1}, "seconds"),
    ("ping", {"seconds": "soon"}, "seconds"),
    ("ping", {"steps": 0}, "steps"),
    ("ping", {"bogus": 1}, "unknown ping arguments"),
    ("housekeeping", {"x": 1}, "no arguments"),
])
async def test_bad_schedules_are_refused_and_store_nothing(appliance: Appliance, kind: str,
                                                           args: dict[str, Any], message: str) -> None:
    before = await job_count(appliance)
    with pytest.raises(ValidationError, match=message):
        await appliance.jobs.schedule(kind, args)
    assert await job_count(appliance) == before


async def test_naive_run_after_is_refused(appliance: Appliance) -> None:
    with pytest.raises(ValidationError):
        await appliance.jobs.schedule("ping", {}, run_after=datetime.now())  # noqa: DTZ005


def flaky_kind(fail_times: int, attempts: int = 5) -> tuple[JobKind, list[int]]:
    calls: list[int] = []

    async def execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
        calls.append(ctx.attempt)
        if len(calls) <= fail_times:
            raise SoftJobError(f"busy (call {len(calls)})")
        return {"calls": len(calls)}

    return JobKind(name=f"flaky{fail_times}", execute=execute, max_attempts=attempts, backoff_seconds=0.2), calls


async def test_soft_errors_retry_with_backoff(appliance: Appliance) -> None:
    kind, calls = flaky_kind(2)
    appliance.jobs.register(kind)
    started = now()
    job = await appliance.jobs.schedule(kind.name)
    done = await appliance.jobs.wait(job.pid, timeout=30)
    assert done.status == "done" and done.attempts == 3 and calls == [1, 2, 3]
    assert done.result == {"calls": 3}
    assert (done.finished_on - started).total_seconds() >= 0.2 + 0.4  # two backoffs: 0.2 s then 0.4 s


async def test_soft_errors_give_up_after_max_attempts(appliance: Appliance) -> None:
    kind, calls = flaky_kind(10, attempts=2)
    appliance.jobs.register(kind)
    done = await appliance.jobs.wait((await appliance.jobs.schedule(kind.name)).pid, timeout=30)
    assert done.status == "failed" and len(calls) == 2
    assert "gave up after 2 attempts" in (done.error or "")


async def test_hard_errors_and_crashes_fail_once_with_the_message(appliance: Appliance) -> None:
    async def hard(ctx: JobContext, args: dict[str, Any]) -> JobResult:
        raise HardJobError("device 0x12 does not exist")

    async def crash(ctx: JobContext, args: dict[str, Any]) -> JobResult:
        raise ZeroDivisionError("oops")

    appliance.jobs.register(JobKind(name="hard", execute=hard))
    appliance.jobs.register(JobKind(name="crash", execute=crash))
    hard_job = await appliance.jobs.wait((await appliance.jobs.schedule("hard")).pid)
    crash_job = await appliance.jobs.wait((await appliance.jobs.schedule("crash")).pid)
    assert (hard_job.status, hard_job.attempts, hard_job.error) == ("failed", 1, "device 0x12 does not exist")
    assert crash_job.status == "failed" and crash_job.error == "ZeroDivisionError: oops"


async def test_cancel_queued_and_running_jobs(appliance: Appliance) -> None:
    later = await appliance.jobs.schedule("ping", {}, run_after=now() + timedelta(hours=1))
    cancelled = await appliance.jobs.cancel(later.pid)
    assert cancelled.status == "cancelled"
    long_job = await appliance.jobs.schedule("ping", {"seconds": 60, "steps": 600})
    for _ in range(200):
        if (await appliance.jobs.get(long_job.pid)).status == "running":
            break
        await asyncio.sleep(0.05)
    await appliance.jobs.cancel(long_job.pid)
    done = await appliance.jobs.wait(long_job.pid, timeout=10)
    assert done.status == "cancelled" and done.finished_on is not None
    assert (await appliance.jobs.get(later.pid)).started_on is None
    with pytest.raises(NotFound):
        await appliance.jobs.cancel("00000000-0000-0000-0000-000000000000")
    with pytest.raises(NotFound):
        await appliance.jobs.get("not-a-pid")


async def test_blocking_job_stops_at_its_next_progress_report(appliance: Appliance) -> None:
    import time

    def work(ctx: JobContext) -> int:
        for i in range(1000):
            ctx.report(i / 10, f"chunk {i}")
            time.sleep(0.01)
        return 1000

    async def execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
        return {"chunks": await ctx.run_blocking(work, ctx)}

    appliance.jobs.register(JobKind(name="blocking", execute=execute))
    job = await appliance.jobs.schedule("blocking")
    for _ in range(200):
        if (await appliance.jobs.get(job.pid)).progress > 0:
            break
        await asyncio.sleep(0.05)
    await appliance.jobs.cancel(job.pid)
    assert (await appliance.jobs.wait(job.pid, timeout=10)).status == "cancelled"


async def test_delayed_job_runs_after_its_time_and_not_before(appliance: Appliance) -> None:
    run_after = now() + timedelta(seconds=1.5)
    job = await appliance.jobs.schedule("ping", {}, run_after=run_after)
    await asyncio.sleep(0.8)
    assert (await appliance.jobs.get(job.pid)).status == "queued"
    done = await appliance.jobs.wait(job.pid, timeout=15)
    assert done.status == "done"
    assert done.started_on is not None and done.started_on >= run_after


async def test_one_job_per_key_under_50_concurrent_enqueues(appliance: Appliance) -> None:
    active = {"now": 0, "max": 0, "runs": 0}

    async def execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
        active["now"] += 1
        active["max"] = max(active["max"], active["now"])
        await asyncio.sleep(0.01)
        active["now"] -= 1
        active["runs"] += 1
        return None

    def validate(args: Any) -> dict[str, Any]:
        return dict(args)

    appliance.jobs.register(JobKind(name="per-device", execute=execute, validate=validate,
                                    key=lambda a: f"device:{a['device']}", concurrency=10))
    jobs = await asyncio.gather(*(appliance.jobs.schedule("per-device", {"device": 7, "n": i}) for i in range(50)))
    results = await asyncio.gather(*(appliance.jobs.wait(j.pid, timeout=60) for j in jobs))
    assert all(r.status == "done" for r in results)
    assert active["max"] == 1 and active["runs"] == 50


async def test_corrupt_rows_do_not_stop_the_queue(appliance: Appliance) -> None:
    def corrupt(session: Any) -> None:
        for pid, kind, args in (("11111111-1111-1111-1111-111111111111", "ping", "{not json"),
                                ("22222222-2222-2222-2222-222222222222", "vanished-kind", "{}")):
            session.execute(text(
                "INSERT INTO job (pid, kind, args, status, progress, message, attempts, max_attempts, "
                "run_after, created_on, cancel_requested) VALUES (:pid, :kind, :args, 'queued', 0, '', 0, 3, "
                "'2000-01-01 00:00:00', '2000-01-01 00:00:00', 0)"), {"pid": pid, "kind": kind, "args": args})

    await asyncio.wrap_future(appliance.metadata.write(corrupt))
    job = await appliance.jobs.schedule("ping", {})
    assert (await appliance.jobs.wait(job.pid, timeout=30)).status == "done"
    for pid, word in (("22222222-2222-2222-2222-222222222222", "unknown job kind"),):
        bad = await appliance.jobs.get(pid)
        assert bad.status == "failed" and word in (bad.error or "")
    statuses = await asyncio.wrap_future(appliance.metadata.read(
        lambda s: s.execute(text("SELECT status, error FROM job WHERE pid LIKE '1111%'")).one()))
    assert statuses[0] == "failed" and "corrupt" in statuses[1]
