"""Secrets (JWT signing key, S3 credentials, device keys, SMTP password) behind one interface.

keyring picks a backend by itself, and without a desktop session it either fails at use time or,
with keyrings.alt installed, silently writes plaintext. So the backend is chosen here, explicitly:
the OS keyring when it really works, otherwise a file readable only by this user (0600) inside the
data directory, and the choice is reported (``kind`` / ``description``) so start-up can say so.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from pathlib import Path
from typing import Literal, Protocol

import keyring
import keyring.backend
import keyring.errors
from keyring.backends import chainer, fail

LOGGER = logging.getLogger(__name__)

BackendChoice = Literal["auto", "keyring", "file"]
_PLAINTEXT_BACKENDS = ("keyrings.alt",)


class SecretStoreError(RuntimeError):
    """The requested backend cannot be used; the message says why."""


class SecretStore(Protocol):
    kind: str
    description: str

    def get(self, name: str) -> str | None: ...

    def set(self, name: str, value: str) -> None: ...

    def delete(self, name: str) -> None: ...


class KeyringSecretStore:
    """The OS keyring, with one service name per data directory so two appliances never mix keys."""

    kind = "keyring"

    def __init__(self, backend: keyring.backend.KeyringBackend, service: str) -> None:
        self._backend = backend
        self._service = service
        self.description = f"OS keyring ({type(backend).__module__}.{type(backend).__name__})"

    def get(self, name: str) -> str | None:
        return self._backend.get_password(self._service, name)

    def set(self, name: str, value: str) -> None:
        self._backend.set_password(self._service, name, value)

    def delete(self, name: str) -> None:
        try:
            self._backend.delete_password(self._service, name)
        except keyring.errors.PasswordDeleteError:
            return


class FileSecretStore:
    """A JSON file created with mode 0600; written atomically so a crash never loses every secret."""

    kind = "file"

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self.description = f"file {path} (mode 0600, readable only by this user; no OS keyring in use)"

    def get(self, name: str) -> str | None:
        with self._lock:
            return self._load().get(name)

    def set(self, name: str, value: str) -> None:
        with self._lock:
            data = self._load()
            data[name] = value
            self._save(data)

    def delete(self, name: str) -> None:
        with self._lock:
            data = self._load()
            if data.pop(name, None) is not None:
                self._save(data)

    def _load(self) -> dict[str, str]:
        if not self._path.exists():
            return {}
        mode = self._path.stat().st_mode & 0o777
        if os.name == "posix" and mode & 0o077:
            raise SecretStoreError(f"{self._path} is readable by other users (mode {mode:o}); chmod 600 it")
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as err:
            raise SecretStoreError(f"{self._path} is corrupt: {err}") from err
        if not isinstance(data, dict):
            raise SecretStoreError(f"{self._path} is corrupt: not a JSON object")
        return {str(k): str(v) for k, v in data.items()}

    def _save(self, data: dict[str, str]) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self._path.with_name(self._path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self._path)


def _usable_keyring() -> tuple[keyring.backend.KeyringBackend | None, str]:
    backend = keyring.get_keyring()
    if isinstance(backend, fail.Keyring):
        return None, "no OS keyring is available"
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None, "no OS keyring is available"
    if type(backend).__module__.startswith(_PLAINTEXT_BACKENDS):
        return None, f"the only keyring ({type(backend).__module__}) stores plaintext"
    try:
        backend.get_password("iotile-appliance-probe", "probe")
    except Exception as err:  # noqa: BLE001 - any backend failure means "not usable"
        return None, f"the OS keyring does not answer ({err.__class__.__name__}: {err})"
    return backend, "ok"


def open_secret_store(data_dir: Path, choice: BackendChoice = "auto") -> SecretStore:
    """Pick the backend explicitly and log which one, never falling back silently."""
    service = "iotile-appliance:" + hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:16]
    file_store = FileSecretStore(data_dir / "secrets.json")
    if choice == "file":
        store: SecretStore = file_store
    else:
        backend, why = _usable_keyring()
        if backend is not None:
            store = KeyringSecretStore(backend, service)
        elif choice == "keyring":
            raise SecretStoreError(f"secrets.backend is 'keyring' but {why}")
        else:
            LOGGER.warning("Secrets: %s; using %s", why, file_store.description)
            store = file_store
    LOGGER.info("Secrets are kept in: %s", store.description)
    return store
