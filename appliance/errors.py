"""One error hierarchy for the whole appliance.

Every domain error carries a stable message ``key`` (for GUI translations and tests) and an HTTP
``status`` so that the API middleware and the GUI's error dialog are the only two places that
catch broadly; everything else raises and lets them decide how to show it.
"""

from __future__ import annotations

from typing import Any


class ApplianceError(Exception):
    """Base of every error the appliance raises on purpose."""

    status: int = 500
    key: str = "error"

    def __init__(self, message: str, *, key: str | None = None, detail: Any = None) -> None:
        super().__init__(message)
        self.message = message
        if key is not None:
            self.key = key
        self.detail = detail

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.message}
        if self.detail is not None:
            body["detail"] = self.detail
        return body


class ValidationError(ApplianceError):
    """The caller sent something malformed; nothing was stored."""

    status = 400
    key = "invalid"


class AuthenticationError(ApplianceError):
    """No credentials, or credentials that do not identify anybody."""

    status = 401
    key = "not_authenticated"


class PermissionDenied(ApplianceError):
    """The caller is known but may not do this."""

    status = 403
    key = "forbidden"


class NotFound(ApplianceError):
    """The object does not exist, or the caller may not know that it does."""

    status = 404
    key = "not_found"


class Conflict(ApplianceError):
    """The request clashes with the current state (duplicate name, device already claimed...)."""

    status = 409
    key = "conflict"


class PayloadTooLarge(ApplianceError):
    """The request body is over the configured limit."""

    status = 413
    key = "too_large"


class DeviceError(ApplianceError):
    """A device or BLE adapter misbehaved."""

    status = 502
    key = "device"


class StorageError(ApplianceError):
    """A store failed (disk full, corrupt file, locked data directory)."""

    status = 503
    key = "storage"


class StartupError(ApplianceError):
    """The appliance cannot start; the message tells an operator what to do."""

    status = 500
    key = "startup"
