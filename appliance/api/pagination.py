"""DRF's PageNumberPagination on the wire: ``{count, next, previous, results}``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from appliance.errors import NotFound


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def page_of(request: web.Request, *, default_size: int = 100, max_size: int = 1000) -> Page:
    """Like DRF: a bad page_size falls back to the default, a bad page is 404 "Invalid page."."""
    raw_size = request.query.get("page_size", "")
    size = int(raw_size) if raw_size.isdigit() and int(raw_size) > 0 else default_size
    raw_page = request.query.get("page", "1")
    if raw_page == "last":
        raise NotFound("Invalid page.", key="invalid_page")
    if not raw_page.isdigit() or int(raw_page) < 1:
        raise NotFound("Invalid page.", key="invalid_page")
    return Page(int(raw_page), min(size, max_size))


def paginated(request: web.Request, page: Page, count: int, results: Sequence[Any]) -> dict[str, Any]:
    if page.number > 1 and page.offset >= count:
        raise NotFound("Invalid page.", key="invalid_page")
    url = request.url

    def link(number: int) -> str | None:
        if number == 1:
            return str(url.without_query_params("page"))
        return str(url.update_query(page=str(number)))

    has_next = page.offset + len(results) < count
    return {
        "count": count,
        "next": link(page.number + 1) if has_next else None,
        "previous": link(page.number - 1) if page.number > 1 else None,
        "results": list(results),
    }
