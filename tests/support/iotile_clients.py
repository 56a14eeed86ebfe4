"""The IOTile client libraries, pointed at a test appliance without touching any global config file."""

from __future__ import annotations

from iotile.cloud.cloud import IOTileCloud
from iotile.core.dev.registry import ComponentRegistry

ComponentRegistry.SetBackingStore("memory")  # tests never write the venv's component_registry.db


def iotile_cloud(url: str, token: str, token_type: str = "jwt") -> IOTileCloud:
    registry = ComponentRegistry()
    registry.set_config("arch:cloud_token", token)
    registry.set_config("arch:cloud_token_type", token_type)
    return IOTileCloud(domain=url)
