"""Periodic tasks: APScheduler fires, a durable job does the work.

The scheduler keeps its own job store (``apscheduler_jobs``) in the metadata database so next run
times survive restarts and missed runs are coalesced into one. It is APScheduler's
BackgroundScheduler, not AsyncIOScheduler, on purpose: the latter reads and writes its SQLAlchemy
job store on the event-loop thread, and nothing blocking may run there. A firing only enqueues a
job (hopping onto the loop with run_coroutine_threadsafe), so the real work is durable, visible at
/api/v1/pid/ and retried like any other job.

APScheduler persists the fired function as an import path plus pickled arguments, so the function
is module-level and finds its queue through ``_TARGETS`` by the scheduler's id.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from appliance.config import Settings

if TYPE_CHECKING:
    from appliance.jobs.queue import JobQueue

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True, kw_only=True)
class PeriodicTask:
    name: str
    job_kind: str
    interval_setting: str
    args: Mapping[str, Any] = field(default_factory=dict)


PERIODIC_TASKS: tuple[PeriodicTask, ...] = (
    PeriodicTask(name="housekeeping", job_kind="housekeeping", interval_setting="periodic.housekeeping_seconds"),
    PeriodicTask(name="device_health_check", job_kind="device_health_check",
                 interval_setting="periodic.device_health_check_seconds"),
    PeriodicTask(name="compact_streams", job_kind="compact_streams",
                 interval_setting="periodic.compact_streams_seconds"),
)

_TARGETS: dict[str, tuple[JobQueue, asyncio.AbstractEventLoop]] = {}
_TARGETS_LOCK = threading.Lock()


def fire(scheduler_id: str, job_kind: str, args: dict[str, Any]) -> None:
    """Runs on APScheduler's thread: enqueue the durable job on the appliance's loop."""
    with _TARGETS_LOCK:
        target = _TARGETS.get(scheduler_id)
    if target is None:
        LOGGER.warning("periodic %s fired for a scheduler that is gone", job_kind)
        return
    queue, loop = target
    future = asyncio.run_coroutine_threadsafe(queue.schedule(job_kind, args), loop)
    record = future.result(timeout=30)
    LOGGER.info("periodic task queued %s job %s", job_kind, record.pid)


class PeriodicScheduler:
    def __init__(self, database: Path, queue: JobQueue, settings: Settings,
                 tasks: tuple[PeriodicTask, ...] = PERIODIC_TASKS) -> None:
        self._database = database
        self._queue = queue
        self._settings = settings
        self._tasks = tasks
        self._scheduler: BackgroundScheduler | None = None
        self._id = f"scheduler:{database.resolve()}"

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """Blocking (job store I/O): call from a worker thread."""
        if self._scheduler is not None:
            return
        with _TARGETS_LOCK:
            _TARGETS[self._id] = (self._queue, loop)
        store = SQLAlchemyJobStore(url=f"sqlite:///{self._database}", engine_options={"connect_args": {"timeout": 30}})
        scheduler = BackgroundScheduler(jobstores={"default": store}, timezone="UTC",
                                        job_defaults={"coalesce": True, "max_instances": 1,
                                                      "misfire_grace_time": 3600})
        for task in self._tasks:
            seconds = int(self._settings[task.interval_setting])
            scheduler.add_job(fire, "interval", seconds=seconds, id=task.name, name=task.name,
                              args=[self._id, task.job_kind, dict(task.args)], replace_existing=True)
        scheduler.start()
        self._scheduler = scheduler
        LOGGER.info("periodic tasks: %s", ", ".join(f"{t.name} every {self._settings[t.interval_setting]} s"
                                                     for t in self._tasks))

    def stop(self) -> None:
        if self._scheduler is None:
            return
        self._scheduler.shutdown(wait=True)
        self._scheduler = None
        with _TARGETS_LOCK:
            _TARGETS.pop(self._id, None)
