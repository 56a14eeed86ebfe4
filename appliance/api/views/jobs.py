"""/api/v1/pid/: the status of background jobs (iotile.cloud's ActionPID), a staff list, cancel.

iotile.cloud answers ``POST pid/ {"pid": "pid:<id>"}`` with 202 ``{"pid", "info": {...}}``; that
form is kept, and ``GET pid/<pid>/`` gives the full record. A job is visible to its creator and
to staff; to anybody else it does not exist (404 / "Not found").
"""

from __future__ import annotations

from aiohttp import web

from appliance.api.auth import principal, require_staff
from appliance.api.bodies import json_object, require_str
from appliance.api.jsonenc import respond
from appliance.api.keys import APPLIANCE
from appliance.api.pagination import page_of, paginated
from appliance.api.urls import API
from appliance.errors import NotFound, ValidationError
from appliance.jobs.records import TERMINAL, JobRecord, job_json
from appliance.services.auth import Principal

STATUSES = frozenset({"queued", "running", *TERMINAL})


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API}/pid/", job_list)
    app.router.add_post(f"{API}/pid/", job_lookup)
    app.router.add_get(f"{API}/pid/{{pid}}/", job_detail)
    app.router.add_post(f"{API}/pid/{{pid}}/cancel/", job_cancel)


async def _visible_job(request: web.Request, pid: str) -> tuple[Principal, JobRecord]:
    who = principal(request)
    job = await request.app[APPLIANCE].jobs.get(pid)
    if not who.is_staff and (who.account is None or job.created_by_id != who.account.id):
        raise NotFound(f"no job with pid {pid}", key="job_not_found")
    return who, job


async def job_detail(request: web.Request) -> web.Response:
    _, job = await _visible_job(request, request.match_info["pid"])
    return respond(job_json(job))


async def job_lookup(request: web.Request) -> web.Response:
    """iotile.cloud's form: always 202, with ``info.error`` when the pid is unknown."""
    pid = require_str(await json_object(request), "pid", max_length=64)
    try:
        _, job = await _visible_job(request, pid)
    except NotFound:
        return respond({"pid": pid, "info": {"error": "Not found"}}, status=202)
    return respond({"pid": pid, "info": {"type": job.kind, "created_on": job.created_on, **job_json(job)}},
                   status=202)


async def job_list(request: web.Request) -> web.Response:
    require_staff(request)
    status = request.query.get("status") or None
    if status is not None and status not in STATUSES:
        raise ValidationError(f"status must be one of {sorted(STATUSES)}", key="invalid_filter")
    page = page_of(request)
    count, jobs = await request.app[APPLIANCE].jobs.page(
        status=status, kind=request.query.get("type") or request.query.get("kind") or None,
        offset=page.offset, limit=page.size)
    return respond(paginated(request, page, count, [job_json(j) for j in jobs]))


async def job_cancel(request: web.Request) -> web.Response:
    _, job = await _visible_job(request, request.match_info["pid"])
    if job.finished:
        raise ValidationError(f"job {job.pid} already finished ({job.status})", key="job_finished")
    return respond(job_json(await request.app[APPLIANCE].jobs.cancel(job.pid)), status=202)
