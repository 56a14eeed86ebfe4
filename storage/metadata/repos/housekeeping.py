"""Periodic clean-up queries."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlalchemy.orm import Session

from storage.metadata.models import Invitation

INVITATION_LIFETIME = timedelta(days=14)


def delete_expired_invitations(session: Session, now: datetime) -> int:
    """iotile.cloud invitations expire 14 days after they were (re)sent."""
    stmt = delete(Invitation).where(Invitation.accepted.is_(False), Invitation.sent_on < now - INVITATION_LIFETIME)
    result = session.execute(stmt.execution_options(synchronize_session=False))
    return int(getattr(result, "rowcount", 0) or 0)
