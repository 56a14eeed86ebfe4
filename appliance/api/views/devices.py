"""/api/v1/ devices: listing, claiming, status, health and device keys."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Routes are added by the Registry issue."""
