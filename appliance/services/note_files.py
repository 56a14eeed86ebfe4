"""What a note attachment is: the server's S3File (id, title, creation time, creator), spelled as
the blob key that holds the file, ``notes/<uuid>/<time>.<uploader>/<name>``.

The StreamNote row keeps only that key, so nothing else needs storing; ``safe_name`` makes any
client file name a valid, harmless basename.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote

MAX_TITLE = 100  # S3File.title
PREFIX = "notes"
_STAMP = "%Y%m%dT%H%M%S%fZ"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
FILE_TYPES = {".jpg": "image", ".jpeg": "image", ".png": "image", ".sgf": "sgf", ".trub": "device-script",
              ".html": "html", ".sxd": "SXd"}
CONTENT_TYPES = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".gif": "image/gif",
                 ".pdf": "application/pdf", ".txt": "text/plain", ".csv": "text/csv", ".json": "application/json"}


def safe_name(filename: str) -> str:
    """A basename that is a valid blob key part: no directories, no control or exotic characters."""
    decoded = unquote(filename or "")  # clients percent-encode names in form parts (aiohttp does)
    base = re.split(r"[/\\]", unicodedata.normalize("NFKC", decoded))[-1]
    cleaned = _UNSAFE.sub("_", base).lstrip("._-")
    if len(cleaned) > MAX_TITLE:
        suffix = PurePosixPath(cleaned).suffix[:16]
        cleaned = cleaned[:MAX_TITLE - len(suffix)] + suffix
    return cleaned or "attachment"


@dataclass(frozen=True)
class Attachment:
    """The server's S3File as the blob key spells it."""

    key: str
    id: str
    title: str
    created_on: datetime
    created_by: int | None

    @classmethod
    def new(cls, filename: str, created_by: int | None) -> Attachment:
        file_id, title, now = str(uuid.uuid4()), safe_name(filename), datetime.now(timezone.utc)
        key = f"{PREFIX}/{file_id}/{now.strftime(_STAMP)}.{created_by or 0}/{title}"
        return cls(key, file_id, title, now, created_by)

    @classmethod
    def parse(cls, key: str | None) -> Attachment | None:
        parts = (key or "").split("/")
        if len(parts) != 4 or parts[0] != PREFIX:
            return None
        stamp, _, by = parts[2].partition(".")
        try:
            created_on = datetime.strptime(stamp, _STAMP).replace(tzinfo=timezone.utc)
            return cls(key or "", str(uuid.UUID(parts[1])), parts[3], created_on, int(by) or None)
        except ValueError:
            return None

    @property
    def suffix(self) -> str:
        return PurePosixPath(self.title).suffix.lower()

    @property
    def file_type(self) -> str:
        return FILE_TYPES.get(self.suffix, "unk")

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES.get(self.suffix, "application/octet-stream")

    def as_json(self, url: str) -> dict[str, Any]:
        """S3FileSerializer: ``id, title, url, file_type, created_on, created_by`` (the user's id)."""
        return {"id": self.id, "title": self.title, "url": url, "file_type": self.file_type,
                "created_on": self.created_on, "created_by": self.created_by}
