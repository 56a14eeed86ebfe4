"""Per-device keys: the ``a-jwt`` token a device (or its gateway) uses instead of a user's login.

As on iotile.cloud the token is ``{user, device, project}`` signed HS256 with the device's own
A-JWT-KEY secret, and it authenticates as the user who claimed the device. The secret lives in the
secret store (``device-key:<id>:a-jwt``); the DeviceKey row only names it. Unclaiming or re-claiming
into another project makes old tokens fail (the project no longer matches) without rotating keys.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timezone
from typing import Any

import jwt
from sqlalchemy.orm import Session

from appliance.errors import AuthenticationError, PermissionDenied, ValidationError
from appliance.services import db
from appliance.services.accounts import AccountRecord
from appliance.services.auth import Principal
from appliance.services.devices_records import DeviceRecord, DevicesBase, find_device
from appliance.services.permissions import Access
from appliance.slugs import DeviceSlug, SlugError
from storage.metadata.models import DEVICE_KEY_TYPES
from storage.metadata.repos import devices as repo

LOGGER = logging.getLogger(__name__)
AJWT = "a-jwt"
AJWT_KEY_TYPE = "A-JWT-KEY"
ALGORITHM = "HS256"


def secret_name(device_id: int, key_type: str) -> str:
    """``device-key:<id>:a-jwt`` for the A-JWT-KEY, ``device-key:<id>:<type>`` for the others."""
    return f"device-key:{device_id}:{AJWT if key_type == AJWT_KEY_TYPE else key_type.lower()}"


def _fail(message: str) -> AuthenticationError:
    return AuthenticationError(message, key="bad_device_token")


class DeviceKeys(DevicesBase):
    async def key(self, access: Access, slug: str, key_type: str) -> str:
        """GET device/<slug>/key/?type=: an a-jwt for a claimed, active device, or a downloadable key."""
        if not key_type:
            raise ValidationError("No type specified", key="no_key_type")
        device = await db.read(self._store, lambda s: find_device(s, access, slug))
        if key_type.lower() == AJWT and device.active and device.claimed and device.claimed_by_id is not None:
            return await self._issue(device)
        wanted = key_type.upper()
        row = None
        if wanted in DEVICE_KEY_TYPES:
            row = await db.read(self._store, lambda s: repo.key_of(s, device.id, wanted))
        secret = await self._secret(row.secret_ref) if row is not None and row.downloadable else None
        if secret is None:
            raise PermissionDenied("No key available", key="no_key")
        return secret

    async def _issue(self, device: DeviceRecord) -> str:
        secret = await self._ajwt_secret(device.id, create_for=device.claimed_by_id)
        assert secret is not None
        payload = {"user": device.claimed_by, "device": device.slug, "project": device.project}
        return jwt.encode(payload, secret, algorithm=ALGORITHM)

    async def _secret(self, name: str) -> str | None:
        if self._secrets is None:
            raise RuntimeError("device keys need the secret store; call bind_secrets() first")
        return await asyncio.to_thread(self._secrets.get, name)

    async def _ajwt_secret(self, device_id: int, *, create_for: int | None = None) -> str | None:
        """The device's A-JWT-KEY secret (cached); created on first issue, never on authentication."""
        cached = self._device_secrets.get(device_id)
        if cached is not None:
            return cached
        async with self._key_lock:
            row = await db.read(self._store, lambda s: repo.key_of(s, device_id, AJWT_KEY_TYPE))
            secret = await self._secret(row.secret_ref) if row is not None else None
            if secret is None and create_for is not None:
                secret = await self._create_ajwt_secret(device_id, create_for)
        if secret is not None:
            self._device_secrets[device_id] = secret
        return secret

    async def _create_ajwt_secret(self, device_id: int, created_by_id: int) -> str:
        assert self._secrets is not None
        name, secret = secret_name(device_id, AJWT_KEY_TYPE), secrets.token_urlsafe(48)
        await asyncio.to_thread(self._secrets.set, name, secret)
        now = datetime.now(timezone.utc)

        await db.write(self._store, lambda s: repo.save_key(s, device_id, AJWT_KEY_TYPE, name,
                                                              created_by_id=created_by_id, now=now))
        LOGGER.info("created the a-jwt key of %s", DeviceSlug(device_id).slug)
        return secret

    async def authenticate_device_token(self, token: str) -> Principal:
        """Scheme handler for ``a-jwt``: acts as the user who claimed the device."""
        try:
            unverified: dict[str, Any] = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError as err:
            raise _fail("Error decoding signature.") from err
        try:
            device_id = DeviceSlug.parse(str(unverified.get("device", ""))).id
        except SlugError:
            raise _fail("No device in payload.") from None
        secret = await self._ajwt_secret(device_id)
        if secret is None:
            raise _fail("No secret key found for device")
        try:
            payload = jwt.decode(token, secret, algorithms=[ALGORITHM])
        except jwt.PyJWTError as err:
            raise _fail("Error decoding signature.") from err
        device, account = await db.read(self._store, lambda s: _token_subjects(s, device_id))
        if device is None:
            raise _fail("Invalid Device Slug")
        if not device.active or device.claimed_by_id is None or not device.claimed:
            raise _fail("Device is not claimed.")
        if device.project != payload.get("project"):
            raise _fail("Token has incorrect Project")
        if account is None or account.slug != payload.get("user") or not account.is_active:
            raise _fail("Invalid User Slug")
        return Principal(AJWT, account, org_id=device.org_id, device_id=device.id)


def _token_subjects(session: Session, device_id: int) -> tuple[DeviceRecord | None, AccountRecord | None]:
    row = repo.row_by_id(session, device_id)
    if row is None:
        return None, None
    device = DeviceRecord.of(row)
    account = repo.account_obj(session, device.claimed_by_id) if device.claimed_by_id else None
    return device, AccountRecord.of(account) if account is not None else None
