"""Over-the-air updates: one object the Appliance owns, so deployments are confirmed from uploads
whether or not the HTTP API is serving (BLE collection feeds the same ingest)."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from sqlalchemy.orm import Session

from appliance.services import db
from appliance.services.ota_actions import ActionService, VersionService
from appliance.services.ota_confirm import versions_changed
from appliance.services.ota_devices import device_info
from appliance.services.ota_events import ReportedVersion
from appliance.services.ota_records import DeviceOtaRecord
from appliance.services.ota_requests import RequestService
from appliance.services.ota_scripts import ScriptService
from appliance.services.permissions import Access
from appliance.slugs import DeviceSlug
from storage.blobs import BlobStore
from storage.metadata import MetadataStore

LOGGER = logging.getLogger(__name__)


class Ota:
    def __init__(self, metadata: MetadataStore, blobs: BlobStore) -> None:
        self._metadata = metadata
        self.scripts = ScriptService(metadata, blobs)
        self.requests = RequestService(metadata)
        self.actions = ActionService(metadata)
        self.versions = VersionService(metadata)

    @staticmethod
    def confirm_in(session: Session, device_id: int, versions: Sequence[ReportedVersion]) -> bool:
        """Ingest's version hook: runs in the transaction that records the new versions, so a
        confirmation is never lost to a crash between the two. True: the template or SG changed."""
        return versions_changed(session, device_id, versions)

    async def device(self, access: Access, slug: str) -> DeviceOtaRecord:
        """``ota/device/<slug>/``: the requests that still apply to the device, its actions, versions."""
        DeviceSlug.parse(slug)  # a malformed slug is a 400 before any lookup
        return await db.read(self._metadata, lambda s: device_info(s, access, slug))
