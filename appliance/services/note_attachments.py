"""Note attachments: one file per note, kept in the blob store (iotile.cloud keeps it in S3).

The server attaches a file in three steps (``note/<id>/uploadurl/`` gives a presigned S3 POST, the
client posts to S3, ``note/<id>/uploadsuccess/`` links the S3File). An appliance has no S3 in
between, so the file is posted to the appliance itself in one multipart request and stored as the
blob ``notes/<uuid>/<time>.<uploader>/<name>``: the key carries what the server's S3File row holds
(id, title, creation time, creator), so the StreamNote's ``attachment`` column is all there is to
store. The server's limit applies: 4,096,000 bytes. Any member of the note target's org may attach
or remove a file (as the server lets any member upload); reading it needs can_read_notes.

File names are reduced to a safe basename (letters, digits, ``.``, ``-``, ``_``); the file is
always served as a download (``Content-Disposition: attachment``, ``nosniff``), never rendered.
"""

from __future__ import annotations

import asyncio
import logging

from appliance.errors import NotFound, PayloadTooLarge, ValidationError
from appliance.services import db
from appliance.services.note_files import Attachment
from appliance.services.notes import NoteRecord, NoteService, record_of
from appliance.services.permissions import Access, Perm
from storage.blobs import BlobKeyError, BlobStore
from storage.metadata import MetadataStore
from storage.metadata.repos import notes as repo

LOGGER = logging.getLogger(__name__)
MAX_ATTACHMENT_BYTES = 4_096_000  # the server's S3 upload policy for note attachments


def note_id_of(text: str) -> int:
    """The server's 'Note ID must be a integer' (400), not a 404."""
    if not (text.isascii() and text.isdigit()) or len(text) > 18:
        raise ValidationError("Note ID must be a integer", key="bad_pk")
    return int(text)


class NoteAttachments:
    def __init__(self, metadata: MetadataStore, blobs: BlobStore, notes: NoteService) -> None:
        self._metadata = metadata
        self._blobs = blobs
        self._notes = notes

    async def note(self, access: Access, note_id: int, perm: Perm | None) -> NoteRecord:
        """The note, if the caller is a member of its target's org (and holds ``perm``)."""
        row = await db.read(self._metadata, lambda s: repo.note_row(s, note_id))
        if row is None:
            raise NotFound("note not found")
        record = record_of(row)
        await self._notes.resolve(access, record.target, perm)
        return record

    async def attach(self, note: NoteRecord, filename: str, data: bytes, account_id: int | None) -> Attachment:
        """Store the file, point the note at it, then drop the file it replaces."""
        if not data:
            raise ValidationError("the attached file is empty", key="empty_file")
        if len(data) > MAX_ATTACHMENT_BYTES:
            raise PayloadTooLarge(f"an attachment may have at most {MAX_ATTACHMENT_BYTES} bytes")
        attachment = Attachment.new(filename, account_id)
        await asyncio.to_thread(self._blobs.put, attachment.key, data)
        try:
            previous = await db.write(self._metadata, lambda s: repo.set_attachment(s, note.id, attachment.key))
        except BaseException:
            await asyncio.to_thread(self._blobs.delete, attachment.key)
            raise
        await self._drop(previous)
        LOGGER.info("note %s: attachment %s (%d bytes)", note.id, attachment.title, len(data))
        return attachment

    async def read(self, note: NoteRecord) -> tuple[Attachment, bytes]:
        attachment = Attachment.parse(note.attachment)
        if attachment is None:
            raise NotFound("this note has no attachment", key="no_attachment")
        try:
            return attachment, await asyncio.to_thread(self._blobs.get, attachment.key)
        except (KeyError, BlobKeyError):
            raise NotFound("the attachment's file is missing", key="no_attachment") from None

    async def remove(self, note: NoteRecord) -> None:
        if note.attachment is None:
            raise NotFound("this note has no attachment", key="no_attachment")
        await self._drop(await db.write(self._metadata, lambda s: repo.set_attachment(s, note.id, None)))

    async def _drop(self, key: str | None) -> None:
        if key:
            try:
                await asyncio.to_thread(self._blobs.delete, key)
            except BlobKeyError:
                LOGGER.warning("not removing an attachment with an unexpected key %r", key)
