"""Core work as small ``async (appliance) -> T`` functions (Anki's ``aqt/operations``).

They run on the appliance loop through ``gui.bridge.CoreOp``: no widget may be touched here, and
blocking calls (files, keyring, disk usage) go through ``asyncio.to_thread``. Functions that need
arguments are made by small factories returning an ``Op``.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from appliance.app import Appliance

T = TypeVar("T")
Op = Callable[["Appliance"], Coroutine[Any, Any, T]]
