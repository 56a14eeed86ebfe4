"""The periodic device health check (iotile.cloud's DeviceStatusCheckAction).

Each device with ``health_check_enabled`` is OK when it reported within its health period, FAIL
when it did not, UNK when it never reported. A change of state is stored on the status, leaves a
system note ('si') on the device, and is published as ``DeviceHealthChanged``; e-mail notifications
come with the alerts issue and will subscribe to that event.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy.orm import Session

from appliance.jobs.context import JobContext
from appliance.jobs.kinds import JobKind, JobResult
from appliance.services import db
from appliance.slugs import DeviceSlug
from storage.metadata.repos import health as repo
from storage.metadata.repos import notes as notes_repo

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceHealthChanged:
    device_id: int
    old: str
    new: str


def health_state(last_report: datetime | None, period_seconds: int, now: datetime) -> str:
    if last_report is None:
        return "UNK"
    if last_report.tzinfo is None:
        last_report = last_report.replace(tzinfo=timezone.utc)
    return "OK" if now - last_report <= timedelta(seconds=period_seconds) else "FAIL"


def apply_health(session: Session, now: datetime) -> list[DeviceHealthChanged]:
    """One transaction: every changed status and its note are stored together."""
    changes = []
    for status in repo.checked_statuses(session):
        new = health_state(status.last_report_ts, status.health_check_period, now)
        if new == status.last_known_state:
            continue
        changes.append(DeviceHealthChanged(status.device_id, status.last_known_state, new))
        status.last_known_state = new
        notes_repo.add_note(session, target_slug=DeviceSlug(status.device_id).slug, timestamp=now,
                            note=f"Device health changed from {changes[-1].old} to {new}", type_="si",
                            created_by_id=None)
    return changes


async def _check(ctx: JobContext, args: dict[str, Any]) -> JobResult:
    appliance = ctx.appliance
    if appliance is None:
        return {"skipped": "no appliance"}
    ctx.report(10, "checking device health")
    now = datetime.now(timezone.utc)
    changes = await db.write(appliance.metadata, lambda s: apply_health(s, now))
    for change in changes:
        LOGGER.info("device %s health %s -> %s", change.device_id, change.old, change.new)
        appliance.events.publish(change)
    return {"changed": len(changes), "fail": sum(c.new == "FAIL" for c in changes)}


DEVICE_HEALTH_CHECK = JobKind(name="device_health_check", execute=_check,
                              key=lambda args: "device_health_check", max_attempts=3,
                              description="Marks devices OK, FAIL or UNK from their last upload.")
