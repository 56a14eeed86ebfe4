"""Which devices a deployment request reaches, and which requests still apply to one device.

A request reaches its fleet's members (or, with no fleet, the org's claimed, active devices) whose
current versions do not contradict its criteria. For ``ota/device/<slug>/`` the appliance answers
only the released, active requests that still apply: those on the device's fleets or its whole org,
whose criteria hold, and that the device has not confirmed yet (iotile.cloud lists every released
request of the device's fleets and org and leaves the rest to the gateway).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.errors import NotFound
from appliance.services import ota_criteria as criteria
from appliance.services.ota_records import (
    DeviceOtaRecord,
    Progress,
    VersionRecord,
    action_record,
    current_versions,
    request_record,
    version_record,
)
from appliance.services.permissions import Access
from appliance.slugs import DeviceSlug
from storage.metadata.models import DeploymentRequest
from storage.metadata.repos import ota as repo


def known_versions(session: Session, device_ids: Iterable[int]) -> dict[int, dict[str, VersionRecord]]:
    return current_versions([version_record(r) for r in repo.versions_of(session, device_ids)])


def as_known(versions: Mapping[str, VersionRecord]) -> dict[str, criteria.KnownVersion]:
    return {kind: version.known for kind, version in versions.items()}


def targeted(session: Session, request: DeploymentRequest) -> tuple[list[int], dict[int, dict[str, VersionRecord]]]:
    """The devices in the request's scope that its criteria do not rule out, with their versions."""
    ids = sorted(repo.scope_devices(session, request))
    current = known_versions(session, ids)
    rules = criteria.rules(request.selection_criteria or ())
    chosen = [d for d in ids if all(rule.holds(as_known(current.get(d, {}))) for rule in rules)]
    return chosen, current


def progress(session: Session, request: DeploymentRequest) -> Progress:
    """Targeted counts the devices reached now plus those that already have an action."""
    actions = repo.actions_of_request(session, request.id)
    reached = set(targeted(session, request)[0]) | {a.device_id for a in actions}
    return Progress(len(reached), len(actions), sum(a.attempt_successful for a in actions),
                    sum(a.device_confirmation for a in actions))


def live_device(session: Session, access: Access, slug: str) -> repo.DeviceRow:
    """A claimed, active device the caller can see, with its template and SG slugs."""
    device = DeviceSlug.parse(slug)
    row = repo.device_row(session, device.id) if not device.block else None
    if row is None or row[0].org_id is None:
        raise NotFound("device not found")
    access.visible(row[0].org_id, "device")
    if row[0].project_id is None or not row[0].active:
        raise NotFound("device not found")
    return row


def device_info(session: Session, access: Access, slug: str, now: datetime | None = None) -> DeviceOtaRecord:
    device, template, sg = live_device(session, access, slug)
    org_id = device.org_id
    assert org_id is not None  # live_device refuses unclaimed devices
    versions = known_versions(session, [device.id]).get(device.id, {})
    actions = repo.actions_of_device(session, device.id)
    confirmed = {a.request_id for a in actions if a.device_confirmation}
    requests = repo.device_requests(session, org_id, repo.fleet_ids_of(session, device.id),
                                    now or datetime.now(timezone.utc))
    applicable = [request_record(row) for row in requests if row[0].id not in confirmed
                  and criteria.all_hold(row[0].selection_criteria or (), as_known(versions))]
    return DeviceOtaRecord(device.id, template, sg, applicable, [action_record(a) for a in actions],
                           [versions[k] for k in sorted(versions)])
