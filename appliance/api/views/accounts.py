"""/api/v1/ accounts: staff creation, password change, deactivation."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Routes are added by the Registry issue."""
