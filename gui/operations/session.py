"""Who is at the desk: sign-in, a remembered session kept in secrets, sign-out.

A remembered session is a JWT from the appliance's own codec stored in the secret store (the OS
keyring, or the explicit 0600 file), never in gui.ini. At the next start it is decoded, and
refreshed while inside the refresh window, so a shift does not start with a password prompt. An
expired or forged token is forgotten and the sign-in dialog is shown instead.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Protocol

from appliance.app import Appliance
from appliance.errors import AuthenticationError, NotFound, ValidationError
from appliance.services.accounts import AccountRecord

LOGGER = logging.getLogger(__name__)
SESSION_SECRET = "gui-session-jwt"  # noqa: S105 - the name of the secret, not its value


@dataclass(frozen=True)
class Session:
    account: AccountRecord
    token: str
    remembered: bool


class _Secrets(Protocol):
    """What this module needs of the appliance's secret store (gui/ never imports storage/)."""

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


def _secrets(appliance: Appliance) -> _Secrets:
    if appliance.secrets is None:
        raise AuthenticationError("The appliance is not running.", key="not_running")
    return appliance.secrets


async def _remember(appliance: Appliance, token: str | None) -> None:
    store = _secrets(appliance)
    if token is None:
        await asyncio.to_thread(store.delete, SESSION_SECRET)
    else:
        await asyncio.to_thread(store.set, SESSION_SECRET, token)


async def start_session(appliance: Appliance, account: AccountRecord, remember: bool) -> Session:
    token = appliance.jwt.issue(account.id, account.username, account.email)
    await _remember(appliance, token if remember else None)
    LOGGER.info("signed in as %s%s", account.email, " (remembered)" if remember else "")
    return Session(account, token, remember)


async def sign_in(appliance: Appliance, email: str, password: str, remember: bool) -> Session:
    account = await appliance.accounts.authenticate(email, password)
    return await start_session(appliance, account, remember)


async def restore_session(appliance: Appliance) -> Session | None:
    """The remembered session if it is still valid; otherwise it is forgotten and None returned."""
    token = await asyncio.to_thread(_secrets(appliance).get, SESSION_SECRET)
    if not token:
        return None
    try:
        claims, fresh = appliance.jwt.refresh(token)
        account = await appliance.accounts.get(claims.user_id)
        if not account.is_active:
            raise AuthenticationError("User account is disabled.", key="inactive")
    except (AuthenticationError, ValidationError, NotFound) as err:
        LOGGER.info("the remembered session is no longer valid (%s); signing in again", err.key)
        await _remember(appliance, None)
        return None
    await _remember(appliance, fresh)
    return Session(account, fresh, True)


async def sign_out(appliance: Appliance) -> None:
    await _remember(appliance, None)
    LOGGER.info("signed out")
