"""Accounts: creation, password sign-in and the DRF-style ``Token`` keys.

Only hashes are stored: Argon2id for passwords, SHA-256 for token keys (a token key is already a
160-bit random value, so a fast hash is enough and lookups stay indexed).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.errors import AuthenticationError, Conflict, NotFound, ValidationError
from appliance.services import db, passwords
from storage.metadata import Account, MetadataStore
from storage.metadata.repos import accounts as repo

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class AccountRecord:
    id: int
    email: str
    username: str
    slug: str
    name: str
    is_staff: bool
    is_active: bool
    time_zone: str
    created_on: datetime
    last_login: datetime | None

    @classmethod
    def of(cls, row: Account) -> AccountRecord:
        return cls(row.id, row.email, row.username, row.slug, row.name or "", row.is_staff, row.is_active,
                   row.time_zone or "UTC", row.created_on, row.last_login)


def normalize_email(email: object) -> str:
    if not isinstance(email, str) or not _EMAIL.match(email.strip()):
        raise ValidationError(f"{email!r} is not a valid e-mail address", key="invalid_email")
    return email.strip().lower()


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _update(session: Session, account_id: int, **values: object) -> None:
    row = session.get(Account, account_id)
    if row is None:
        raise NotFound("account not found")
    for name, value in values.items():
        setattr(row, name, value)


class Accounts:
    """The one owner of Account and AuthToken rows."""

    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def count(self) -> int:
        return await db.read(self._store, repo.count)

    async def get(self, account_id: int) -> AccountRecord:
        row = await db.read(self._store, lambda s: s.get(Account, account_id))
        if row is None:
            raise NotFound("account not found")
        return AccountRecord.of(row)

    async def find_by_email(self, email: str) -> AccountRecord | None:
        email = normalize_email(email)
        row = await db.read(self._store, lambda s: repo.by_email(s, email))
        return AccountRecord.of(row) if row else None

    async def create(self, email: str, password: str, *, username: str | None = None, name: str = "",
                     is_staff: bool = False) -> AccountRecord:
        email = normalize_email(email)
        if username is not None and (not isinstance(username, str) or not username.strip()):
            raise ValidationError("username must be non-empty text", key="invalid_username")
        loop = asyncio.get_running_loop()
        password_hash = await loop.run_in_executor(None, passwords.hash_password, password)

        def insert(session: Session) -> AccountRecord:
            if repo.email_taken(session, email):
                raise Conflict(f"an account with e-mail {email} already exists", key="duplicate_email")
            base = username.strip() if username else email.split("@", 1)[0]
            if username and repo.username_taken(session, base):
                raise Conflict(f"username {base!r} is taken", key="duplicate_username")
            uname = repo.free_value(session, Account.username, base)
            slug = repo.free_value(session, Account.slug, _SLUG_CHARS.sub("-", uname.lower()).strip("-") or "user")
            row = Account(email=email, username=uname, slug=slug, name=name, password_hash=password_hash,
                          is_staff=is_staff, is_active=True, time_zone="UTC",
                          created_on=datetime.now(timezone.utc))
            session.add(row)
            session.flush()
            return AccountRecord.of(row)

        return await db.write(self._store, insert)

    async def authenticate(self, email: object, password: object) -> AccountRecord:
        """The same error for unknown e-mail and wrong password, as the real server."""
        if not isinstance(password, str) or not isinstance(email, str):
            raise ValidationError("email and password are required", key="missing_credentials")
        email = email.strip().lower()
        row = await db.read(self._store, lambda s: repo.by_email(s, email))
        loop = asyncio.get_running_loop()
        ok = await loop.run_in_executor(None, passwords.verify_password, row.password_hash if row else None,
                                        password)
        if row is None or not ok:
            raise AuthenticationError("Unable to log in with provided credentials.", key="bad_credentials")
        if not row.is_active:
            raise AuthenticationError("User account is disabled.", key="inactive")
        now = datetime.now(timezone.utc)
        await db.write(self._store, lambda s: _update(s, row.id, last_login=now))
        return AccountRecord.of(row)

    async def change_password(self, account_id: int, old: str, new: str) -> None:
        row = await db.read(self._store, lambda s: s.get(Account, account_id))
        loop = asyncio.get_running_loop()
        if row is None or not await loop.run_in_executor(None, passwords.verify_password, row.password_hash, old):
            raise ValidationError("the current password is wrong", key="bad_password")
        new_hash = await loop.run_in_executor(None, passwords.hash_password, new)
        await db.write(self._store, lambda s: _update(s, account_id, password_hash=new_hash))

    async def set_active(self, account_id: int, active: bool) -> None:
        def update(session: Session) -> None:
            row = session.get(Account, account_id)
            if row is None:
                raise NotFound("account not found")
            row.is_active = active
            if not active:
                repo.delete_tokens(session, account_id)

        await db.write(self._store, update)

    async def issue_token(self, account_id: int) -> str:
        key = secrets.token_hex(20)
        now = datetime.now(timezone.utc)
        await db.write(self._store, lambda s: repo.add_token(s, account_id, _hash_key(key), now))
        return key

    async def account_for_token(self, key: str) -> AccountRecord | None:
        digest = _hash_key(key)
        row = await db.read(self._store, lambda s: repo.by_token_hash(s, digest))
        return AccountRecord.of(row) if row is not None else None

    async def revoke_tokens(self, account_id: int) -> None:
        await db.write(self._store, lambda s: repo.delete_tokens(s, account_id))
