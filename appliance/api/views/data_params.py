"""Query parameters of the data endpoints, read as django-filter reads them: a repeated
parameter counts by its last value; ``start``/``end`` are ISO 8601 (naive means UTC)."""

from __future__ import annotations

from aiohttp import web

from appliance.api.pagination import Page
from appliance.api.params import parse_datetime
from appliance.errors import ValidationError
from appliance.services.data import ReadQuery

LASTN_MAX = 100_000
INT64 = (-(1 << 63), (1 << 63) - 1)
UNSUPPORTED = ("streamer_ts_min", "streamer_ts_max", "streamer_ts_0", "streamer_ts_1")


def last(request: web.Request, *names: str) -> str | None:
    """The last value given for any of ``names`` (aliases such as id_0 / id_min), or None."""
    found = None
    for name in names:
        values = request.query.getall(name, [])
        if values and values[-1] != "":
            found = values[-1]
    return found


def whole(request: web.Request, *names: str) -> int | None:
    text = last(request, *names)
    if text is None:
        return None
    try:
        number = int(text)
    except ValueError as err:
        raise ValidationError(f"{names[0]}: {text!r} is not a whole number", key="bad_int") from err
    if not INT64[0] <= number <= INT64[1]:
        raise ValidationError(f"{names[0]}: {text!r} is out of range", key="out_of_range")
    return number


def strict_lastn(request: web.Request) -> int | None:
    """``data/`` and ``event/``: 1..100000, anything else is a 400 (the server's get_lastn)."""
    lastn = whole(request, "lastn")
    if lastn is not None and lastn < 1:
        raise ValidationError("lastn must be greater than 0", key="bad_lastn")
    if lastn is not None and lastn > LASTN_MAX:
        raise ValidationError(f"lastn limit is {LASTN_MAX}", key="bad_lastn")
    return lastn


def lenient_lastn(request: web.Request) -> int | None:
    """``stream/<slug>/data/``: a malformed lastn is ignored and others clamped to 1..100000, as the
    server's StreamDataQueryHelper does (it turns 10001..100000 into 100000; the appliance keeps n)."""
    text = last(request, "lastn")
    try:
        lastn = int(text) if text is not None else None
    except ValueError:
        return None
    return None if lastn is None else max(1, min(LASTN_MAX, lastn))


def read_query(request: web.Request, page: Page | None, *, strict: bool = True) -> ReadQuery:
    """Filters of a read plus the wanted page (None: everything, for CSV)."""
    for name in UNSUPPORTED:
        if last(request, name) is not None:
            raise ValidationError(f"{name} is not supported by the appliance", key="unsupported_filter")
    start, end = last(request, "start"), last(request, "end")
    return ReadQuery(
        start=parse_datetime(start, "start") if start else None,
        end=parse_datetime(end, "end") if end else None,
        seq_min=whole(request, "streamer_id_0", "streamer_id_min"),
        seq_max=whole(request, "streamer_id_1", "streamer_id_max"),
        id_min=whole(request, "id_0", "id_min"), id_max=whole(request, "id_1", "id_max"),
        lastn=strict_lastn(request) if strict else lenient_lastn(request),
        offset=page.offset if page else 0, limit=page.size if page else None, mask=last(request, "mask") == "1")


def event_id(request: web.Request) -> int:
    """The server's ApiIllegalPkException: a non-integer id is a 400, not a 404."""
    text = request.match_info["id"]
    if not text.isdigit() or len(text) > 18:
        raise ValidationError("Bad Request: Expected an integer database ID", key="bad_pk")
    return int(text)
