"""The ``compact_streams`` job: merges the stream store's compaction levels that are due.

The periodic scheduler queues it every ``periodic.compact_streams_seconds``; an operator (or the
CLI) can queue it with ``{"full": true}`` to sort everything into one run, e.g. before an export
or after a large import. One runs at a time (its key), and a merge is one DuckDB transaction, so a
job interrupted by a crash or a stop leaves the store as it was and the next run starts afresh.
"""

from __future__ import annotations

from typing import Any

from appliance.errors import ValidationError
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import JobArgs, JobKind, JobResult


def _validate(args: JobArgs) -> dict[str, Any]:
    unknown = set(args) - {"full"}
    if unknown:
        raise ValidationError(f"unknown compact_streams arguments: {sorted(unknown)}", key="invalid_job_args")
    full = args.get("full", False)
    if not isinstance(full, bool):
        raise ValidationError("full must be true or false", key="invalid_job_args")
    return {"full": full}


async def _execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    appliance = ctx.appliance
    if appliance is None:
        return {"skipped": "no appliance"}
    ctx.report(5, "looking for readings to sort")
    merges = await ctx.run_blocking(lambda: appliance.streams.compact(
        full=bool(args["full"]), progress=lambda message: ctx.report(50, message)))
    return {"merges": [{"levels": list(m.source), "into": m.target, "readings": m.rows,
                        "seconds": round(m.seconds, 3)} for m in merges],
            "readings": sum(m.rows for m in merges), "levels": await ctx.run_blocking(_levels, appliance)}


def _levels(appliance: Any) -> dict[str, int]:
    return {str(level): count for level, count in sorted(appliance.streams.level_counts().items())}


COMPACT_STREAMS = JobKind(name="compact_streams", execute=_execute, validate=_validate,
                          key=lambda args: "compact_streams", max_attempts=3,
                          description="Sorts settled readings by stream: smaller on disk, faster reads.")
