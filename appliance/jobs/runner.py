"""JobRunner: claims due jobs and runs them on the appliance's loop, within the limits.

Limits: ``workers`` jobs at once overall, ``kind.concurrency`` per kind, and one job per
concurrency key (the real server's per-streamer lock). The claim happens in one writer
transaction, so a job is never started twice; a job found 'running' at start-up belonged to a
process that died and runs again (handlers are idempotent: at-least-once, exactly-once in effect).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from appliance.events import Changes, EventBus
from appliance.jobs.context import JobContext, ProgressUpdate
from appliance.jobs.kinds import HardJobError, JobCancelled, JobKind, JobKindRegistry, JobResult, SoftJobError
from appliance.jobs.records import CANCELLED, DONE, FAILED, QUEUED, RUNNING, JobChanged, JobRecord
from appliance.services import db
from storage.metadata import MetadataStore
from storage.metadata.repos import jobs as repo

if TYPE_CHECKING:
    from appliance.app import Appliance

LOGGER = logging.getLogger(__name__)
PROGRESS_INTERVAL = 0.25


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class _Running:
    record: JobRecord
    kind: JobKind
    context: JobContext
    task: asyncio.Task[None]


@dataclass(frozen=True)
class _Claim:
    started: list[JobRecord]
    failed: list[tuple[str, str]]
    cancel: list[str]
    next_due: datetime | None


class JobRunner:
    def __init__(self, store: MetadataStore, events: EventBus, registry: JobKindRegistry) -> None:
        self._store = store
        self._events = events
        self._registry = registry
        self._workers = 4
        self._poll = 1.0
        self._running: dict[str, _Running] = {}
        self._latest: dict[str, ProgressUpdate] = {}
        self._flushing: dict[str, asyncio.Task[None]] = {}
        self._wake = asyncio.Event()
        self._loop_task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._appliance: Appliance | None = None

    async def start(self, appliance: Appliance | None, *, workers: int, poll_interval: float) -> None:
        if self._loop_task is not None:
            return
        self._appliance = appliance
        self._workers, self._poll = workers, poll_interval
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        requeued = await db.write(self._store, lambda s: repo.requeue_interrupted(s, utcnow()))
        if requeued:
            LOGGER.warning("%d job(s) were interrupted by a stop or crash and will run again", len(requeued))
        self._loop_task = asyncio.create_task(self._dispatch_forever(), name="job-dispatcher")

    async def stop(self) -> None:
        if self._loop_task is None:
            return
        self._loop_task.cancel()
        await asyncio.gather(self._loop_task, return_exceptions=True)
        self._loop_task = None
        tasks = [r.task for r in self._running.values()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        flushes = list(self._flushing.values())
        for task in flushes:
            task.cancel()
        await asyncio.gather(*flushes, return_exceptions=True)

    def wake(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._wake.set)

    def request_cancel(self, pid: str) -> None:
        running = self._running.get(pid)
        if running is not None and not running.context.cancelled:
            running.context.request_cancel()
            running.task.cancel()

    async def _dispatch_forever(self) -> None:
        while True:
            self._wake.clear()
            timeout = self._poll
            try:
                claim = await self._claim()
                self._apply(claim)
                if claim.next_due is not None:
                    until = (claim.next_due - utcnow()).total_seconds()
                    timeout = max(0.01, min(timeout, until))
            except asyncio.CancelledError:
                raise
            except Exception:
                LOGGER.exception("job dispatcher failed; retrying")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)

    async def _claim(self) -> _Claim:
        free = self._workers - len(self._running)
        keys = {r.record.key for r in self._running.values() if r.record.key}
        per_kind = Counter(r.record.kind for r in self._running.values())
        return await db.write(self._store, lambda s: self._claim_in(s, free, keys, per_kind))

    def _claim_in(self, session: Session, free: int, keys: set[str], per_kind: Counter[str]) -> _Claim:
        now = utcnow()
        started: list[JobRecord] = []
        failed: list[tuple[str, str]] = []
        for due in repo.due(session, now, limit=max(free, 0) * 8 + 32) if free > 0 else []:
            kind = self._registry.kinds.get(due.kind)
            if len(started) >= free:
                break
            if kind is None:
                repo.fail_unreadable(session, due.id, f"unknown job kind {due.kind!r}", now)
                failed.append((str(due.id), due.kind))
                continue
            if (due.key and due.key in keys) or per_kind[due.kind] >= kind.concurrency:
                continue
            record = self._start_one(session, due.id, now)
            if record is None:
                failed.append((str(due.id), due.kind))
                continue
            started.append(record)
            per_kind[due.kind] += 1
            if due.key:
                keys.add(due.key)
        return _Claim(started, failed, repo.cancel_requested_pids(session), repo.next_due_time(session))

    def _start_one(self, session: Session, job_id: int, now: datetime) -> JobRecord | None:
        """A row that cannot be loaded fails alone instead of stopping the queue."""
        try:
            with session.begin_nested():
                return JobRecord.of(repo.start(session, job_id, now))
        except Exception as err:  # noqa: BLE001 - corrupt rows can raise anything from the decoder
            LOGGER.error("job row %d is unreadable: %s", job_id, err)
            repo.fail_unreadable(session, job_id, f"corrupt job row: {err}", now)
            return None

    def _apply(self, claim: _Claim) -> None:
        for job_id, kind_name in claim.failed:
            LOGGER.warning("job %s (%s) failed before it could start", job_id, kind_name)
        for pid in claim.cancel:
            self.request_cancel(pid)
        for record in claim.started:
            kind = self._registry.get(record.kind)
            context = JobContext(record.pid, record.kind, record.attempts, self._appliance, self._on_progress)
            task = asyncio.create_task(self._run(record, kind, context), name=f"job-{record.kind}-{record.pid}")
            self._running[record.pid] = _Running(record, kind, context, task)
            self._publish(record.pid, record.kind, RUNNING, 0, "")

    async def _run(self, record: JobRecord, kind: JobKind, context: JobContext) -> None:
        outcome: repo.Outcome | None = None
        try:
            outcome = await self._execute(record, kind, context)
        except asyncio.CancelledError:
            outcome = (repo.Outcome(CANCELLED, message="cancelled") if context.cancelled
                       else repo.Outcome(QUEUED, message="stopped; will run again", refund_attempt=True))
            raise
        finally:
            self._running.pop(record.pid, None)
            await self._finish(record, outcome or repo.Outcome(FAILED, error="job runner lost the outcome"))
            self.wake()

    async def _execute(self, record: JobRecord, kind: JobKind, context: JobContext) -> repo.Outcome:
        try:
            result = await kind.execute(context, dict(record.args))
            return repo.Outcome(DONE, result=_json_result(result), message="done")
        except JobCancelled:
            return repo.Outcome(CANCELLED, message="cancelled")
        except SoftJobError as err:
            if record.attempts >= kind.max_attempts:
                return repo.Outcome(FAILED, error=f"gave up after {record.attempts} attempts: {err}")
            delay = kind.backoff(record.attempts)
            LOGGER.info("job %s (%s) will retry in %.1f s: %s", record.pid, record.kind, delay, err)
            return repo.Outcome(QUEUED, error=str(err), retry_at=utcnow() + timedelta(seconds=delay),
                                message=f"retrying in {delay:.0f} s")
        except HardJobError as err:
            return repo.Outcome(FAILED, error=str(err) or type(err).__name__)
        except Exception as err:
            LOGGER.exception("job %s (%s) crashed", record.pid, record.kind)
            return repo.Outcome(FAILED, error=f"{type(err).__name__}: {err}")

    async def _finish(self, record: JobRecord, outcome: repo.Outcome) -> None:
        flush = self._flushing.pop(record.pid, None)
        if flush is not None:
            flush.cancel()
        self._latest.pop(record.pid, None)
        row = await asyncio.shield(db.write(self._store, lambda s: repo.finish(s, record.pid, outcome, utcnow())))
        if row is not None:
            self._publish(record.pid, record.kind, outcome.status, row.progress, outcome.message)

    def _publish(self, pid: str, kind: str, status: str, progress: int, message: str) -> None:
        self._events.publish(JobChanged(pid, kind, status, progress, message))
        if status != RUNNING or progress == 0:
            self._events.publish(Changes(jobs=True, initiator="jobs"))

    def _on_progress(self, update: ProgressUpdate) -> None:
        """Any thread: keep the newest value; one coalescing flush per job at a time."""
        self._latest[update.pid] = update
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._schedule_flush, update.pid)

    def _schedule_flush(self, pid: str) -> None:
        if pid not in self._flushing and pid in self._running:
            self._flushing[pid] = asyncio.create_task(self._flush(pid))

    async def _flush(self, pid: str) -> None:
        try:
            await asyncio.sleep(PROGRESS_INTERVAL)
            update = self._latest.get(pid)
            if update is None:
                return
            cancel = await db.write(self._store, lambda s: repo.set_progress(s, pid, update.progress, update.message))
            self._publish(pid, update.kind, RUNNING, update.progress, update.message)
            if cancel:
                self.request_cancel(pid)
        finally:
            self._flushing.pop(pid, None)


def _json_result(result: JobResult) -> dict[str, object] | None:
    if result is None:
        return None
    try:
        return dict(json.loads(json.dumps(result)))
    except (TypeError, ValueError) as err:
        raise HardJobError(f"job result is not JSON: {err}") from err
