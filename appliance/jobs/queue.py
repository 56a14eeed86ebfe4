"""JobQueue: schedule, cancel and read durable jobs; the runner (runner.py) executes them.

Jobs live in the metadata database, so they survive restarts and another process on the same
data directory (the CLI) can enqueue or cancel them while the appliance runs; the runner polls.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from appliance.errors import NotFound, ValidationError
from appliance.events import Changes, EventBus
from appliance.jobs.kinds import JobKind, JobKindRegistry
from appliance.jobs.records import CANCELLED, QUEUED, RUNNING, JobChanged, JobRecord
from appliance.jobs.runner import JobRunner
from appliance.services import db
from storage.metadata import MetadataStore
from storage.metadata.repos import jobs as repo

if TYPE_CHECKING:
    from appliance.app import Appliance

MAX_ARGS_BYTES = 64 * 1024


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class JobQueue:
    def __init__(self, store: MetadataStore, events: EventBus, registry: JobKindRegistry | None = None) -> None:
        self._store = store
        self._events = events
        self.registry = registry or JobKindRegistry()
        self._runner = JobRunner(store, events, self.registry)

    def register(self, kind: JobKind) -> None:
        self.registry.register(kind)

    async def start(self, appliance: Appliance | None = None, *, workers: int = 4,
                    poll_interval: float = 1.0) -> None:
        """Run jobs in this process. Without start() the queue still schedules, reads and cancels
        (the CLI does that while the appliance process runs the jobs)."""
        await self._runner.start(appliance, workers=workers, poll_interval=poll_interval)

    async def stop(self) -> None:
        await self._runner.stop()

    async def schedule(self, kind_name: str, args: Mapping[str, Any] | None = None, *,
                       run_after: datetime | None = None, created_by_id: int | None = None) -> JobRecord:
        """Validate now so a bad request is refused before anything is stored."""
        kind = self.registry.get(kind_name)
        clean = kind.validate(dict(args or {}))
        _check_json(clean)
        if run_after is not None and run_after.tzinfo is None:
            raise ValidationError("run_after must carry a time zone", key="naive_datetime")
        now = utcnow()

        def insert(session: Session) -> JobRecord:
            return JobRecord.of(repo.insert(
                session, pid=str(uuid.uuid4()), kind=kind.name, args=clean, key=kind.key(clean),
                run_after=run_after or now, max_attempts=kind.max_attempts, created_by_id=created_by_id,
                now=now))

        record = await db.write(self._store, insert)
        self._events.publish(JobChanged(record.pid, record.kind, QUEUED, 0, ""))
        self._events.publish(Changes(jobs=True, initiator="jobs"))
        self._runner.wake()
        return record

    async def get(self, pid: str) -> JobRecord:
        row = await db.read(self._store, lambda s: repo.by_pid(s, _pid(pid)))
        if row is None:
            raise NotFound(f"no job with pid {pid}", key="job_not_found")
        return JobRecord.of(row)

    async def page(self, *, status: str | None = None, kind: str | None = None, created_by_id: int | None = None,
                   offset: int = 0, limit: int = 100) -> tuple[int, list[JobRecord]]:
        count, rows = await db.read(self._store, lambda s: repo.page(
            s, status=status, kind=kind, created_by_id=created_by_id, offset=offset, limit=limit))
        return count, [JobRecord.of(r) for r in rows]

    async def cancel(self, pid: str) -> JobRecord:
        """Queued jobs stop at once; running ones at their next progress report."""
        pid = _pid(pid)

        def mark(session: Session) -> JobRecord:
            job = repo.by_pid(session, pid)
            if job is None:
                raise NotFound(f"no job with pid {pid}", key="job_not_found")
            if job.status == QUEUED:
                job.status, job.finished_on, job.message = CANCELLED, utcnow(), "cancelled"
            elif job.status == RUNNING:
                job.cancel_requested = True
            return JobRecord.of(job)

        record = await db.write(self._store, mark)
        if record.status == RUNNING:
            self._runner.request_cancel(pid)
        else:
            self._events.publish(JobChanged(pid, record.kind, record.status, record.progress, record.message))
        self._runner.wake()
        return record

    async def wait(self, pid: str, timeout: float = 60.0) -> JobRecord:
        """Until the job is done, failed or cancelled (for the CLI and tests)."""
        finished = asyncio.Event()
        unsubscribe = self._events.subscribe(
            JobChanged, lambda e: finished.set() if e.pid == pid and e.status not in (QUEUED, RUNNING) else None)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        try:
            while not (record := await self.get(pid)).finished:
                remaining = deadline - loop.time()
                if remaining <= 0:
                    raise asyncio.TimeoutError(f"job {pid} did not finish within {timeout} s")
                try:
                    await asyncio.wait_for(finished.wait(), min(1.0, remaining))
                except asyncio.TimeoutError:
                    continue
            return record
        finally:
            unsubscribe()


def _pid(pid: str) -> str:
    """Accepts iotile.cloud's ``pid:<id>`` form as well as the bare uuid."""
    text = str(pid)
    text = text[4:] if text.startswith("pid:") else text
    try:
        return str(uuid.UUID(text))
    except ValueError as err:
        raise NotFound(f"no job with pid {pid}", key="job_not_found") from err


def _check_json(args: dict[str, Any]) -> None:
    try:
        text = json.dumps(args)
    except (TypeError, ValueError) as err:
        raise ValidationError(f"job arguments must be JSON: {err}", key="invalid_job_args") from err
    if len(text) > MAX_ARGS_BYTES:
        raise ValidationError("job arguments are too large", key="invalid_job_args")

