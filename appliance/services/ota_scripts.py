"""OTA device scripts (``z--`` slugs): a named, versioned file kept as a blob.

On iotile.cloud only staff write scripts (for the vendor org) and users fetch released ones by slug;
an appliance has no vendor, so here the org's ``can_manage_ota`` holders (Developers, staff) create,
upload and release them, and members see the released ones. The file is served through a signed,
expiring URL because iotile-ext-cloud downloads it with a bare GET, as it would from S3.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from appliance.errors import NotFound, PayloadTooLarge, ValidationError
from appliance.services import db
from appliance.services import fieldspec as fs
from appliance.services.fleets import org_for
from appliance.services.ota_records import ScriptRecord, script_record
from appliance.services.permissions import Access, Perm
from appliance.slugs import DeviceScriptSlug
from storage.blobs import BlobStore
from storage.metadata import DeviceScript, MetadataStore
from storage.metadata.repos import ota as repo
from storage.secrets import SecretStore

LOGGER = logging.getLogger(__name__)
T = TypeVar("T")

MAX_SCRIPT_BYTES = 16 * 1024 * 1024
DOWNLOAD_KEY_SECRET = "ota-download-key"  # noqa: S105 - the secret's name, not its value
URL_LIFETIME = 3600  # seconds, as an S3 pre-signed URL's default
_SEMVER = re.compile(r"v?([0-9]{1,9})\.([0-9]{1,9})\.([0-9]{1,9})")
_SAFE = re.compile(r"[^A-Za-z0-9._-]+")
_PART = fs.integer(0, (1 << 31) - 1)


def semver(name: str, value: Any) -> tuple[int, int, int]:
    match = _SEMVER.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise fs.invalid(name, "expected a version major.minor.patch, such as 1.2.0")
    return int(match[1]), int(match[2]), int(match[3])


SCRIPT_SPEC = fs.Spec(
    {"name": fs.text(50, blank=False), "org": fs.text(60, blank=False), "version": semver,
     "major_version": _PART, "minor_version": _PART, "patch_version": _PART, "released": fs.boolean,
     "notes": fs.ignored},
    read_only=frozenset({"slug", "gid", "created_on", "released_on"}), required=frozenset({"name", "org"}))
_PARTS = ("major_version", "minor_version", "patch_version")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


def check_upload(upload: Upload) -> None:
    if not upload.data:
        raise ValidationError("file: the submitted file is empty", key="empty_file")
    if len(upload.data) > MAX_SCRIPT_BYTES:
        raise PayloadTooLarge(f"file: a script is at most {MAX_SCRIPT_BYTES} bytes")


def blob_key(filename: str) -> str:
    name = _SAFE.sub("_", filename.replace("\\", "/").rsplit("/", 1)[-1]).replace("..", "_").lstrip("._-")[:100]
    return f"ota/scripts/{uuid.uuid4().hex}/{name or 'script.bin'}"


def _clean(body: dict[str, Any], *, partial: bool) -> dict[str, Any]:
    data = SCRIPT_SPEC.parse(body, partial=partial)
    data.pop("notes", None)
    version = data.pop("version", None)
    if version is not None:
        if any(part in data for part in _PARTS):
            raise fs.invalid("version", "give version or major/minor/patch_version, not both")
        data.update(zip(_PARTS, version, strict=True))
    return data


def _version_of(data: dict[str, Any], default: tuple[int, int, int]) -> tuple[int, int, int]:
    major, minor, patch = (int(data.get(name, value)) for name, value in zip(_PARTS, default, strict=True))
    return major, minor, patch


class DownloadSigner:
    """HMAC over (script, file key, expiry): a new upload or an hour's wait voids a URL."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    @classmethod
    def from_secrets(cls, store: SecretStore) -> DownloadSigner:
        """Blocking (keyring I/O): call off the loop."""
        key = store.get(DOWNLOAD_KEY_SECRET)
        if not key:
            key = secrets.token_hex(32)
            store.set(DOWNLOAD_KEY_SECRET, key)
        return cls(bytes.fromhex(key))

    def _mac(self, script: ScriptRecord, expires: int) -> str:
        message = f"{script.id}:{script.file}:{expires}".encode()
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def sign(self, script: ScriptRecord, now: float | None = None) -> tuple[int, str]:
        expires = int(now if now is not None else time.time()) + URL_LIFETIME
        return expires, self._mac(script, expires)

    def verify(self, script: ScriptRecord, expires: int, signature: str) -> bool:
        return expires >= time.time() and hmac.compare_digest(self._mac(script, expires), signature)


def _visible(session: Session, access: Access, slug: str) -> ScriptRecord:
    """Members see released scripts; unreleased ones exist only for can_manage_ota holders."""
    row = repo.script_by_id(session, DeviceScriptSlug.parse(slug).id)
    if row is None:
        raise NotFound("device script not found")
    record = script_record(row)
    access.visible(record.org_id, "device script")
    if not record.released and not access.can(record.org_id, Perm.MANAGE_OTA):
        raise NotFound("device script not found")
    return record


def _writable(session: Session, access: Access, slug: str) -> ScriptRecord:
    record = _visible(session, access, slug)
    access.require(record.org_id, Perm.MANAGE_OTA, "device script")
    return record


def _check_unique(session: Session, org_id: int, name: str, version: tuple[int, int, int], exclude: int | None) -> None:
    if repo.script_taken(session, org_id, name, version, exclude):
        message = "The fields org, name, major_version, minor_version, patch_version must make a unique set."
        raise ValidationError(message, key="duplicate_script", detail={"non_field_errors": [message]})


