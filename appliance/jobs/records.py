"""JobRecord: the frozen view of a job row that leaves the store, and the events about jobs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.metadata import Job

QUEUED, RUNNING, DONE, FAILED, CANCELLED = "queued", "running", "done", "failed", "cancelled"
TERMINAL = frozenset({DONE, FAILED, CANCELLED})


@dataclass(frozen=True)
class JobRecord:
    id: int
    pid: str
    kind: str
    args: dict[str, Any]
    status: str
    progress: int
    message: str
    attempts: int
    max_attempts: int
    key: str | None
    run_after: datetime
    created_on: datetime
    started_on: datetime | None
    finished_on: datetime | None
    result: dict[str, Any] | None
    error: str | None
    created_by_id: int | None
    cancel_requested: bool

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL

    @classmethod
    def of(cls, row: Job) -> JobRecord:
        return cls(row.id, row.pid, row.kind, dict(row.args or {}), row.status, row.progress, row.message or "",
                   row.attempts, row.max_attempts, row.concurrency_key, row.run_after, row.created_on,
                   row.started_on, row.finished_on, row.result, row.error, row.created_by_id,
                   bool(row.cancel_requested))


@dataclass(frozen=True)
class JobChanged:
    """Published on every status change and (throttled) progress update of a job."""

    pid: str
    kind: str
    status: str
    progress: int
    message: str


def job_json(job: JobRecord) -> dict[str, Any]:
    """The wire form shared by /api/v1/pid/ and `iotile-appliance jobs show`."""
    return {
        "pid": job.pid,
        "type": job.kind,
        "status": job.status,
        "progress": job.progress,
        "message": job.message,
        "args": job.args,
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "created_on": job.created_on,
        "run_after": job.run_after,
        "started_on": job.started_on,
        "finished_on": job.finished_on,
        "result": job.result,
        "error": job.error,
        "cancel_requested": job.cancel_requested,
    }
