"""``iotile-appliance jobs ...``: works beside a running appliance.

Jobs live in SQLite, which several processes may share, so these commands open only the metadata
database (not the data-directory lock that guards DuckDB); the running appliance's runner picks up
what they queue or cancel within ``jobs.poll_seconds``.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from appliance.api.jsonenc import dumps
from appliance.cli_support import metadata_only
from appliance.errors import ValidationError
from appliance.events import EventBus
from appliance.ingest.reprocess import REPROCESS_STREAMER
from appliance.jobs.builtin import BUILTIN_KINDS
from appliance.jobs.compaction import COMPACT_STREAMS
from appliance.jobs.queue import JobQueue
from appliance.jobs.records import JobRecord, job_json


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    jobs = sub.add_parser("jobs", help="list, inspect, queue and cancel background jobs")
    jobs.add_argument("--data-dir", type=Path, dest="sub_data_dir", help=argparse.SUPPRESS)
    cmd = jobs.add_subparsers(dest="jobs_command", required=True)
    listing = cmd.add_parser("list", help="newest first")
    listing.add_argument("--status", choices=["queued", "running", "done", "failed", "cancelled"])
    listing.add_argument("--kind")
    listing.add_argument("--limit", type=int, default=50)
    cmd.add_parser("show", help="one job as JSON").add_argument("pid")
    cmd.add_parser("cancel", help="cancel a queued or running job").add_argument("pid")
    run = cmd.add_parser("run", help="queue a job of a built-in kind")
    run.add_argument("kind")
    run.add_argument("--args", default="{}", help="JSON object of arguments")


@asynccontextmanager
async def _queue(data_dir: Path | None) -> AsyncIterator[JobQueue]:
    async with metadata_only(data_dir) as store:
        queue = JobQueue(store, EventBus())
        for kind in (*BUILTIN_KINDS, REPROCESS_STREAMER, COMPACT_STREAMS):
            queue.register(kind)
        yield queue


def _line(job: JobRecord) -> str:
    return f"{job.pid}  {job.kind:<14} {job.status:<9} {job.progress:>3}%  {job.created_on:%Y-%m-%d %H:%M:%S}  " \
           f"{job.error or job.message}"


async def run(args: argparse.Namespace, data_dir: Path | None, out: Callable[[str], None]) -> None:
    async with _queue(data_dir) as queue:
        if args.jobs_command == "list":
            count, jobs = await queue.page(status=args.status, kind=args.kind, limit=args.limit)
            for job in jobs:
                out(_line(job))
            out(f"{count} job(s)")
        elif args.jobs_command == "show":
            out(dumps(job_json(await queue.get(args.pid))))
        elif args.jobs_command == "cancel":
            job = await queue.cancel(args.pid)
            out(f"{job.pid} {'cancel requested' if job.status == 'running' else job.status}")
        elif args.jobs_command == "run":
            try:
                job_args = json.loads(args.args)
            except ValueError as err:
                raise ValidationError(f"--args is not JSON: {err}", key="bad_json") from err
            if not isinstance(job_args, dict):
                raise ValidationError("--args must be a JSON object", key="bad_json")
            out((await queue.schedule(args.kind, job_args)).pid)

