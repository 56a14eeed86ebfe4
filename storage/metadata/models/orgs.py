"""Organizations, who belongs to them, and how people and machines get in."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, CreatedMixin, one_of, optional_ref, owned_by
from storage.metadata.models.codes import ORG_ROLES
from storage.metadata.types import utcnow

if TYPE_CHECKING:
    from storage.metadata.models.accounts import Account


class Org(CreatedMixin, Base):
    """An organization; ``uuid`` is its wire id, ``slug`` its URL name."""

    __tablename__ = "org"

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    name: Mapped[str] = mapped_column(String(50), unique=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    about: Mapped[str] = mapped_column(Text, default="")
    is_vendor: Mapped[bool] = mapped_column(default=False)

    memberships: Mapped[list[OrgMembership]] = relationship(
        back_populates="org", cascade="all, delete-orphan", passive_deletes=True
    )


class OrgMembership(Base):
    """An account's role in an org; permissions are derived from ``role`` in code, not stored."""

    __tablename__ = "org_membership"
    __table_args__ = (
        UniqueConstraint("account_id", "org_id"),
        one_of("role", ORG_ROLES, "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_id: Mapped[int] = owned_by("account.id")
    org_id: Mapped[int] = owned_by("org.id")
    role: Mapped[str] = mapped_column(String(3), default="m1")
    is_active: Mapped[bool] = mapped_column(default=True)
    created_on: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="memberships")
    org: Mapped[Org] = relationship(back_populates="memberships")


class OrgDomain(CreatedMixin, Base):
    """A verified email domain whose users join the org automatically with ``default_role``."""

    __tablename__ = "org_domain"
    __table_args__ = (one_of("default_role", ORG_ROLES, "default_role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = owned_by("org.id")
    name: Mapped[str] = mapped_column(String(253), unique=True)
    default_role: Mapped[str] = mapped_column(String(3), default="m1")
    verified: Mapped[bool] = mapped_column(default=False)


class Invitation(Base):
    """An emailed invitation; only the hash of its accept token is stored."""

    __tablename__ = "invitation"
    __table_args__ = (one_of("role", ORG_ROLES, "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    uuid: Mapped[str] = mapped_column(String(36), unique=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    org_id: Mapped[int] = owned_by("org.id")
    role: Mapped[str] = mapped_column(String(3), default="m1")
    sent_by_id: Mapped[int | None] = optional_ref("account.id", index=False)
    sent_on: Mapped[datetime] = mapped_column(default=utcnow)
    accepted: Mapped[bool] = mapped_column(default=False)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)


class AuthAPIKey(CreatedMixin, Base):
    """An org ``Api-Key`` (djangorestframework-api-key layout: ``prefix.secret``, secret hashed)."""

    __tablename__ = "auth_api_key"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = owned_by("org.id")
    name: Mapped[str] = mapped_column(String(50), default="")
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    hashed_key: Mapped[str] = mapped_column(String(150))
    revoked: Mapped[bool] = mapped_column(default=False)
    expiry: Mapped[datetime | None]
