"""The data mask: a time window outside which a device's (or a data block's) data is hidden from the
reads that ask for it with ``mask=1`` (``data/``, ``event/``, ``stream/<slug>/data/``, CSV).

Stored as iotile.cloud stores it: one event on the target's 5a09 stream whose ``extra_data`` is
``{start, end, events: [], data: []}`` with times written ``%Y-%m-%dT%H:%M:%SZ`` (either may be null).
Reads clip to ``start`` (inclusive) and ``end`` (exclusive). Every change leaves a note on the
target, as the server's set_data_mask does. Nothing here checks permissions: the device and
data-block services decide who may read or change a mask and hand over a ``MaskTarget``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from appliance.errors import ValidationError
from appliance.events import Changes, EventBus
from appliance.services import db
from storage.metadata import MetadataStore
from storage.metadata.repos import notes as notes_repo
from storage.streams import StreamSelector, StreamStore
from storage.streams import maintenance as store

LOGGER = logging.getLogger(__name__)
MASK_LID = store.MASK_VARIABLE
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
RANGE_FIELDS = frozenset({"start", "end"})


@dataclass(frozen=True)
class MaskTarget:
    """Whose mask: ``key`` is the stream store's device column (a device id, or a block's
    ``block << 48 | serial``), ``project`` the gid its 5a09 event is keyed under (0 for a block),
    ``slug`` the note target (``d--`` or ``b--``)."""

    key: int
    project: int
    slug: str


@dataclass(frozen=True)
class TimeRange:
    """A [start, end] pair from a request, whole seconds in UTC (the server's formatted_ts)."""

    start: datetime | None = None
    end: datetime | None = None

    def as_json(self) -> dict[str, str | None]:
        return {"start": _text(self.start), "end": _text(self.end)}


def _text(moment: datetime | None) -> str | None:
    return None if moment is None else moment.strftime(TIME_FORMAT)


def parse_time(name: str, value: Any) -> datetime:
    """DRF's DateTimeField: an ISO 8601 date and time ('Z', an offset, or naive meaning UTC)."""
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(f"{name}: expected a date-time such as 2018-01-01T01:00:00Z", key="bad_datetime",
                              detail={name: "invalid"})
    text = value.strip()
    if len(text) < 16 or text[10] not in "Tt ":
        raise ValidationError(f"{name}: {value!r} needs a date and a time", key="bad_datetime",
                              detail={name: "invalid"})
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
        moment = moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)
    except (ValueError, OverflowError):
        raise ValidationError(f"{name}: {value!r} is not an ISO 8601 date-time", key="bad_datetime",
                              detail={name: "invalid"}) from None
    return moment.replace(microsecond=0)


def parse_range(body: Mapping[str, Any]) -> TimeRange:
    """``{start?, end?}`` as the server's DeviceDataTrimSerializer / DeviceDataMaskSerializer read it:
    at least one, and start not after end. Unknown fields are refused (DRF ignores them)."""
    unknown = sorted(set(body) - RANGE_FIELDS)
    if unknown:
        raise ValidationError(f"unknown field(s): {', '.join(unknown)}", key="unknown_field",
                              detail={name: "unknown field" for name in unknown})
    times = {name: parse_time(name, value) for name, value in body.items()}
    if not times:
        raise ValidationError("At least one of start/end should be defined", key="missing_range")
    result = TimeRange(times.get("start"), times.get("end"))
    if result.start is not None and result.end is not None and result.start > result.end:
        raise ValidationError("Start is after end", key="start_after_end")
    return result


def _stored(extra_data: str | None) -> TimeRange | None:
    """The stored payload back as datetimes; a payload that does not parse counts as no mask."""
    if not extra_data:
        return None
    try:
        payload = json.loads(extra_data)
        return TimeRange(*(None if payload.get(name) is None else
                           datetime.strptime(payload[name], TIME_FORMAT).replace(tzinfo=timezone.utc)
                           for name in ("start", "end")))
    except (ValueError, TypeError, AttributeError):
        LOGGER.warning("ignoring a malformed data mask event: %r", extra_data[:200])
        return None


def read_mask(streams: StreamStore, key: int) -> TimeRange | None:
    """Blocking (a DuckDB read): call it off the event loop."""
    return _stored(streams.read(lambda cur: store.mask_of(cur, key)))


def mask_bounds(streams: StreamStore, selector: StreamSelector, start: datetime | None,
                end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """A read's ``start``/``end`` narrowed to the mask of the device or block it reads (a variable or
    project read has no mask, as on iotile.cloud). Blocking: the read path runs it in its executor."""
    if selector.device is None:
        return start, end
    return clip_to_mask(streams, selector.device, start, end)


def clip_to_mask(streams: StreamStore, key: int, start: datetime | None,
                 end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """``start``/``end`` narrowed to the mask of device (or block) ``key``. Blocking."""
    mask = read_mask(streams, key)
    if mask is None:
        return start, end
    if mask.start is not None and (start is None or mask.start > start):
        start = mask.start
    if mask.end is not None and (end is None or mask.end < end):
        end = mask.end
    return start, end


def _note_text(mask: TimeRange | None) -> str:
    if mask is None:
        return "Data mask cleared"
    parts = [f" {name}: {value}" for name, value in mask.as_json().items() if value]
    return f"Data mask set ({''.join(parts)} )"


class DataMasks:
    """Get, set and clear masks of any target; callers check permissions first."""

    def __init__(self, metadata: MetadataStore, streams: StreamStore, events: EventBus) -> None:
        self._metadata = metadata
        self._streams = streams
        self._events = events

    async def get(self, target: MaskTarget) -> dict[str, str | None]:
        """``{start, end}``, both null when no mask is set (the server's GET)."""
        mask = await asyncio.get_running_loop().run_in_executor(None, read_mask, self._streams, target.key)
        return (mask or TimeRange()).as_json()

    async def set(self, target: MaskTarget, mask: TimeRange, user_id: int | None) -> dict[str, Any]:
        """Store the mask and note it; returns the event's extra_data, as the server's PATCH answers."""
        payload: dict[str, Any] = {**mask.as_json(), "events": [], "data": []}
        text, now = json.dumps(payload), datetime.now(timezone.utc)
        await asyncio.wrap_future(self._streams.write(
            lambda ctx: store.put_mask(ctx, target.project, target.key, text, now)))
        await self._note(target, mask, user_id, now)
        return payload

    async def clear(self, target: MaskTarget, user_id: int | None, *, note: bool = True) -> bool:
        """Remove the mask; a note only when there was one to remove (as the server)."""
        removed = await asyncio.wrap_future(self._streams.write(lambda ctx: store.clear_mask(ctx.conn, target.key)))
        if removed and note:
            await self._note(target, None, user_id, datetime.now(timezone.utc))
        return bool(removed)

    async def _note(self, target: MaskTarget, mask: TimeRange | None, user_id: int | None, now: datetime) -> None:
        await db.write(self._metadata, lambda s: notes_repo.add_note(
            s, target_slug=target.slug, timestamp=now, note=_note_text(mask), type_="ui", created_by_id=user_id))
        self._events.publish(Changes(readings=True, initiator="data_mask", detail={"mask": target.slug}))
        LOGGER.info("data mask of %s %s", target.slug, "cleared" if mask is None else "set")
