"""In-process change notifications: services publish, the GUI bridge and tests subscribe.

One typed mechanism (STYLE B.6): an event is a frozen dataclass; subscribers register for a class
and are called on the appliance's loop thread. A failing subscriber is logged and never breaks the
publisher.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

LOGGER = logging.getLogger(__name__)

E = TypeVar("E")


@dataclass(frozen=True)
class Changes:
    """What kind of state changed, so each view refreshes only on its own flags."""

    accounts: bool = False
    orgs: bool = False
    projects: bool = False
    devices: bool = False
    streams: bool = False
    readings: bool = False
    jobs: bool = False
    settings: bool = False
    initiator: str = ""
    detail: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)


class EventBus:
    def __init__(self) -> None:
        self._subscribers: dict[type, list[Callable[[Any], None]]] = {}

    def subscribe(self, kind: type[E], callback: Callable[[E], None]) -> Callable[[], None]:
        """Returns the function that unsubscribes."""
        self._subscribers.setdefault(kind, []).append(callback)
        return lambda: self._subscribers.get(kind, []).remove(callback)

    def publish(self, event: object) -> None:
        for kind in type(event).__mro__:
            for callback in list(self._subscribers.get(kind, ())):
                try:
                    callback(event)
                except Exception:
                    LOGGER.exception("subscriber %r failed on %r", callback, type(event).__name__)
