"""Org API keys (``Authorization: Api-Key <key>``): created by admins, shown once, stored hashed."""

from __future__ import annotations

from appliance.errors import AuthenticationError
from appliance.services.auth import Principal
from storage.metadata import MetadataStore


class ApiKeys:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def authenticate(self, key: str) -> Principal:
        """Scheme handler for ``Api-Key``: a Principal with ``account=None`` and ``org_id`` set."""
        raise AuthenticationError("Invalid API key.", key="bad_api_key")
