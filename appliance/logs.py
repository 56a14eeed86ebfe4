"""Logging set-up: one rotating file in the data directory plus the console.

Secrets (passwords, tokens) are never passed to a logger; the first-run password is written to
the console directly by the CLI so it cannot end up in logs/.
"""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
_HANDLER_NAME = "iotile-appliance-file"


def setup_logging(logs_dir: Path, level: str = "INFO", *, console: bool = True) -> None:
    """Idempotent: a second call (GUI restart of the core, tests) does not add handlers twice."""
    root = logging.getLogger()
    root.setLevel(level.upper())
    if any(h.get_name() == _HANDLER_NAME for h in root.handlers):
        return
    logs_dir.mkdir(parents=True, exist_ok=True)
    file_handler = logging.handlers.RotatingFileHandler(
        logs_dir / "appliance.log", maxBytes=5 * 1024 * 1024, backupCount=5, encoding="utf-8"
    )
    file_handler.set_name(_HANDLER_NAME)
    file_handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root.addHandler(file_handler)
    if console and not any(isinstance(h, logging.StreamHandler) and h.get_name() == "console" for h in root.handlers):
        stream = logging.StreamHandler()
        stream.set_name("console")
        stream.setFormatter(logging.Formatter(LOG_FORMAT))
        root.addHandler(stream)
    for noisy in ("aiohttp.access", "apscheduler.executors.default"):
        logging.getLogger(noisy).setLevel(logging.WARNING)

