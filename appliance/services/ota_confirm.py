"""A device reported a new OS (5c08) or app (5c09) version: confirm its deployment, as iotile.cloud does.

For each changed version, as the server's DeploymentActionStreamerHelper:
1. The device's template (OS) or sensor graph (app) follows the new tag and version when the
   catalogue has a matching active one.
2. The device's latest successful, unconfirmed attempt gets ``device_confirmation``.
3. Without such an attempt (the gateway could not report it), the oldest released request of the
   device's fleets or org that is about this kind of version and whose criteria held for the version
   the device had before gets a confirmed action of its own. Unlike the server this needs a real
   change (an earlier version of the same kind), so a device's first version reading confirms
   nothing, and a request that never matched the device is never confirmed.
4. A system note on the device says what changed.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.services import ota_criteria as criteria
from appliance.services.ota_devices import as_known, known_versions
from appliance.services.ota_events import ReportedVersion
from appliance.slugs import DeviceSlug
from storage.metadata.models import Device
from storage.metadata.repos import notes as notes_repo
from storage.metadata.repos import ota as repo

LOGGER = logging.getLogger(__name__)
_LABEL = {"os": "OS", "sg": "App"}


def _switch(session: Session, device: Device, version: ReportedVersion, lines: list[str]) -> bool:
    """Point the device at the template or SG matching the new version; True when it changed."""
    if version.kind == "os":
        found, field = repo.matching_template(session, version.tag, version.major, version.minor), "template_id"
    else:
        found, field = repo.matching_sg(session, version.tag, version.major, version.minor), "sg_id"
    if found is None:
        LOGGER.warning("device %s reports %s tag %s v%s.%s, which no active catalogue entry matches",
                       device.id, version.kind, version.tag, version.major, version.minor)
        return False
    if getattr(device, field) == found:
        return False
    setattr(device, field, found)
    lines.append(f"- New {'device template' if version.kind == 'os' else 'sensor graph'} (id {found})")
    return True


def _auto_confirm(session: Session, device: Device, version: ReportedVersion, now: datetime) -> int | None:
    """The request an unreported update evidently came from (its criteria held for the version the
    device had before, and it is about this kind of version); returns the confirmed action's id."""
    history = [v for v in repo.versions_of(session, [device.id]) if v.type == version.kind]
    if len(history) < 2 or device.org_id is None:
        return None
    before = as_known(known_versions(session, [device.id]).get(device.id, {}))
    before[version.kind] = criteria.KnownVersion(history[-2].tag, history[-2].major_version, history[-2].minor_version)
    for request, _org in repo.device_requests(session, device.org_id, repo.fleet_ids_of(session, device.id), now):
        action = repo.action_for(session, request.id, device.id)
        rules = request.selection_criteria or ()
        if (action is not None and action.device_confirmation) or not criteria.concerns(rules, version.kind) \
                or not criteria.all_hold(rules, before):
            continue
        log = "Deployment Action auto created by the appliance: the device reported the update itself"
        saved = repo.save_action(session, request.id, device.id, {
            "attempt_successful": True, "device_confirmation": True, "last_attempt_on": now,
            "log": "\n".join(p for p in (action.log if action else "", log) if p)})
        LOGGER.warning("deployment %s had no action for device %s, yet it updated", request.id, device.id)
        return saved.id
    return None


def _confirm(session: Session, device: Device, version: ReportedVersion, lines: list[str], now: datetime) -> None:
    summary = f"{_LABEL[version.kind]} tag {version.tag} v{version.major}.{version.minor}"
    lines.append(f"- {summary}")
    action = repo.pending_action(session, device.id)
    if action is not None:
        action.device_confirmation = True
        action.log = "\n".join(p for p in (action.log, f"Device confirmed the update: {summary}") if p)
        lines.append(f"- Deployment Action {action.id} has been set to complete")
        return
    auto = _auto_confirm(session, device, version, now)
    if auto is not None:
        lines.append(f"- Deployment Action {auto} auto created and set to complete")


def versions_changed(session: Session, device_id: int, versions: Sequence[ReportedVersion]) -> bool:
    """Apply one report's changed versions; True when the device's template or SG changed."""
    row = repo.device_row(session, device_id)
    if row is None or row[0].org_id is None or not versions:
        return False
    device = row[0]
    slug = DeviceSlug(device_id).slug
    lines = [f"Device {slug} has been updated:"]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    switched = False
    for version in versions:
        switched = _switch(session, device, version, lines) or switched
        _confirm(session, device, version, lines, now)
    session.flush()
    notes_repo.add_note(session, target_slug=slug, timestamp=max(v.timestamp for v in versions),
                        note="\n".join(lines), type_="si", created_by_id=device.claimed_by_id)
    return switched
