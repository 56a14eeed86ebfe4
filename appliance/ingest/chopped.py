"""The ``fix_chopped_report`` job: re-time a chopped report once the device shows how it ended.

A report within 16 bytes of 196,608 was cut off by the device, so its sent_timestamp does not
belong to its last reading and the times ingest gave it are a guess. As iotile.cloud's
HandleChoppedReportV2 does, the job looks for what came next from the device: a reboot (0x5C00)
above the report's last reading means the readings ended just before it, so they are walked
again with the reboot as the anchor (base = reboot time - last reading's uptime) and the same v2
rules as ingest; a complete report (0x5A05) from the same streamer means nothing needs fixing.
With neither yet, the job looks again every 15 minutes, at most 100 times.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta, timezone
from typing import Any

from appliance.errors import ValidationError
from appliance.ingest.reboots import repair
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import HardJobError, JobArgs, JobKind, JobResult
from appliance.jobs.queue import JobQueue
from storage.streams import ledger as store_ledger
from storage.streams import retime
from storage.streams.columns import REBOOT_VARIABLE

LOGGER = logging.getLogger(__name__)

RETRY = timedelta(minutes=15)
MAX_ATTEMPTS = 100


def _validate(args: JobArgs) -> dict[str, Any]:
    report, attempt = args.get("report"), args.get("attempt", 1)
    if set(args) - {"report", "attempt"} or not isinstance(report, str) or not 0 < len(report) <= 64:
        raise ValidationError('fix_chopped_report takes {"report": "<report uuid>", "attempt": n}',
                              key="invalid_job_args")
    if isinstance(attempt, bool) or not isinstance(attempt, int) or not 1 <= attempt <= MAX_ATTEMPTS:
        raise ValidationError(f"attempt must be a whole number from 1 to {MAX_ATTEMPTS}", key="invalid_job_args")
    return {"report": report, "attempt": attempt}


async def schedule_fix(jobs: JobQueue, report_uuid: str, attempt: int = 1) -> None:
    """Queue the next look, ``RETRY`` from now (the real server's SQS delay)."""
    await jobs.schedule("fix_chopped_report", {"report": report_uuid, "attempt": attempt},
                        run_after=datetime.now(timezone.utc) + RETRY)


async def _execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    app = ctx.appliance
    if app is None:
        raise HardJobError("fixing a chopped report needs the running appliance")
    streams = app.streams
    entry = await ctx.run_blocking(streams.read, lambda cur: store_ledger.entry_by_uuid(cur, args["report"]))
    if entry is None:
        return {"skipped": "the report is no longer in the ledger (its streamer was reprocessed or reset)"}
    if entry.actual_last_id <= 0 or entry.actual_first_id == entry.actual_last_id:
        return {"skipped": "the report stored no range of readings"}
    reference = await ctx.run_blocking(streams.read, lambda cur: retime.reference_after(
        cur, entry.device, entry.streamer, entry.actual_last_id))
    if reference is None:
        if args["attempt"] >= MAX_ATTEMPTS:
            LOGGER.warning("chopped report %s: nothing followed it after %d looks; giving up", entry.uuid,
                           MAX_ATTEMPTS)
            return {"gave_up": True, "attempt": args["attempt"]}
        await schedule_fix(app.jobs, entry.uuid, args["attempt"] + 1)
        return {"waiting": True, "attempt": args["attempt"]}
    if reference.variable != REBOOT_VARIABLE:
        return {"fixed": 0, "reference": "complete report", "streamer_local_id": reference.streamer_local_id}
    ctx.report(30, "re-timing the report's readings on the reboot that followed it")
    rows = await ctx.run_blocking(streams.read, lambda cur: retime.readings_between(
        cur, entry.device, entry.actual_first_id, entry.actual_last_id))
    if not len(rows.id):
        return {"fixed": 0, "reference": "reboot", "streamer_local_id": reference.streamer_local_id}
    previous = await ctx.run_blocking(app.ingest.ledger.previous_base_sync, entry.device, entry.streamer,
                                      entry.incremental_id or 0)
    timeline = repair(rows.variable, rows.device_timestamp.astype("uint32"), rows.int_value,
                      received=reference.timestamp, sent_timestamp=int(rows.device_timestamp[-1]),
                      previous_base=previous)
    changed = await asyncio.wrap_future(streams.write(
        lambda w: retime.set_times(w.conn, rows.id, timeline.timestamp, timeline.status, timeline.dirty)))
    LOGGER.info("chopped report %s: %d readings re-timed on the reboot at %s", entry.uuid, changed,
                reference.timestamp)
    return {"fixed": changed, "reference": "reboot", "streamer_local_id": reference.streamer_local_id}


FIX_CHOPPED_REPORT = JobKind(name="fix_chopped_report", execute=_execute, validate=_validate,
                             key=lambda args: f"chopped:{args['report']}", max_attempts=3,
                             description="Re-times a chopped report once the device's next reboot is known.")
