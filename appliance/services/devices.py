"""Devices: registration, claiming and unclaiming, status and health, per-device a-jwt tokens."""

from __future__ import annotations

from appliance.errors import AuthenticationError
from appliance.events import EventBus
from appliance.jobs.kinds import JobKind
from appliance.jobs.queue import JobQueue
from appliance.services.auth import Principal
from storage.metadata import MetadataStore
from storage.secrets import SecretStore
from storage.streams import StreamStore

DEVICE_JOB_KINDS: tuple[JobKind, ...] = ()


class Devices:
    def __init__(self, store: MetadataStore, streams: StreamStore, jobs: JobQueue, events: EventBus) -> None:
        self._store = store
        self._streams = streams
        self._jobs = jobs
        self._events = events
        self._secrets: SecretStore | None = None

    def bind_secrets(self, secrets: SecretStore) -> None:
        """Device keys live in secrets, which open at start()."""
        self._secrets = secrets

    async def authenticate_device_token(self, token: str) -> Principal:
        """Scheme handler for ``a-jwt``: acts as the user who claimed the device."""
        raise AuthenticationError("Invalid device token.", key="bad_device_token")
