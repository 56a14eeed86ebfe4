"""JWTs the way iotile.cloud (djangorestframework-jwt) issues them, signed with PyJWT.

HS256, ``exp`` after the configured lifetime, ``orig_iat`` kept across refreshes so a token can be
refreshed only within the refresh window of the original login. The signing key lives in secrets.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

import jwt

from appliance.errors import AuthenticationError, ValidationError

ALGORITHM = "HS256"
SIGNING_KEY_SECRET = "jwt-signing-key"  # noqa: S105 - the name of the secret, not its value


def new_signing_key() -> str:
    return secrets.token_urlsafe(48)


@dataclass(frozen=True)
class JwtClaims:
    user_id: int
    username: str
    email: str
    orig_iat: int
    exp: int


class JwtCodec:
    def __init__(self, key: str, lifetime: timedelta, refresh_window: timedelta) -> None:
        self._key = key
        self._lifetime = lifetime
        self._refresh_window = refresh_window

    def issue(self, user_id: int, username: str, email: str, *, orig_iat: int | None = None) -> str:
        now = datetime.now(timezone.utc)
        payload: dict[str, Any] = {
            "user_id": user_id,
            "username": username,
            "email": email,
            "exp": now + self._lifetime,
            "orig_iat": orig_iat if orig_iat is not None else int(now.timestamp()),
        }
        return jwt.encode(payload, self._key, algorithm=ALGORITHM)

    def decode(self, token: str) -> JwtClaims:
        """Raise AuthenticationError for expired, forged or malformed tokens."""
        try:
            payload = jwt.decode(token, self._key, algorithms=[ALGORITHM],
                                 options={"require": ["exp", "user_id", "orig_iat"]})
        except jwt.ExpiredSignatureError as err:
            raise AuthenticationError("Signature has expired.", key="token_expired") from err
        except jwt.PyJWTError as err:
            raise AuthenticationError("Error decoding signature.", key="token_invalid") from err
        try:
            return JwtClaims(int(payload["user_id"]), str(payload.get("username", "")),
                             str(payload.get("email", "")), int(payload["orig_iat"]), int(payload["exp"]))
        except (TypeError, ValueError) as err:
            raise AuthenticationError("Error decoding signature.", key="token_invalid") from err

    def refresh(self, token: str) -> tuple[JwtClaims, str]:
        """A new token with the same orig_iat; refused once the refresh window has passed."""
        claims = self.decode(token)
        limit = claims.orig_iat + int(self._refresh_window.total_seconds())
        if datetime.now(timezone.utc).timestamp() > limit:
            raise ValidationError("Refresh has expired.", key="refresh_expired")
        return claims, self.issue(claims.user_id, claims.username, claims.email, orig_iat=claims.orig_iat)
