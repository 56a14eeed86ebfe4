"""Jobs across process death, the CLI beside a running appliance, and periodic firing."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from appliance.app import OWNER_EMAIL
from storage.metadata import Account, Invitation, Job, Org
from tests.conftest import make_appliance
from tests.support.server import Server, cli


def wait_for(predicate, timeout: float = 60.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def test_job_killed_mid_run_completes_once_after_restart(tmp_path: Path) -> None:
    data = tmp_path / "data"
    init = cli("init", data_dir=data)
    password = init.stdout.split("One-time password: ")[1].split()[0]
    server = Server(data)
    try:
        queued = cli("jobs", "run", "ping", "--args", json.dumps({"seconds": 6, "steps": 60}), data_dir=data)
        assert queued.returncode == 0, queued.stderr
        pid = queued.stdout.strip()
        token = server.login(OWNER_EMAIL, password)
        wait_for(lambda: server.request("GET", f"/api/v1/pid/{pid}/", token=token)[1]["progress"] > 0)
    finally:
        server.kill()
    restarted = Server(data)
    try:
        token = restarted.login(OWNER_EMAIL, password)
        job = wait_for(lambda: (lambda b: b if b["status"] == "done" else None)(
            restarted.request("GET", f"/api/v1/pid/{pid}/", token=token)[1]), timeout=90)
        assert job["attempts"] == 2
        assert job["result"]["pong"] is True and job["result"]["attempt"] == 2
        status, page = restarted.request("GET", "/api/v1/pid/?type=ping", token=token)
        assert status == 200 and page["count"] == 1
    finally:
        assert restarted.stop() == 0
    listing = cli("jobs", "list", data_dir=data)
    assert pid in listing.stdout and "done" in listing.stdout
    shown = json.loads(cli("jobs", "show", pid, data_dir=data).stdout)
    assert shown["status"] == "done" and shown["attempts"] == 2


def test_cli_refuses_bad_jobs_clearly(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert cli("init", data_dir=data).returncode == 0
    unknown = cli("jobs", "run", "explode", data_dir=data)
    assert unknown.returncode == 2 and "unknown job kind" in unknown.stderr
    bad_args = cli("jobs", "run", "ping", "--args", "{nope", data_dir=data)
    assert bad_args.returncode == 2 and "not JSON" in bad_args.stderr
    missing = cli("jobs", "show", "00000000-0000-0000-0000-000000000000", data_dir=data)
    assert missing.returncode == 2 and "no job" in missing.stderr
    nothing = cli("jobs", "list", data_dir=tmp_path / "empty")
    assert nothing.returncode == 2 and "init" in nothing.stderr


async def test_periodic_housekeeping_fires_and_cleans_up(tmp_path: Path) -> None:
    old = datetime.now(timezone.utc) - timedelta(days=400)

    def seed(session) -> None:  # type: ignore[no-untyped-def]
        owner = session.query(Account).first()
        org = Org(uuid="9" * 36, name="Acme", slug="acme", created_by_id=owner.id)
        session.add(org)
        session.flush()
        session.add(Invitation(uuid="0" * 36, email="late@example.com", org_id=org.id, sent_on=old))
        session.add(Job(pid="1" * 36, kind="ping", args={}, status="done", run_after=old, created_on=old,
                        finished_on=old))

    appliance = make_appliance(tmp_path / "data", serve_http=False, **{"periodic.housekeeping_seconds": 1})
    await appliance.start()
    try:
        await asyncio.wrap_future(appliance.metadata.write(seed))
        for _ in range(150):
            count, jobs = await appliance.jobs.page(kind="housekeeping", status="done")
            if count:
                break
            await asyncio.sleep(0.1)
        assert count >= 1, "housekeeping never ran"
        assert jobs[0].result == {"expired_invitations": 1, "old_jobs": 1, "old_log_files": 0} or \
            any(j.result and j.result["expired_invitations"] == 1 for j in jobs)
        left = await asyncio.wrap_future(appliance.metadata.read(
            lambda s: (s.query(Invitation).count(), s.query(Job).filter(Job.pid == "1" * 36).count())))
        assert left == (0, 0)
    finally:
        await appliance.stop()
