"""/api/v1/ projects."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Routes are added by the Registry issue."""
