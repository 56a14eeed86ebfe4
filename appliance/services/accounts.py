"""Accounts: creation, password sign-in and the DRF-style ``Token`` keys.

Only hashes are stored: Argon2id for passwords, SHA-256 for token keys (a token key is already a
160-bit random value, so a fast hash is enough and lookups stay indexed).
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.errors import AuthenticationError, Conflict, NotFound, ValidationError
from appliance.services import db, passwords
from storage.metadata import Account, MetadataStore
from storage.metadata.repos import accounts as repo

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
_SLUG_CHARS = re.compile(r"[^a-z0-9]+")
EMAIL_MAX = 254


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
    if not isinstance(email, str) or len(email.strip()) > EMAIL_MAX or not _EMAIL.match(email.strip()):
        shown = email if not isinstance(email, str) or len(email) <= 80 else email[:80] + "..."
        raise ValidationError(f"{shown!r} is not a valid e-mail address", key="invalid_email",
                              detail={"email": "invalid"})
    return email.strip().lower()


def check_username(username: object) -> str:
    """iotile.cloud refuses spaces in usernames; the column holds 150 characters."""
    if not isinstance(username, str) or not username.strip():
        raise ValidationError("username must be non-empty text", key="invalid_username")
    username = username.strip()
    if len(username) > 150 or any(c.isspace() for c in username):
        raise ValidationError("username must be at most 150 characters, without spaces", key="invalid_username")
    return username


def check_name(name: object) -> str:
    if not isinstance(name, str) or len(name) > 150:
        raise ValidationError("name must be text of at most 150 characters", key="invalid_name")
    return name.strip()


def check_time_zone(time_zone: object) -> str:
    """An IANA zone name; an operator's typo would otherwise show every timestamp wrong."""
    if not isinstance(time_zone, str) or not time_zone or len(time_zone) > 64:
        raise ValidationError("time_zone must be an IANA time zone name", key="invalid_time_zone")
    if time_zone == "UTC":
        return time_zone
    try:
        zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError) as err:
        raise ValidationError(f"unknown time zone {time_zone!r}", key="invalid_time_zone") from err
    return time_zone


async def hash_in_executor(password: str) -> str:
    """Argon2 costs tens of milliseconds of CPU: never on the loop."""
    return await asyncio.get_running_loop().run_in_executor(None, passwords.hash_password, password)


def insert_account(session: Session, email: str, password_hash: str, *, username: str | None, name: str,
                   is_staff: bool, time_zone: str = "UTC") -> Account:
    """Inside a write: shared by account creation and invitation acceptance (one transaction there)."""
    if repo.email_taken(session, email):
        raise Conflict(f"an account with e-mail {email} already exists", key="duplicate_email")
    if username and repo.username_taken(session, username):
        raise Conflict(f"username {username!r} is taken", key="duplicate_username")
    uname = repo.free_value(session, Account.username, username or email.split("@", 1)[0])
    slug = repo.free_value(session, Account.slug, _SLUG_CHARS.sub("-", uname.lower()).strip("-") or "user")
    row = Account(email=email, username=uname, slug=slug, name=name, password_hash=password_hash,
                  is_staff=is_staff, is_active=True, time_zone=time_zone, created_on=datetime.now(timezone.utc))
    session.add(row)
    session.flush()
    return row


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
        self.generation = 0
        """Bumped by every change that must end existing sign-ins (the Authenticator's cache)."""

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
                     is_staff: bool = False, time_zone: str = "UTC") -> AccountRecord:
        email = normalize_email(email)
        uname = check_username(username) if username is not None else None
        name, time_zone = check_name(name), check_time_zone(time_zone)
        password_hash = await hash_in_executor(password)

        def insert(session: Session) -> AccountRecord:
            return AccountRecord.of(insert_account(session, email, password_hash, username=uname, name=name,
                                                   is_staff=is_staff, time_zone=time_zone))

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
        self.generation += 1

    async def set_password(self, account_id: int, new: str, *, revoke_tokens: bool = False) -> None:
        """Without the old password: the caller is the signed-in owner or staff (iotile.cloud's
        ``set_password``). ``revoke_tokens`` signs out the account's ``Token`` keys."""
        new_hash = await hash_in_executor(new)

        def update(session: Session) -> None:
            _update(session, account_id, password_hash=new_hash)
            if revoke_tokens:
                repo.delete_tokens(session, account_id)

        await db.write(self._store, update)
        self.generation += 1

    async def set_active(self, account_id: int, active: bool) -> AccountRecord:
        """Deactivation also revokes ``Token`` keys; the last active staff account stays active."""
        def update(session: Session) -> AccountRecord:
            row = session.get(Account, account_id)
            if row is None:
                raise NotFound("account not found")
            if not active and row.is_active and row.is_staff and repo.active_staff_count(session) <= 1:
                raise Conflict("the last active staff account cannot be deactivated", key="last_staff")
            row.is_active = active
            if not active:
                repo.delete_tokens(session, account_id)
            return AccountRecord.of(row)

        record = await db.write(self._store, update)
        self.generation += 1
        return record

    async def by_slug(self, slug: str) -> AccountRecord:
        row = await db.read(self._store, lambda s: repo.by_slug(s, slug))
        if row is None:
            raise NotFound("account not found", key="account_not_found")
        return AccountRecord.of(row)

    async def page(self, *, search: str | None = None, offset: int = 0,
                   limit: int = 100) -> tuple[int, list[AccountRecord]]:
        def query(session: Session) -> tuple[int, list[AccountRecord]]:
            total, rows = repo.page(session, search=search, offset=offset, limit=limit)
            return total, [AccountRecord.of(r) for r in rows]

        return await db.read(self._store, query)

    async def update(self, account_id: int, *, name: str | None = None, time_zone: str | None = None,
                     username: str | None = None) -> AccountRecord:
        """The profile fields a user may change; the slug stays, so links to the account keep working."""
        values: dict[str, object] = {}
        if name is not None:
            values["name"] = check_name(name)
        if time_zone is not None:
            values["time_zone"] = check_time_zone(time_zone)
        if username is not None:
            values["username"] = check_username(username)

        def update(session: Session) -> AccountRecord:
            if "username" in values and repo.username_taken_by_other(session, str(values["username"]), account_id):
                raise Conflict(f"username {values['username']!r} is taken", key="duplicate_username")
            _update(session, account_id, **values)
            row = session.get(Account, account_id)
            assert row is not None
            return AccountRecord.of(row)

        record = await db.write(self._store, update)
        self.generation += 1  # cached sign-ins carry the old profile
        return record

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
        self.generation += 1
