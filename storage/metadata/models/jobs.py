"""The durable job queue (decision 6): long work with status and progress that survives restarts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.metadata.base import Base, one_of, optional_ref
from storage.metadata.models.codes import JOB_STATUSES
from storage.metadata.types import utcnow


class Job(Base):
    """One unit of long work; ``pid`` is the uuid shown at /api/v1/pid/.

    The (status, run_after) index is what the runner polls: "queued and due". ``concurrency_key``
    lets the runner keep two jobs on the same target (say, a device reset and its archive) apart.
    A running job cannot be stopped from outside, so cancelling one sets ``cancel_requested`` and
    the job checks it when it reports progress.
    """

    __tablename__ = "job"
    __table_args__ = (
        Index(None, "status", "run_after"),
        one_of("status", JOB_STATUSES, "status"),
        CheckConstraint("progress BETWEEN 0 AND 100", name="progress_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    pid: Mapped[str] = mapped_column(String(36), unique=True)
    kind: Mapped[str] = mapped_column(String(64))
    args: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(9), default="queued")
    progress: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
    cancel_requested: Mapped[bool] = mapped_column(default=False)  # running jobs stop cooperatively
    attempts: Mapped[int] = mapped_column(default=0)
    max_attempts: Mapped[int] = mapped_column(default=3)
    concurrency_key: Mapped[str | None] = mapped_column(String(128), index=True)
    run_after: Mapped[datetime] = mapped_column(default=utcnow)
    created_on: Mapped[datetime] = mapped_column(default=utcnow)
    started_on: Mapped[datetime | None]
    finished_on: Mapped[datetime | None]
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int | None] = optional_ref("account.id", index=False)
