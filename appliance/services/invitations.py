"""Invitations to an org: link accepted through the API, e-mailed when SMTP is configured.

An invitation carries a random token; only its SHA-256 is stored (a copied database file accepts no
invitations), so the token is shown once: in the invite answer and in the e-mail. Resending makes a
new token, which also voids the old link. Invitations expire 14 days after they were (re)sent, as on
iotile.cloud; an accepted invitation keeps its row (``accepted``) but loses its token.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote

from sqlalchemy.orm import Session

from appliance.errors import (
    ApplianceError,
    AuthenticationError,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from appliance.services import db
from appliance.services.accounts import (
    AccountRecord,
    check_name,
    check_username,
    hash_in_executor,
    insert_account,
    normalize_email,
)
from appliance.services.mailer import Mailer
from appliance.services.memberships import OWNER_POWERS, MembershipRecord
from appliance.services.orgs import check_role
from appliance.services.permissions import ROLE_NAMES
from storage.metadata import Account, Invitation, MetadataStore
from storage.metadata.repos import accounts as account_repo
from storage.metadata.repos import invitations as repo
from storage.metadata.repos import orgs as org_repo

LOGGER = logging.getLogger(__name__)
ACTIVE_DAYS = 14  # iotile.cloud's INVITATION_ACTIVE_DAYS
TOKEN_MAX = 128


class InvitationGone(ApplianceError):
    """The invitation expired: the link no longer works, an admin must resend it."""

    status = 410
    key = "invitation_expired"


@dataclass(frozen=True)
class InvitationRecord:
    id: int
    uuid: str
    email: str
    role: str
    org_id: int
    org_slug: str
    org_name: str
    sent_by_slug: str | None
    sent_on: datetime
    accepted: bool

    @classmethod
    def of(cls, row: repo.InvitationRow) -> InvitationRecord:
        inv, org, sender = row
        return cls(inv.id, inv.uuid, inv.email, inv.role, org.id, org.slug, org.name, sender, inv.sent_on,
                   inv.accepted)

    @property
    def expires_on(self) -> datetime:
        return self.sent_on + timedelta(days=ACTIVE_DAYS)

    def expired(self, now: datetime | None = None) -> bool:
        return (now or datetime.now(timezone.utc)) > self.expires_on


@dataclass(frozen=True)
class IssuedInvitation:
    """An invitation just (re)sent: the only moment its token is known."""

    invitation: InvitationRecord
    token: str
    accept_url: str
    email_sent: bool


@dataclass(frozen=True)
class Acceptance:
    invitation: InvitationRecord
    membership: MembershipRecord
    created_account: bool


def token_hash(token: str) -> str:
    """A token is 256 random bits, so a fast hash is enough and the lookup stays indexed."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


INVITE_PATH = "/invite/"  # the accept page people open (appliance/api/views/invite_page.py)


def invite_link_base(public_url: str, origin: str) -> str:
    """Links point at the configured public address (``server.public_url``), else at ``origin``."""
    return f"{(public_url or origin).rstrip('/')}{INVITE_PATH}"


def accept_url(base: str, token: str) -> str:
    return f"{base}{quote(token, safe='')}"


def _message(issued: IssuedInvitation, sender: AccountRecord) -> tuple[str, str]:
    inv = issued.invitation
    subject = f"Invitation to join {inv.org_name} on the IOTile Appliance"
    body = (f"{sender.name or sender.username} ({sender.email}) invites you to join {inv.org_name} as "
            f"{ROLE_NAMES.get(inv.role, inv.role)}.\n\n"
            f"Accept the invitation here (valid for {ACTIVE_DAYS} days):\n{issued.accept_url}\n\n"
            f"Or give this invitation token to the appliance's accept screen:\n{issued.token}\n")
    return subject, body


def _stamp(row: Invitation, *, role: str, sent_by_id: int, now: datetime) -> str:
    """(Re)send: new token, new date, not accepted; returns the new token."""
    token = secrets.token_urlsafe(32)
    row.role, row.sent_by_id, row.sent_on, row.accepted = role, sent_by_id, now, False
    row.token_hash = token_hash(token)
    return token


