"""The version reported by the CLI, /api/v1/server/ and the GUI's About box."""

from __future__ import annotations

from importlib import metadata

try:
    __version__ = metadata.version("iotile-appliance")
except metadata.PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+source"
