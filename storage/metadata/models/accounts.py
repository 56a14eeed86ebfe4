"""People and their API tokens."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.metadata.base import Base, owned_by
from storage.metadata.types import utcnow

if TYPE_CHECKING:
    from storage.metadata.models.orgs import OrgMembership


class Account(Base):
    """A user. ``email`` is stored lowercase (enforced) so uniqueness ignores case."""

    __tablename__ = "account"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    username: Mapped[str] = mapped_column(String(150), unique=True)
    slug: Mapped[str] = mapped_column(String(150), unique=True)
    name: Mapped[str] = mapped_column(String(150), default="")
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    is_staff: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC")
    created_on: Mapped[datetime] = mapped_column(default=utcnow)
    last_login: Mapped[datetime | None]

    tokens: Mapped[list[AuthToken]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )
    memberships: Mapped[list[OrgMembership]] = relationship(
        back_populates="account", cascade="all, delete-orphan", passive_deletes=True
    )


class AuthToken(Base):
    """A DRF-style ``Token`` key. Only its sha256 hex is stored: a stolen file yields no logins."""

    __tablename__ = "auth_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = owned_by("account.id")
    created_on: Mapped[datetime] = mapped_column(default=utcnow)

    account: Mapped[Account] = relationship(back_populates="tokens")