def _write_invite(session: Session, org_id: int, email: str, role: str, sent_by_id: int,
                  now: datetime) -> tuple[repo.InvitationRow, str]:
    account = account_repo.by_email(session, email)
    if account is not None and org_repo.membership(session, org_id, account.id) is not None:
        raise ValidationError(f"{email} is already a member of this org (maybe inactive)", key="already_member",
                              detail={"email": "already a member"})
    row = repo.by_email(session, org_id, email)
    if row is None:
        row = repo.create(session, uuid=str(uuid.uuid4()), org_id=org_id, email=email, role=role,
                          sent_by_id=sent_by_id, sent_on=now, token_hash="")
    token = _stamp(row, role=role, sent_by_id=sent_by_id, now=now)
    session.flush()
    found = repo.by_uuid(session, org_id, row.uuid)
    assert found is not None
    return found, token


def check_token(token: object) -> str:
    if not isinstance(token, str) or not token or len(token) > TOKEN_MAX:
        raise ValidationError("token: a valid invitation token is required", key="invalid_token",
                              detail={"token": "invalid"})
    return token


@dataclass(frozen=True)
class AcceptRequest:
    digest: str
    account: AccountRecord | None
    name: str
    username: str | None
    password_hash: str | None


def _joining_account(session: Session, inv: Invitation, request: AcceptRequest) -> tuple[Account, bool]:
    """(account, created): the signed-in invitee, or a new account for the invited address."""
    if request.account is not None:
        if request.account.email != inv.email:
            raise PermissionDenied(f"this invitation was sent to {inv.email}; sign in as that account",
                                   key="wrong_invitee")
        row = session.get(Account, request.account.id)
        assert row is not None
        return row, False
    if account_repo.by_email(session, inv.email) is not None or request.password_hash is None:
        raise AuthenticationError(f"an account for {inv.email} exists: sign in as it to accept",
                                  key="sign_in_to_accept")
    return insert_account(session, inv.email, request.password_hash, username=request.username,
                          name=request.name, is_staff=False), True


def accept_in_session(session: Session, request: AcceptRequest) -> Acceptance:
    """One transaction: account (if new), membership, invitation accepted and its token voided."""
    found = repo.by_token_hash(session, request.digest)
    if found is None:
        raise NotFound("invitation not found (or already accepted)", key="invitation_not_found")
    inv, org, _ = found
    if InvitationRecord.of(found).expired():
        raise InvitationGone(f"this invitation expired {ACTIVE_DAYS} days after it was sent; ask for a new one")
    account, created = _joining_account(session, inv, request)
    membership = org_repo.membership(session, org.id, account.id)
    if membership is not None and not membership.is_active:
        raise Conflict(f"you are a member of {org.name} but your membership is disabled; ask an admin",
                       key="membership_disabled")
    if membership is None:
        membership = org_repo.add_member(session, org.id, account.id, inv.role, datetime.now(timezone.utc))
    inv.accepted, inv.token_hash = True, None
    session.flush()
    return Acceptance(InvitationRecord.of(found), MembershipRecord.of(membership, AccountRecord.of(account)),
                      created)


