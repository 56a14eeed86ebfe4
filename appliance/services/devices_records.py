"""What the device services hand out (frozen records) and the lookups they all share."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from sqlalchemy.orm import Session

from appliance.errors import NotFound, PermissionDenied
from appliance.events import Changes, EventBus
from appliance.jobs.queue import JobQueue
from appliance.services.permissions import Access, Perm
from appliance.slugs import BlockSlug, DeviceSlug, SlugError
from storage.blobs import BlobStore
from storage.metadata import DeviceStatus, MetadataStore
from storage.metadata.repos import devices as repo
from storage.secrets import SecretStore
from storage.streams import StreamStore

BUSY_MESSAGE = "Device is busy. Operation cannot be completed at this time"


@dataclass(frozen=True, slots=True)
class DeviceRecord:
    """One device with its related objects named as the wire names them (slugs, the project UUID).

    The field order is the column order of ``repo.DEVICE_COLUMNS`` so a row converts positionally.
    """

    id: int
    org_id: int | None
    org: str | None
    project_gid: int | None
    project: str | None
    template: str | None
    sg: str | None
    external_id: str
    label: str
    lat: float | None
    lon: float | None
    active: bool
    state: str
    created_on: datetime
    claimed_on: datetime | None
    claimed_by: str | None
    claimed_by_id: int | None
    created_by_id: int | None
    sg_id: int | None

    @property
    def slug(self) -> str:
        return device_slug(self.id)

    @property
    def gid(self) -> str:
        return device_slug(self.id)[3:]

    @property
    def busy(self) -> bool:
        return self.state.startswith("B")

    @property
    def claimed(self) -> bool:
        return self.project_gid is not None

    @classmethod
    def of(cls, row: repo.DeviceRow) -> DeviceRecord:
        return cls(*tuple(row))


@dataclass(frozen=True)
class DeviceStatusRecord:
    device_id: int
    last_known_id: int
    last_report_ts: datetime | None
    health_check_enabled: bool
    health_check_period: int
    last_known_state: str
    notification_recipients: tuple[str, ...]

    @property
    def alert(self) -> str:
        """Computed at read time as on the server: DSBL, UNK (never reported), FAIL or OK."""
        if not self.health_check_enabled:
            return "DSBL"
        if self.last_report_ts is None:
            return "UNK"
        late = datetime.now(timezone.utc) - self.last_report_ts > timedelta(seconds=self.health_check_period)
        return "FAIL" if late else "OK"

    @classmethod
    def of(cls, device_id: int, row: DeviceStatus | None) -> DeviceStatusRecord:
        if row is None:  # devices created before status rows existed: the model's defaults
            return cls(device_id, 0, None, False, 7200, "UNK", ())
        return cls(device_id, row.last_known_id, row.last_report_ts, row.health_check_enabled,
                   row.health_check_period, row.last_known_state, tuple(row.notification_recipients or ()))


@lru_cache(maxsize=1 << 16)
def device_slug(device_id: int) -> str:
    """Formatting is a tenth of a device list's cost, and the same few thousand devices are listed
    again and again, so the slugs module's answer is kept."""
    return DeviceSlug(device_id).slug


def device_id_of(slug: str) -> int:
    """A /device/<slug>/ lookup: d-- (padded short forms too) or b--; a block maps to its live device."""
    try:
        if slug.startswith("b--"):
            return BlockSlug.parse(slug).device
        if slug.startswith("d--"):
            return DeviceSlug.parse(slug).serial
    except SlugError:
        pass
    raise NotFound("device not found")


def can_see(access: Access, device: DeviceRecord) -> bool:
    """Org members (and the org's Api-Key) see the org's devices; an unassigned device only staff and
    whoever created it."""
    if access.is_staff or access.is_member(device.org_id):
        return True
    if access.api_key_org is not None:
        return device.org_id == access.api_key_org
    return device.org_id is None and access.account_id is not None and device.created_by_id == access.account_id


def find_device(session: Session, access: Access, slug: str) -> DeviceRecord:
    row = repo.row_by_id(session, device_id_of(slug))
    if row is None:
        raise NotFound("device not found")
    device = DeviceRecord.of(row)
    if not can_see(access, device):
        raise NotFound("device not found")
    return device


def require_on_device(access: Access, device: DeviceRecord, perm: Perm) -> None:
    """Staff always; otherwise the permission in the device's org (an unassigned device: staff only)."""
    if access.is_staff:
        return
    if device.org_id is None:
        raise PermissionDenied("Restricted Access. Contact Arch", key="restricted")
    access.require(device.org_id, perm, "device")


class DevicesBase:
    """State shared by the device service's parts (split across modules to keep each one small)."""

    def __init__(self, store: MetadataStore, streams: StreamStore, jobs: JobQueue, events: EventBus,
                 blobs: BlobStore) -> None:
        self._store = store
        self._streams = streams
        self._blobs = blobs  # note attachments go with the notes an unclaim deletes
        self._jobs = jobs
        self._events = events
        self._secrets: SecretStore | None = None
        self._device_secrets: dict[int, str] = {}
        self._key_lock = asyncio.Lock()

    def bind_secrets(self, secrets: SecretStore) -> None:
        """Device keys live in secrets, which open at start()."""
        self._secrets = secrets

    def _changed(self, *, streams: bool = False, **detail: object) -> None:
        self._events.publish(Changes(devices=True, streams=streams, initiator="devices", detail=dict(detail)))
