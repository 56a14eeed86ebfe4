"""/api/v1/pid/: job status for its creator and staff only."""

from __future__ import annotations

from typing import Any

from appliance.app import Appliance

PID = "/api/v1/pid/"


async def login(api: Any, email: str, password: str) -> dict[str, str]:
    body = await (await api.post("/api/v1/auth/login/", json={"email": email, "password": password})).json()
    return {"Authorization": f"jwt {body['jwt']}"}


async def test_pid_detail_list_lookup_and_cancel(api: Any, appliance: Appliance, owner_jwt: str) -> None:
    staff = {"Authorization": f"jwt {owner_jwt}"}
    member = await appliance.accounts.create("member@example.com", "member-password")
    other = await login(api, "member@example.com", "member-password")
    mine = await appliance.jobs.schedule("ping", {"seconds": 0.1}, created_by_id=member.id)
    staff_job = await appliance.jobs.schedule("ping", {"seconds": 30, "steps": 300})
    await appliance.jobs.wait(mine.pid)

    detail = await api.get(f"{PID}{mine.pid}/", headers=other)
    assert detail.status == 200 and (await detail.json())["status"] == "done"
    assert (await api.get(f"{PID}pid:{mine.pid}/", headers=other)).status == 200
    hidden = await api.get(f"{PID}{staff_job.pid}/", headers=other)
    assert hidden.status == 404 and "error" in await hidden.json()
    assert (await api.get(f"{PID}{mine.pid}/", headers=staff)).status == 200

    legacy = await api.post(PID, json={"pid": f"pid:{mine.pid}"}, headers=other)
    assert legacy.status == 202
    body = await legacy.json()
    assert body["info"]["type"] == "ping" and body["info"]["created_on"].endswith("Z")
    unknown = await (await api.post(PID, json={"pid": "pid:123"}, headers=other)).json()
    assert unknown["info"] == {"error": "Not found"}

    assert (await api.get(PID, headers=other)).status == 403
    listing = await (await api.get(f"{PID}?type=ping&page_size=1", headers=staff)).json()
    assert listing["count"] == 2 and len(listing["results"]) == 1 and listing["next"]
    assert (await api.get(f"{PID}?status=exploded", headers=staff)).status == 400

    assert (await api.post(f"{PID}{staff_job.pid}/cancel/", headers=other)).status == 404
    assert (await api.post(f"{PID}{mine.pid}/cancel/", headers=other)).status == 400
    cancel = await api.post(f"{PID}{staff_job.pid}/cancel/", headers=staff)
    assert cancel.status == 202
    assert (await appliance.jobs.wait(staff_job.pid, timeout=15)).status == "cancelled"


async def test_pid_needs_authentication(api: Any) -> None:
    for method, path in (("GET", PID), ("POST", PID), ("GET", f"{PID}x/"), ("POST", f"{PID}x/cancel/")):
        resp = await api.request(method, path)
        assert resp.status == 401 and "error" in await resp.json()
