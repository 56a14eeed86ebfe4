"""Queries of the durable job queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from storage.metadata.models import Job


@dataclass(frozen=True)
class DueJob:
    """Just enough to decide whether a due job may start now, without loading its JSON."""

    id: int
    kind: str
    key: str | None


def insert(session: Session, *, pid: str, kind: str, args: dict[str, Any], key: str | None, run_after: datetime,
           max_attempts: int, created_by_id: int | None, now: datetime) -> Job:
    job = Job(pid=pid, kind=kind, args=args, status="queued", progress=0, message="", attempts=0,
              max_attempts=max_attempts, concurrency_key=key, run_after=run_after, created_on=now,
              created_by_id=created_by_id)
    session.add(job)
    session.flush()
    return job


def by_pid(session: Session, pid: str) -> Job | None:
    return session.scalar(select(Job).where(Job.pid == pid))


def page(session: Session, *, status: str | None, kind: str | None, created_by_id: int | None,
         offset: int, limit: int) -> tuple[int, Sequence[Job]]:
    stmt = select(Job)
    if status:
        stmt = stmt.where(Job.status == status)
    if kind:
        stmt = stmt.where(Job.kind == kind)
    if created_by_id is not None:
        stmt = stmt.where(Job.created_by_id == created_by_id)
    count = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Job.id.desc()).offset(offset).limit(limit)).all()
    return int(count), rows


def requeue_interrupted(session: Session, now: datetime) -> list[str]:
    """Jobs left 'running' by a process that died: run again, unless out of attempts."""
    pids: list[str] = []
    for job in session.scalars(select(Job).where(Job.status == "running")):
        if job.attempts >= job.max_attempts:
            job.status, job.error, job.finished_on = "failed", "interrupted too many times", now
        else:
            job.status, job.run_after, job.message = "queued", now, "interrupted; will run again"
        pids.append(job.pid)
    return pids


def due(session: Session, now: datetime, limit: int) -> list[DueJob]:
    stmt = (select(Job.id, Job.kind, Job.concurrency_key)
            .where(Job.status == "queued", Job.run_after <= now)
            .order_by(Job.run_after, Job.id).limit(limit))
    return [DueJob(row[0], row[1], row[2]) for row in session.execute(stmt)]


def next_due_time(session: Session) -> datetime | None:
    return session.scalar(select(func.min(Job.run_after)).where(Job.status == "queued"))


def fail_unreadable(session: Session, job_id: int, error: str, now: datetime) -> None:
    """Core UPDATE, no ORM load: the row may be the very thing that cannot be loaded."""
    session.execute(update(Job).where(Job.id == job_id)
                    .values(status="failed", error=error[:2000], finished_on=now)
                    .execution_options(synchronize_session=False))


def set_progress(session: Session, pid: str, progress: int, message: str) -> bool:
    """Returns whether a cancel was requested (by the API, the GUI or another process's CLI)."""
    job = by_pid(session, pid)
    if job is None or job.status != "running":
        return False
    job.progress, job.message = progress, message[:500]
    return bool(job.cancel_requested)


def delete_finished_before(session: Session, cutoff: datetime) -> int:
    stale = select(Job.id).where(Job.status.in_(("done", "failed", "cancelled")), Job.finished_on < cutoff)
    ids = list(session.scalars(stale))
    if ids:
        session.query(Job).filter(Job.id.in_(ids)).delete(synchronize_session=False)
    return len(ids)


def start(session: Session, job_id: int, now: datetime) -> Job:
    """Load (this is where a corrupt row raises) and mark running with one more attempt."""
    job = session.get_one(Job, job_id)
    _ = dict(job.args or {})
    job.status, job.started_on, job.message, job.cancel_requested = "running", now, "", False
    job.attempts += 1
    job.progress = 0
    return job


def cancel_requested_pids(session: Session) -> list[str]:
    return list(session.scalars(select(Job.pid).where(Job.status == "running", Job.cancel_requested.is_(True))))


@dataclass(frozen=True)
class Outcome:
    status: str
    result: dict[str, Any] | None = None
    error: str | None = None
    retry_at: datetime | None = None
    message: str = ""
    refund_attempt: bool = False


def finish(session: Session, pid: str, outcome: Outcome, now: datetime) -> Job | None:
    job = by_pid(session, pid)
    if job is None:
        return None
    job.status, job.result, job.error = outcome.status, outcome.result, outcome.error
    job.message = outcome.message[:500]
    job.cancel_requested = False
    if outcome.refund_attempt:
        job.attempts = max(job.attempts - 1, 0)
    if outcome.status == "queued":
        job.run_after = outcome.retry_at or now
    else:
        job.finished_on = now
    if outcome.status == "done":
        job.progress = 100
    return job
