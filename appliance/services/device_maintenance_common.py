"""What the device maintenance jobs (reset, trim, move) share: argument checks, the busy state,
the closing system note, and removing payload blobs once their rows are gone.

The jobs follow iotile.cloud's worker actions (DeviceDataResetAction, DeviceDataTrimAction,
DeviceMoveAction). Each runs with the concurrency key ``device:<id>``, the one unclaim uses, so two
operations on one device never run at the same time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Collection, Mapping
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from appliance.errors import ValidationError
from appliance.jobs.kinds import HardJobError, JobArgs
from appliance.services import db
from appliance.slugs import DeviceSlug
from storage.blobs import BlobKeyError, BlobStore
from storage.metadata import MetadataStore
from storage.metadata.repos import devices as devices_repo
from storage.metadata.repos import notes as notes_repo

if TYPE_CHECKING:
    from appliance.app import Appliance
    from appliance.jobs.context import JobContext

LOGGER = logging.getLogger(__name__)
BUSY_STATE, IDLE_STATE = "B0", "N1"
ArgTypes = Mapping[str, type | tuple[type, ...]]
MAYBE_INT: tuple[type, ...] = (int, type(None))
MAYBE_TEXT: tuple[type, ...] = (str, type(None))


def device_key(args: JobArgs) -> str:
    return f"device:{args['device']}"


def job_args(kind: str, args: JobArgs, types: ArgTypes) -> dict[str, Any]:
    """Exactly these arguments, each of its type (a bool is not an int here): jobs are scheduled by
    the service, so anything else is a programming error refused before it is stored."""
    if set(args) != set(types):
        raise ValidationError(f"{kind} takes {sorted(types)}, got {sorted(args)}", key="invalid_job_args")
    for name, wanted in types.items():
        value = args[name]
        if (isinstance(value, bool) and bool not in (wanted if isinstance(wanted, tuple) else (wanted,))) \
                or not isinstance(value, wanted):
            raise ValidationError(f"{kind}: {name} has the wrong type", key="invalid_job_args")
    if args["device"] <= 0:
        raise ValidationError(f"{kind}: device must be a serial number", key="invalid_job_args")
    return dict(args)


def appliance_of(ctx: JobContext) -> Appliance:
    if ctx.appliance is None:
        raise HardJobError(f"{ctx.kind} needs the appliance")
    return ctx.appliance


def set_state(session: Session, device_id: int, state: str) -> None:
    device = devices_repo.device_obj(session, device_id)
    if device is not None:
        device.state = state


def add_note(session: Session, device_id: int, text: str, user_id: int | None, type_: str = "si") -> None:
    """A note on the device itself, timestamped now (the server's StreamNote.objects.create)."""
    notes_repo.add_note(session, target_slug=DeviceSlug(device_id).slug, timestamp=datetime.now(timezone.utc),
                        note=text, type_=type_, created_by_id=user_id)


@asynccontextmanager
async def busy_until_done(metadata: MetadataStore, device_id: int) -> AsyncIterator[None]:
    """The device was marked busy when the job was scheduled; the job's last transaction marks it
    idle. A job that fails (or is cancelled) leaves it idle too, so a device is never stuck busy;
    a job interrupted by shutdown keeps it busy, because it runs again at the next start."""
    try:
        yield
    except asyncio.CancelledError:
        raise
    except BaseException:
        await db.write(metadata, lambda s: set_state(s, device_id, IDLE_STATE))
        raise


async def remove_blobs(blobs: BlobStore, keys: Collection[str]) -> int:
    """Delete payload files whose rows are gone; a file already missing is fine (a re-run job)."""
    def remove() -> int:
        removed = 0
        for key in keys:
            try:
                removed += blobs.delete(key)
            except BlobKeyError:
                LOGGER.warning("not removing blob with an unexpected key %r", key)
        return removed

    return await asyncio.get_running_loop().run_in_executor(None, remove) if keys else 0
