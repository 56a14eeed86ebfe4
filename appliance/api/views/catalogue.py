"""/api/v1/ the catalogue: var types, device templates, components, sensor graphs."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Routes are added by the Registry issue."""
