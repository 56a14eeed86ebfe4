"""The event ingest publishes when a device reports a new OS or app version (a changed 5c08/5c09).

Kept in its own small module so ingest depends on nothing else of OTA: the OTA service subscribes
and confirms deployments from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ReportedVersion(Protocol):
    """One decoded version reading (ingest's ``Version``)."""

    @property
    def kind(self) -> str: ...  # "os" (5c08) or "sg" (5c09)

    @property
    def tag(self) -> int: ...

    @property
    def major(self) -> int: ...

    @property
    def minor(self) -> int: ...

    @property
    def streamer_local_id(self) -> int: ...

    @property
    def timestamp(self) -> datetime: ...


@dataclass(frozen=True)
class VersionsChanged:
    """Published after the new version rows are committed; ``versions`` are only the changed ones."""

    device_id: int
    versions: tuple[ReportedVersion, ...]
