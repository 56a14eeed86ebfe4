"""Who belongs to an org and with which role; the owner rules live here, next to the writes.

Rules beyond the permission matrix (which only says *who may manage users*):
- only an owner (a0) or staff may make someone an owner, or change or remove an owner;
- the last active owner can be neither demoted, deactivated nor removed, so no org is left that
  nobody may delete or hand over.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy.orm import Session

from appliance.errors import Conflict, NotFound, PermissionDenied, ValidationError
from appliance.services import db
from appliance.services.accounts import AccountRecord
from appliance.services.permissions import MEMBER_ROLES
from storage.metadata import MetadataStore, OrgMembership
from storage.metadata.repos import accounts as account_repo
from storage.metadata.repos import orgs as repo

LOGGER = logging.getLogger(__name__)
OWNER = "a0"
OWNER_POWERS = frozenset({"a0", "s0"})  # roles that may touch owners


@dataclass(frozen=True)
class MembershipRecord:
    org_id: int
    account: AccountRecord
    role: str
    is_active: bool
    created_on: datetime | None

    @classmethod
    def of(cls, row: OrgMembership, account: AccountRecord) -> MembershipRecord:
        return cls(row.org_id, account, row.role, row.is_active, row.created_on)


def _record(pair: repo.MembershipRow) -> MembershipRecord:
    return MembershipRecord.of(pair[0], AccountRecord.of(pair[1]))


def _role(role: object) -> str:
    if role not in MEMBER_ROLES:
        raise ValidationError(f"role must be one of {', '.join(MEMBER_ROLES)}", key="invalid_role",
                              detail={"role": "invalid"})
    return str(role)


def _guard_owner_change(session: Session, row: OrgMembership, *, role: str, active: bool, actor_role: str) -> None:
    """The two owner rules; ``role``/``active`` are the membership's values after the change."""
    touches_owner = row.role == OWNER or role == OWNER
    if touches_owner and actor_role not in OWNER_POWERS:
        raise PermissionDenied("only an owner can make, change or remove an owner", key="owner_only")
    stays_owner = role == OWNER and active
    if row.role == OWNER and row.is_active and not stays_owner and \
            repo.owner_count(session, row.org_id, excluding_account=row.account_id) == 0:
        raise Conflict("the last owner of an org cannot be removed, deactivated or demoted", key="last_owner")


def _member(session: Session, org_id: int, account_slug: str) -> repo.MembershipRow:
    pair = repo.member_by_account_slug(session, org_id, account_slug)
    if pair is None:
        raise NotFound(f"{account_slug!r} is not a member of this org", key="member_not_found")
    return pair


class Memberships:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store

    async def page(self, org_id: int, *, include_inactive: bool = False, offset: int = 0,
                   limit: int = 100) -> tuple[int, list[MembershipRecord]]:
        def query(session: Session) -> tuple[int, list[MembershipRecord]]:
            total, rows = repo.page_members(session, org_id, include_inactive=include_inactive, offset=offset,
                                            limit=limit)
            return total, [_record(pair) for pair in rows]

        return await db.read(self._store, query)

    async def get(self, org_id: int, account_slug: str) -> MembershipRecord:
        return await db.read(self._store, lambda s: _record(_member(s, org_id, account_slug)))

    async def of_account(self, org_id: int, account_id: int) -> MembershipRecord | None:
        pair = await db.read(self._store, lambda s: repo.member_of(s, org_id, account_id))
        return None if pair is None else _record(pair)

    async def register(self, org_id: int, account_slug: str, role: object, *, actor_role: str) -> MembershipRecord:
        """iotile.cloud's ``org/<slug>/register/``: an existing account joins without an invitation."""
        role = _role(role)
        if role == OWNER and actor_role not in OWNER_POWERS:
            raise PermissionDenied("only an owner can make someone an owner", key="owner_only")
        now = datetime.now(timezone.utc)

        def insert(session: Session) -> MembershipRecord:
            account = account_repo.by_slug(session, account_slug)
            if account is None:
                raise ValidationError(f"user {account_slug!r} does not exist", key="unknown_user",
                                      detail={"user": "does not exist"})
            if repo.membership(session, org_id, account.id) is not None:
                raise ValidationError("Member already exists", key="already_member")
            return MembershipRecord.of(repo.add_member(session, org_id, account.id, role, now),
                                       AccountRecord.of(account))

        record = await db.write(self._store, insert)
        LOGGER.info("account %s registered in org %s as %s", record.account.slug, org_id, role)
        return record

    async def change(self, org_id: int, account_slug: str, *, actor_role: str, role: object = None,
                     is_active: bool | None = None) -> MembershipRecord:
        new_role = _role(role) if role is not None else None

        def update(session: Session) -> MembershipRecord:
            row, account = _member(session, org_id, account_slug)
            target_role = new_role or row.role
            target_active = row.is_active if is_active is None else is_active
            _guard_owner_change(session, row, role=target_role, active=target_active, actor_role=actor_role)
            row.role, row.is_active = target_role, target_active
            session.flush()
            return MembershipRecord.of(row, AccountRecord.of(account))

        record = await db.write(self._store, update)
        LOGGER.info("membership of %s in org %s is now %s (active %s)", account_slug, org_id, record.role,
                    record.is_active)
        return record

    async def remove(self, org_id: int, account_slug: str, *, actor_role: str) -> None:
        def delete(session: Session) -> None:
            row, _ = _member(session, org_id, account_slug)
            _guard_owner_change(session, row, role=row.role, active=False, actor_role=actor_role)
            repo.delete_membership(session, row.id)

        await db.write(self._store, delete)
        LOGGER.info("account %s removed from org %s", account_slug, org_id)
