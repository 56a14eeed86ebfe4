"""Org API keys (``Authorization: Api-Key <key>``): created by admins, shown once, stored hashed.

The key has djangorestframework-api-key's shape, ``<prefix>.<secret>``: the prefix (8 characters) is
stored in clear to find the row and to name the key in lists; the whole key is stored only as its
SHA-256. The secret is 32 random alphanumerics (about 190 bits), so a fast hash is enough: there is
nothing to brute-force, unlike a password. Comparison is constant-time.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.errors import AuthenticationError, NotFound, ValidationError
from appliance.services import db
from appliance.services.auth import Principal
from storage.metadata import AuthAPIKey, MetadataStore
from storage.metadata.repos import apikeys as repo

LOGGER = logging.getLogger(__name__)
_ALPHABET = string.ascii_letters + string.digits
PREFIX_LENGTH = 8
SECRET_LENGTH = 32
NAME_MAX = 50
_KEY_MAX = 200


@dataclass(frozen=True)
class ApiKeyRecord:
    id: int
    org_id: int
    prefix: str
    name: str
    created_on: datetime
    created_by_slug: str | None
    revoked: bool
    expiry: datetime | None

    @classmethod
    def of(cls, row: AuthAPIKey, created_by_slug: str | None) -> ApiKeyRecord:
        return cls(row.id, row.org_id, row.prefix, row.name, row.created_on, created_by_slug, row.revoked,
                   row.expiry)

    @property
    def has_expired(self) -> bool:
        return self.expiry is not None and self.expiry < datetime.now(timezone.utc)

    @property
    def is_valid(self) -> bool:
        return not (self.revoked or self.has_expired)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _random(length: int) -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(length))


def check_name(name: object) -> str:
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > NAME_MAX:
        raise ValidationError(f"name must be 1 to {NAME_MAX} characters", key="invalid_name",
                              detail={"name": "invalid"})
    return name.strip()


def check_expiry(expiry: datetime | None) -> datetime | None:
    if expiry is not None and expiry <= datetime.now(timezone.utc):
        raise ValidationError("expiry_date must be in the future", key="invalid_expiry",
                              detail={"expiry_date": "in the past"})
    return expiry


def _invalid(message: str = "Invalid API key.", key: str = "bad_api_key") -> AuthenticationError:
    return AuthenticationError(message, key=key)


def _found(session: Session, org_id: int, prefix: str) -> repo.ApiKeyRow:
    row = repo.in_org(session, org_id, prefix)
    if row is None:
        raise NotFound("no API key with this id in this org", key="api_key_not_found")
    return row


class ApiKeys:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def authenticate(self, key: str) -> Principal:
        """Scheme handler for ``Api-Key``: a Principal with ``account=None`` and ``org_id`` set."""
        prefix, dot, secret = key.partition(".")
        if not dot or not prefix or not secret or len(key) > _KEY_MAX:
            raise _invalid()
        row = await db.read(self._store, lambda s: repo.by_prefix(s, prefix))
        if row is None or not hmac.compare_digest(row.hashed_key, hash_key(key)):
            raise _invalid()
        if row.revoked:
            raise _invalid("This API key has been revoked.", "api_key_revoked")
        if row.expiry is not None and row.expiry < datetime.now(timezone.utc):
            raise _invalid("This API key has expired.", "api_key_expired")
        return Principal("api-key", None, org_id=row.org_id)

    async def create(self, org_id: int, name: object, *, created_by_id: int | None,
                     expiry: datetime | None = None) -> tuple[ApiKeyRecord, str]:
        """(record, key): the key itself exists only in this answer."""
        name, expiry = check_name(name), check_expiry(expiry)
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> tuple[ApiKeyRecord, str]:
            prefix = _random(PREFIX_LENGTH)
            while repo.by_prefix(session, prefix) is not None:  # 62**8 prefixes: a retry is rare
                prefix = _random(PREFIX_LENGTH)
            key = f"{prefix}.{_random(SECRET_LENGTH)}"
            row = repo.create(session, org_id=org_id, name=name, prefix=prefix, hashed_key=hash_key(key),
                              expiry=expiry, created_by_id=created_by_id, now=now)
            return ApiKeyRecord.of(*_found(session, org_id, row.prefix)), key

        record, key = await db.write(self._store, insert)
        LOGGER.info("API key %s (%s) created for org %s", record.prefix, record.name, org_id)
        return record, key

    async def page(self, org_id: int, *, offset: int = 0, limit: int = 100) -> tuple[int, list[ApiKeyRecord]]:
        def query(session: Session) -> tuple[int, list[ApiKeyRecord]]:
            total, rows = repo.page_for_org(session, org_id, offset=offset, limit=limit)
            return total, [ApiKeyRecord.of(*r) for r in rows]

        return await db.read(self._store, query)

    async def get(self, org_id: int, prefix: str) -> ApiKeyRecord:
        return await db.read(self._store, lambda s: ApiKeyRecord.of(*_found(s, org_id, prefix)))

    async def rename(self, org_id: int, prefix: str, name: object) -> ApiKeyRecord:
        name = check_name(name)

        def update(session: Session) -> ApiKeyRecord:
            row, creator = _found(session, org_id, prefix)
            row.name = name
            return ApiKeyRecord.of(row, creator)

        return await db.write(self._store, update)

    async def revoke(self, org_id: int, prefix: str) -> ApiKeyRecord:
        """For good (a revoked key cannot be brought back, as djangorestframework-api-key); revoking
        twice is harmless."""
        def update(session: Session) -> ApiKeyRecord:
            row, creator = _found(session, org_id, prefix)
            row.revoked = True
            return ApiKeyRecord.of(row, creator)

        record = await db.write(self._store, update)
        LOGGER.info("API key %s of org %s revoked", prefix, org_id)
        return record

    async def delete(self, org_id: int, prefix: str) -> None:
        def remove(session: Session) -> None:
            row, _ = _found(session, org_id, prefix)
            repo.delete_key(session, row.id)

        await db.write(self._store, remove)
        LOGGER.info("API key %s of org %s deleted", prefix, org_id)