class ScriptService:
    def __init__(self, metadata: MetadataStore, blobs: BlobStore) -> None:
        self._metadata = metadata
        self._blobs = blobs

    async def page(self, access: Access, scope: frozenset[int] | None, *, org: str | None, version: str | None,
                   offset: int, limit: int) -> tuple[int, list[ScriptRecord]]:
        parts = [_PART("version", p) for p in version.lstrip("v").split(".")[:3]] if version else []
        manage = None if access.is_staff else frozenset(o for o in access.roles if access.can(o, Perm.MANAGE_OTA))

        def read(session: Session) -> tuple[int, list[ScriptRecord]]:
            org_id = org_for(session, access, org) if org else None
            count, rows = repo.script_page(session, org_ids=scope, manage_ids=manage, org_id=org_id,
                                           version=parts, offset=offset, limit=limit)
            return count, [script_record(r) for r in rows]

        return await db.read(self._metadata, read)

    async def get(self, access: Access, slug: str) -> ScriptRecord:
        DeviceScriptSlug.parse(slug)
        return await db.read(self._metadata, lambda s: _visible(s, access, slug))

    async def create(self, access: Access, body: dict[str, Any], upload: Upload | None, *,
                     created_by_id: int | None) -> ScriptRecord:
        """Everything is checked before the file is written; a refused insert removes it again."""
        data = _clean(body, partial=False)
        version = _version_of(data, (0, 0, 0))
        if upload is not None:
            check_upload(upload)

        def check(session: Session) -> int:
            org_id = org_for(session, access, data["org"])
            access.require(org_id, Perm.MANAGE_OTA, "org")
            _check_unique(session, org_id, data["name"], version, None)
            return org_id

        def insert(session: Session) -> ScriptRecord:
            values = {k: v for k, v in data.items() if k != "org"}
            new_id = repo.insert_script(session, org_id=check(session), created_by_id=created_by_id, file=key,
                                        **values)
            row = repo.script_by_id(session, new_id)
            assert row is not None
            return script_record(row)

        await db.read(self._metadata, check)
        key = await self._put(upload) if upload else None
        record = await self._guarded(key, insert)
        LOGGER.info("device script %s (%s) created in %s", record.slug, record.name, record.org)
        return record

    async def update(self, access: Access, slug: str, body: dict[str, Any]) -> ScriptRecord:
        DeviceScriptSlug.parse(slug)
        data = _clean(body, partial=True)

        def change(session: Session) -> ScriptRecord:
            record = _writable(session, access, slug)
            if data.pop("org", record.org) != record.org:
                raise fs.invalid("org", "a script cannot move to another org")
            version = _version_of(data, record.version)
            _check_unique(session, record.org_id, data.get("name", record.name), version, record.id)
            repo.update_row(session, DeviceScript, record.id, data)
            return _visible(session, access, slug)

        return await db.write(self._metadata, change)

    async def delete(self, access: Access, slug: str) -> None:
        """Deployment requests of the script go with it, as on the server."""
        DeviceScriptSlug.parse(slug)

        def remove(session: Session) -> str | None:
            record = _writable(session, access, slug)
            repo.delete_row(session, DeviceScript, record.id)
            return record.file

        key = await db.write(self._metadata, remove)
        if key:
            await asyncio.to_thread(self._blobs.delete, key)
        LOGGER.info("device script %s deleted", slug)

    async def upload(self, access: Access, slug: str, upload: Upload) -> ScriptRecord:
        """Replace the script's file; the old blob goes once the new one is recorded."""
        DeviceScriptSlug.parse(slug)
        check_upload(upload)
        await db.read(self._metadata, lambda s: _writable(s, access, slug))
        key = await self._put(upload)

        def record_file(session: Session) -> tuple[ScriptRecord, str | None]:
            record = _writable(session, access, slug)
            repo.update_row(session, DeviceScript, record.id, {"file": key})
            return _visible(session, access, slug), record.file

        record, old = await self._guarded(key, record_file)
        if old:
            await asyncio.to_thread(self._blobs.delete, old)
        LOGGER.info("device script %s: new file %s (%d bytes)", slug, key, len(upload.data))
        return record

    async def read_file(self, record: ScriptRecord) -> bytes:
        if not record.file:
            raise NotFound("this device script has no file yet", key="no_file")
        try:
            return await asyncio.to_thread(self._blobs.get, record.file)
        except KeyError as err:
            raise NotFound("this device script's file is missing", key="no_file") from err

    async def by_slug(self, slug: str) -> ScriptRecord | None:
        """No permission check: for a download whose signature is checked instead."""
        row = await db.read(self._metadata, lambda s: repo.script_by_id(s, DeviceScriptSlug.parse(slug).id))
        return None if row is None else script_record(row)

    async def _put(self, upload: Upload) -> str:
        key = blob_key(upload.filename)
        await asyncio.to_thread(self._blobs.put, key, upload.data)
        return key

    async def _guarded(self, key: str | None, fn: Callable[[Session], T]) -> T:
        """Run a metadata write that records ``key``; when it fails the blob is removed again."""
        recorded = False
        try:
            result = await db.write(self._metadata, fn)
            recorded = True
            return result
        finally:
            if key and not recorded:
                await asyncio.to_thread(self._blobs.delete, key)
