"""Password hashing with Argon2id (argon2-cffi's defaults follow RFC 9106's recommendations).

Hashing costs tens of milliseconds of CPU on purpose, so callers on the event loop run these in an
executor. ``verify`` of an unknown account still hashes, so response time does not reveal which
e-mail addresses have accounts.
"""

from __future__ import annotations

import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from appliance.errors import ValidationError

_HASHER = PasswordHasher()
_DUMMY_HASH = _HASHER.hash("not-a-real-password")
MIN_LENGTH = 8
MAX_LENGTH = 1024


def check_strength(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise ValidationError(f"password must be at least {MIN_LENGTH} characters", key="weak_password")
    if len(password) > MAX_LENGTH:
        raise ValidationError(f"password must be at most {MAX_LENGTH} characters", key="weak_password")


def hash_password(password: str) -> str:
    check_strength(password)
    return _HASHER.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def generate_password(length: int = 16) -> str:
    """A one-time password an operator can read aloud: no look-alike characters."""
    alphabet = "".join(c for c in string.ascii_letters + string.digits if c not in "Il1O0o")
    return "".join(secrets.choice(alphabet) for _ in range(length))
