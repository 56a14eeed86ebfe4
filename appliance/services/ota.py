"""Over-the-air updates: one object the Appliance owns, so deployments are confirmed from uploads
whether or not the HTTP API is serving (BLE collection feeds the same ingest)."""

from __future__ import annotations

import asyncio
import logging

from appliance.errors import ApplianceError
from appliance.events import Changes, EventBus
from appliance.services import db
from appliance.services.ota_actions import ActionService, VersionService
from appliance.services.ota_confirm import versions_changed
from appliance.services.ota_devices import device_info
from appliance.services.ota_events import VersionsChanged
from appliance.services.ota_records import DeviceOtaRecord
from appliance.services.ota_requests import RequestService
from appliance.services.ota_scripts import ScriptService
from appliance.services.permissions import Access
from appliance.slugs import DeviceSlug
from storage.blobs import BlobStore
from storage.metadata import MetadataStore

LOGGER = logging.getLogger(__name__)


class Ota:
    def __init__(self, metadata: MetadataStore, blobs: BlobStore, events: EventBus) -> None:
        self._metadata = metadata
        self._events = events
        self.scripts = ScriptService(metadata, blobs)
        self.requests = RequestService(metadata)
        self.actions = ActionService(metadata)
        self.versions = VersionService(metadata)
        self._pending: set[asyncio.Task[None]] = set()
        events.subscribe(VersionsChanged, self._on_versions)

    def _on_versions(self, event: VersionsChanged) -> None:
        """Called on the loop inside the upload; the confirmation is its own write, after the ack."""
        task = asyncio.get_running_loop().create_task(self._confirm(event))
        self._pending.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:
            LOGGER.error("OTA confirmation failed", exc_info=task.exception())

    async def _confirm(self, event: VersionsChanged) -> None:
        try:
            switched = await db.write(self._metadata, lambda s: versions_changed(s, event.device_id, event.versions))
        except ApplianceError:
            LOGGER.exception("could not confirm the OTA update of device %s", event.device_id)
            return
        if switched:
            self._events.publish(Changes(devices=True, initiator="ota", detail={"device": event.device_id}))

    async def device(self, access: Access, slug: str) -> DeviceOtaRecord:
        """``ota/device/<slug>/``: the requests that still apply to the device, its actions, versions."""
        DeviceSlug.parse(slug)  # a malformed slug is a 400 before any lookup
        return await db.read(self._metadata, lambda s: device_info(s, access, slug))

    async def settle(self) -> None:
        """Wait for the confirmations already started (tests; shutdown)."""
        while self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
