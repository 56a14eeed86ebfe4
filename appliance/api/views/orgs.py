"""/api/v1/ orgs, memberships, invitations and org API keys."""

from __future__ import annotations

from aiohttp import web


def setup(app: web.Application) -> None:
    """Routes are added by the Registry issue."""
