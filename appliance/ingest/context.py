"""Device context for uploads, cached briefly: a busy upload endpoint must not hit SQLite twice
per report. Entries are reloaded behind the uploads after ``ttl`` seconds (ttlcache.LoadingCache)
and dropped at once when the registry publishes ``Changes(devices=True)`` or
``Changes(streams=True)``, so a disabled stream or an unclaimed device takes effect within twice
that bound even if a publisher forgets to announce it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from appliance.events import Changes, EventBus
from appliance.ingest.values import Mdo, StreamConfig
from appliance.services import db
from appliance.services.ttlcache import LoadingCache
from storage.metadata import MetadataStore
from storage.metadata.repos import ingest as repo


@dataclass(frozen=True)
class UploadTarget:
    device: repo.DeviceContext
    streams: Mapping[int, StreamConfig]


def _mdo(values: tuple[int, int, float] | None) -> Mdo | None:
    return None if values is None else Mdo(values[0] or 1, values[1] or 1, float(values[2] or 0.0))


def resolve(settings: repo.StreamSettings) -> StreamConfig:
    """The server's precedence: mdo_type 'S' = the stream's own m/d/o (1/1/0 where unset), 'V' =
    its variable's; the stream's input unit, else its variable's."""
    if settings.mdo_type == "V" and settings.variable_mdo is not None:
        mdo = _mdo(settings.variable_mdo) or Mdo()
    elif settings.mdo_type == "S":
        m, d, o = settings.stream_mdo
        mdo = Mdo(m or 1, d or 1, float(o or 0.0))
    else:
        mdo = Mdo()
    return StreamConfig(enabled=settings.enabled, raw_value_format=settings.raw_value_format, mdo=mdo,
                        input_mdo=_mdo(settings.input_mdo) or _mdo(settings.variable_input_mdo),
                        is_encoded=settings.is_encoded)


class DeviceContextCache:
    def __init__(self, store: MetadataStore, events: EventBus, ttl: float = 2.0) -> None:
        self._store = store
        self._entries: LoadingCache[int, UploadTarget | None] = LoadingCache(ttl)
        events.subscribe(Changes, self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        if changes.devices or changes.streams or changes.projects:
            self.invalidate()

    def invalidate(self, device_id: int | None = None) -> None:
        if device_id is None:
            self._entries.clear()
        else:
            self._entries.discard(device_id)

    async def get(self, device_id: int) -> UploadTarget | None:
        return await self._entries.get(device_id, lambda: db.read(self._store, lambda s: _load(s, device_id)))


def _load(session: Session, device_id: int) -> UploadTarget | None:
    device = repo.device_context(session, device_id)
    if device is None:
        return None
    settings = repo.stream_settings(session, device.project_gid, device_id) if device.project_gid else []
    return UploadTarget(device, {s.lid: resolve(s) for s in settings})
