"""Read and write settings.toml for the settings screen.

The screen edits the file, not the running values: the appliance reads settings at start, and
command-line overrides (``serve --port``) must not be written back by accident. Saving merges the
changed keys into what is on disk now and writes atomically (``save_settings``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

from appliance.app import Appliance
from appliance.config import Settings, load_settings, save_settings, validate
from appliance.errors import StartupError
from appliance.events import Changes

LOGGER = logging.getLogger(__name__)
RESTART_KEYS = frozenset({"server.host", "server.port"})


async def read_settings_file(appliance: Appliance) -> dict[str, Any]:
    settings = await asyncio.to_thread(load_settings, appliance.data_dir.settings)
    return dict(settings.values)


async def save_changes(appliance: Appliance, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate every change again (the file is the contract), then write once; returns the new file."""
    clean = {key: validate(key, value) for key, value in changes.items()}
    path = appliance.data_dir.settings

    def merge_and_save() -> dict[str, Any]:
        values = {**load_settings(path).values, **clean}
        save_settings(path, Settings(values))
        return values

    values = await asyncio.to_thread(merge_and_save)
    LOGGER.info("settings saved from the GUI: %s", ", ".join(sorted(clean)))
    appliance.events.publish(Changes(settings=True, initiator="gui", detail={"keys": sorted(clean)}))
    return values


def secret_saver(key: str, value: str) -> Callable[[Appliance], Coroutine[Any, Any, None]]:
    """Writes one secret (the keyring or the data directory's file store) off the Qt thread."""
    async def save(appliance: Appliance) -> None:
        secrets = appliance.secrets
        if secrets is None:
            raise StartupError("the secret store is not open", key="not_running")
        await asyncio.to_thread(secrets.set, key, value)
        LOGGER.info("secret %s saved from the GUI", key)

    return save
