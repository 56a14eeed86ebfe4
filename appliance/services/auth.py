"""Who is calling: turns an ``Authorization`` scheme and credentials into a Principal.

Schemes are a registry (``jwt``/``JWT`` and ``Token`` now; ``a-jwt`` and ``Api-Key`` are added by
the registry service) so the HTTP middleware and the GUI sign-in share one decision point.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from appliance.errors import AuthenticationError, NotFound
from appliance.services.accounts import AccountRecord, Accounts
from appliance.services.jwt_codec import JwtCodec
from appliance.services.ttlcache import LoadingCache


@dataclass(frozen=True)
class Principal:
    """An authenticated caller. ``account`` is None only for org Api-Key callers."""

    scheme: str
    account: AccountRecord | None
    org_id: int | None = None
    device_id: int | None = None
    expires_at: float | None = None  # a JWT's expiry (epoch seconds): sign-ins are never cached past it

    @property
    def is_staff(self) -> bool:
        return self.account is not None and self.account.is_staff


SchemeHandler = Callable[[str], Awaitable[Principal]]


class Authenticator:
    def __init__(self, accounts: Accounts, codec: JwtCodec, *, cache_seconds: float = 2.0) -> None:
        self._accounts = accounts
        self._codec = codec
        self._schemes: dict[str, SchemeHandler] = {"jwt": self._jwt, "token": self._token}
        self._cache: LoadingCache[str, Principal] = LoadingCache(cache_seconds)
        self._generation = accounts.generation

    def forget(self) -> None:
        """Drop cached sign-ins (after a password change, deactivation or logout)."""
        self._cache.clear()

    def register(self, scheme: str, handler: SchemeHandler) -> None:
        self._schemes[scheme.lower()] = handler

    async def from_header(self, header: str) -> Principal:
        """Successful checks are cached for a moment: gateways send the same header on every upload,
        and verifying a JWT and loading its account costs more than handling a small report."""
        if self._generation != self._accounts.generation:
            self._cache.clear()
            self._generation = self._accounts.generation
        return await self._cache.get(header, lambda: self._check(header), lifetime=_remaining)

    async def _check(self, header: str) -> Principal:
        scheme, _, credentials = header.strip().partition(" ")
        handler = self._schemes.get(scheme.lower())
        if handler is None or not credentials.strip():
            raise AuthenticationError("Invalid Authorization header.", key="bad_auth_header")
        return await handler(credentials.strip())

    async def _jwt(self, token: str) -> Principal:
        claims = self._codec.decode(token)
        return Principal("jwt", await self._active(claims.user_id), expires_at=claims.exp)

    async def _token(self, key: str) -> Principal:
        account = await self._accounts.account_for_token(key)
        if account is None:
            raise AuthenticationError("Invalid token.", key="token_invalid")
        return Principal("token", _require_active(account))

    async def _active(self, account_id: int) -> AccountRecord:
        try:
            account = await self._accounts.get(account_id)
        except NotFound as err:
            raise AuthenticationError("User not found.", key="token_invalid") from err
        return _require_active(account)


def _remaining(who: Principal) -> float | None:
    """How long a sign-in may be served from the cache: never past its token's expiry."""
    return None if who.expires_at is None else who.expires_at - time.time()


def _require_active(account: AccountRecord) -> AccountRecord:
    if not account.is_active:
        raise AuthenticationError("User account is disabled.", key="inactive")
    return account
