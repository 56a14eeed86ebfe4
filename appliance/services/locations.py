"""Device locations (iotile.cloud's DeviceLocation): where a target was at a time.

Posting needs membership in the target's org (Operators record positions in the field); reading
needs ``can_read_device_locations``. A location posted on a live device also becomes its lat/lon.
"""

from __future__ import annotations

import asyncio
import logging
import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appliance.errors import ValidationError
from appliance.services import db
from appliance.services.data_mask import clip_to_mask
from appliance.services.notes import NoteService
from appliance.services.permissions import Access, Perm
from appliance.slugs import BlockSlug, DeviceSlug
from storage.metadata import MetadataStore
from storage.metadata.repos import locations as repo
from storage.streams import StreamStore

LOGGER = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocationRecord:
    id: int
    target: str
    timestamp: datetime
    lat: float
    lon: float
    user: str | None

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "timestamp": self.timestamp, "target": self.target, "lat": self.lat,
                "lon": self.lon, "user": self.user}


def _record(row: repo.LocationRow) -> LocationRecord:
    location, slug = row
    return LocationRecord(location.id, location.target_slug, location.timestamp, location.lat, location.lon, slug)


def check_coordinate(name: str, value: float, limit: float) -> float:
    if not math.isfinite(value) or not -limit <= value <= limit:
        raise ValidationError(f"{name} must be between {-limit:g} and {limit:g}", key="out_of_range",
                              detail={name: "out of range"})
    return value


def _mask_key(slug: str) -> int | None:
    """The stream store's device key of a device or block target (whose mask applies)."""
    if slug.startswith("d--"):
        return DeviceSlug.parse(slug).id
    if slug.startswith("b--"):
        return BlockSlug.parse(slug).as_device().id
    return None


class LocationService:
    def __init__(self, metadata: MetadataStore, notes: NoteService, streams: StreamStore) -> None:
        self._metadata = metadata
        self._notes = notes  # shares its target resolution
        self._streams = streams  # holds the data masks that ``mask=True`` clips to

    async def list(self, access: Access, text: str, *, start: datetime | None, end: datetime | None,
                   offset: int, limit: int, mask: bool = False) -> tuple[int, list[LocationRecord]]:
        """``mask`` clips a device's or data block's locations to its data mask (iotile.cloud's
        ``mask=1``), so a trip's route shows only the part whose data is shown."""
        target = await self._notes.resolve(access, text, Perm.READ_DEVICE_LOCATIONS)
        key = _mask_key(target.slug)
        if mask and key is not None:
            start, end = await asyncio.to_thread(clip_to_mask, self._streams, key, start, end)
        count, rows = await db.read(self._metadata, lambda s: repo.locations(
            s, target.slug, start=start, end=end, offset=offset, limit=limit))
        return count, [_record(row) for row in rows]

    async def add(self, access: Access, text: str, *, timestamp: datetime, lat: float, lon: float,
                  user_id: int | None) -> LocationRecord:
        check_coordinate("lat", lat, 90.0)
        check_coordinate("lon", lon, 180.0)
        target = await self._notes.resolve(access, text, None)
        record = await db.write(self._metadata, lambda s: _record(repo.add_location(
            s, target_slug=target.slug, timestamp=timestamp, lat=lat, lon=lon, user_id=user_id,
            device_id=target.live_device_id)))
        LOGGER.info("location %s added on %s", record.id, target.slug)
        return record
