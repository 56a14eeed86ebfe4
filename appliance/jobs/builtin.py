"""Job kinds every appliance has: housekeeping and a diagnostic ``ping``.

``ping`` is the real server's Ping action: it sleeps in steps and reports progress, which is what
operators (and the crash tests) use to check that the worker is alive and resumable.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from appliance.errors import ValidationError
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import JobArgs, JobKind, JobResult
from appliance.services import db
from storage.metadata.repos import housekeeping as hk_repo
from storage.metadata.repos import jobs as jobs_repo


def _validate_ping(args: JobArgs) -> dict[str, Any]:
    unknown = set(args) - {"seconds", "steps", "label"}
    if unknown:
        raise ValidationError(f"unknown ping arguments: {sorted(unknown)}", key="invalid_job_args")
    seconds, steps = args.get("seconds", 0), args.get("steps", 10)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds <= 3600:
        raise ValidationError("seconds must be a number from 0 to 3600", key="invalid_job_args")
    if isinstance(steps, bool) or not isinstance(steps, int) or not 1 <= steps <= 1000:
        raise ValidationError("steps must be a whole number from 1 to 1000", key="invalid_job_args")
    label = args.get("label", "")
    if not isinstance(label, str) or len(label) > 200:
        raise ValidationError("label must be text of at most 200 characters", key="invalid_job_args")
    return {"seconds": float(seconds), "steps": steps, "label": label}


async def _ping(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    started = time.monotonic()
    steps = int(args["steps"])
    for step in range(steps):
        ctx.report(100 * step / steps, f"step {step + 1} of {steps}")
        await asyncio.sleep(float(args["seconds"]) / steps)
    return {"pong": True, "label": args["label"], "attempt": ctx.attempt,
            "elapsed": round(time.monotonic() - started, 3)}


async def _housekeeping(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    appliance = ctx.appliance
    if appliance is None:
        return {"skipped": "no appliance"}
    now = datetime.now(timezone.utc)
    retention = timedelta(days=int(appliance.settings["jobs.retention_days"]))
    ctx.report(10, "removing expired invitations")
    invitations = await db.write(appliance.metadata, lambda s: hk_repo.delete_expired_invitations(s, now))
    ctx.report(40, "removing old finished jobs")
    jobs = await db.write(appliance.metadata, lambda s: jobs_repo.delete_finished_before(s, now - retention))
    ctx.report(70, "removing old log files")
    logs = await ctx.run_blocking(_prune_logs, appliance.data_dir.logs, now - retention)
    return {"expired_invitations": invitations, "old_jobs": jobs, "old_log_files": logs}


def _prune_logs(logs_dir: Path, cutoff: datetime) -> int:
    """Rotated files only (appliance.log.N and other dated files); the live log stays."""
    removed = 0
    for path in logs_dir.glob("*.log.*"):
        if datetime.fromtimestamp(path.stat().st_mtime, timezone.utc) < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed


PING = JobKind(name="ping", execute=_ping, validate=_validate_ping, concurrency=4, max_attempts=3,
               description="Diagnostic: sleeps in steps, reporting progress.")
HOUSEKEEPING = JobKind(name="housekeeping", execute=_housekeeping, key=lambda args: "housekeeping",
                       max_attempts=3, description="Expired invitations, old finished jobs, old logs.")
BUILTIN_KINDS = (PING, HOUSEKEEPING)
