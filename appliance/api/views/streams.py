"""/api/v1/ stream variables and stream ids."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Routes are added by the Registry issue."""