class Invitations:
    def __init__(self, store: MetadataStore) -> None:
        self._store = store
        self._mailer = Mailer()

    def bind_mailer(self, mailer: Mailer) -> None:
        """The mailer configured from settings (disabled when no SMTP host is set)."""
        self._mailer = mailer

    async def invite(self, org_id: int, email: object, role: object, *, sent_by: AccountRecord, actor_role: str,
                     link_base: str, mailer: Mailer | None = None) -> IssuedInvitation:
        """Invite, or re-invite (new token, new date) an address that already has an invitation."""
        email, role = normalize_email(email), check_role(role)
        if role == "a0" and actor_role not in OWNER_POWERS:
            raise PermissionDenied("only an owner can invite an owner", key="owner_only")
        now = datetime.now(timezone.utc)
        row, token = await db.write(self._store, lambda s: _write_invite(s, org_id, email, role, sent_by.id, now))
        return await self._issue(InvitationRecord.of(row), token, sent_by, link_base, mailer)

    async def resend(self, org_id: int, invitation_uuid: str, *, sent_by: AccountRecord, link_base: str,
                     mailer: Mailer | None = None) -> IssuedInvitation:
        now = datetime.now(timezone.utc)

        def update(session: Session) -> tuple[repo.InvitationRow, str]:
            found = repo.by_uuid(session, org_id, invitation_uuid)
            if found is None or found[0].accepted:
                raise NotFound("no pending invitation with this id", key="invitation_not_found")
            token = _stamp(found[0], role=found[0].role, sent_by_id=sent_by.id, now=now)
            session.flush()
            return (found[0], found[1], sent_by.slug), token

        row, token = await db.write(self._store, update)
        return await self._issue(InvitationRecord.of(row), token, sent_by, link_base, mailer)

    async def _issue(self, record: InvitationRecord, token: str, sender: AccountRecord, link_base: str,
                     mailer: Mailer | None) -> IssuedInvitation:
        issued = IssuedInvitation(record, token, accept_url(link_base, token), False)
        mailer = mailer or self._mailer
        if mailer.enabled:
            subject, body = _message(issued, sender)
            sent = await asyncio.to_thread(mailer.send, record.email, subject, body)
            issued = IssuedInvitation(record, token, issued.accept_url, sent)
        LOGGER.info("invitation %s to org %s sent by %s (e-mailed: %s)", record.uuid, record.org_slug,
                    sender.slug, issued.email_sent)
        return issued

    async def page_pending(self, org_id: int, *, offset: int = 0,
                           limit: int = 100) -> tuple[int, list[InvitationRecord]]:
        def query(session: Session) -> tuple[int, list[InvitationRecord]]:
            total, rows = repo.page_pending(session, org_id, offset=offset, limit=limit)
            return total, [InvitationRecord.of(r) for r in rows]

        return await db.read(self._store, query)

    async def get(self, org_id: int, invitation_uuid: str) -> InvitationRecord:
        row = await db.read(self._store, lambda s: repo.by_uuid(s, org_id, invitation_uuid))
        if row is None:
            raise NotFound("no invitation with this id", key="invitation_not_found")
        return InvitationRecord.of(row)

    async def delete(self, org_id: int, invitation_uuid: str) -> None:
        def remove(session: Session) -> None:
            found = repo.by_uuid(session, org_id, invitation_uuid)
            if found is None:
                raise NotFound("no invitation with this id", key="invitation_not_found")
            repo.delete_invitation(session, found[0].id)

        await db.write(self._store, remove)

    async def lookup(self, token: object) -> tuple[InvitationRecord, bool]:
        """The invitation behind a token and whether its e-mail already has an account."""
        digest = token_hash(check_token(token))

        def query(session: Session) -> tuple[InvitationRecord, bool] | None:
            row = repo.by_token_hash(session, digest)
            if row is None:
                return None
            return InvitationRecord.of(row), account_repo.by_email(session, row[0].email) is not None

        found = await db.read(self._store, query)
        if found is None:
            raise NotFound("invitation not found (or already accepted)", key="invitation_not_found")
        return found

    async def accept(self, token: object, *, account: AccountRecord | None, password: str | None = None,
                     name: str = "", username: str | None = None) -> Acceptance:
        """Join as ``account`` (signed in as the invited address) or create the invited account."""
        name = check_name(name)
        username = check_username(username) if username is not None else None
        invitation, has_account = await self.lookup(token)
        request = AcceptRequest(token_hash(str(token)), account, name, username, None)
        if account is None and not has_account:
            if password is None:
                raise ValidationError("password: required to create the invited account", key="missing_field",
                                      detail={"password": "required"})
            request = AcceptRequest(request.digest, None, name, username, await hash_in_executor(password))
        result = await db.write(self._store, lambda s: accept_in_session(s, request))
        LOGGER.info("invitation %s accepted by %s (new account: %s)", invitation.uuid,
                    result.membership.account.slug, result.created_account)
        return result
