"""The ``reprocess_streamer`` job: a streamer's reports processed again from their raw bytes."""

from __future__ import annotations

from typing import Any

from appliance.errors import ValidationError
from appliance.jobs.context import JobContext
from appliance.jobs.kinds import HardJobError, JobArgs, JobKind, JobResult
from appliance.slugs import StreamerSlug


def _validate(args: JobArgs) -> dict[str, Any]:
    if set(args) != {"streamer"} or not isinstance(args["streamer"], str):
        raise ValidationError('reprocess_streamer takes {"streamer": "t--..."}', key="invalid_job_args")
    return {"streamer": StreamerSlug.parse(args["streamer"]).slug}


async def _execute(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    if ctx.appliance is None:
        raise HardJobError("reprocessing needs the running appliance")
    slug = StreamerSlug.parse(args["streamer"])
    return await ctx.appliance.ingest.reprocess(slug.device, slug.index, ctx.report)


def _key(args: JobArgs) -> str:
    return f"streamer:{args['streamer']}"


REPROCESS_STREAMER = JobKind(name="reprocess_streamer", execute=_execute, validate=_validate, key=_key,
                             concurrency=2, max_attempts=2,
                             description="Process a streamer's reports again from their raw bytes.")
