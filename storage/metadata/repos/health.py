"""The periodic device health check's query: statuses of devices whose check is enabled."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.metadata.models import DeviceStatus


def checked_statuses(session: Session) -> Sequence[DeviceStatus]:
    stmt = select(DeviceStatus).where(DeviceStatus.health_check_enabled.is_(True)).order_by(DeviceStatus.device_id)
    return session.scalars(stmt).all()
