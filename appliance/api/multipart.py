"""The one multipart shape uploads use: a ``file`` field (and a few form fields) in a bounded body.

aiohttp's multipart reader parses every part's headers through the email package, which measured
as the biggest single cost of a small report upload on the event loop. Uploads are bounded in size
and read whole anyway, so the body is split on its boundary here (RFC 7578 / RFC 2046 framing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from appliance.errors import ValidationError

_BOUNDARY = re.compile(r';\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))', re.IGNORECASE)
_PARAM = re.compile(rb';\s*([a-zA-Z*]+)="((?:[^"\\]|\\.)*)"|;\s*([a-zA-Z*]+)=([^;\s]*)')


@dataclass(frozen=True)
class FormPart:
    name: str
    filename: str | None
    data: bytes


@dataclass(frozen=True)
class Form:
    parts: list[FormPart] = field(default_factory=list)

    def file(self, name: str) -> FormPart | None:
        return next((p for p in self.parts if p.name == name and p.filename is not None), None) or \
            next((p for p in self.parts if p.name == name), None)

    def text(self, name: str) -> str | None:
        part = next((p for p in self.parts if p.name == name), None)
        if part is None:
            return None
        try:
            return part.data.decode("utf-8")
        except UnicodeDecodeError as err:
            raise ValidationError(f"{name}: not UTF-8 text", key="bad_form") from err


def boundary_of(content_type: str) -> bytes:
    match = _BOUNDARY.search(content_type)
    if match is None:
        raise ValidationError("multipart body without a boundary", key="bad_multipart")
    return (match.group(1) or match.group(2)).encode("latin-1")


def parse_form(body: bytes, content_type: str) -> Form:
    """Every part of a multipart/form-data body; malformed framing is a 400, never a 500."""
    delimiter = b"--" + boundary_of(content_type)
    if not body.startswith(delimiter):
        start = body.find(b"\r\n" + delimiter)
        if start < 0:
            raise ValidationError("multipart body does not contain its boundary", key="bad_multipart")
        body = body[start + 2:]
    chunks = body.split(b"\r\n" + delimiter)
    chunks[0] = chunks[0][len(delimiter):]
    parts: list[FormPart] = []
    for chunk in chunks:
        if chunk.startswith(b"--"):
            return Form(parts)
        parts.append(_part(chunk))
    raise ValidationError("multipart body is truncated (no closing boundary)", key="bad_multipart")


def _part(chunk: bytes) -> FormPart:
    if not chunk.startswith(b"\r\n"):
        raise ValidationError("malformed multipart part", key="bad_multipart")
    head, sep, data = chunk[2:].partition(b"\r\n\r\n")
    if not sep:
        raise ValidationError("malformed multipart part headers", key="bad_multipart")
    disposition = next((line for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-disposition:")), None)
    if disposition is None:
        raise ValidationError("multipart part without Content-Disposition", key="bad_multipart")
    params = _params(disposition)
    if "name" not in params:
        raise ValidationError("multipart part without a name", key="bad_multipart")
    return FormPart(params["name"], params.get("filename"), data)


def _params(line: bytes) -> dict[str, str]:
    found: dict[str, str] = {}
    for quoted_key, quoted, bare_key, bare in _PARAM.findall(line):
        key = (quoted_key or bare_key).decode("latin-1").lower()
        raw = quoted.replace(b'\\"', b'"') if quoted_key else bare
        found[key] = raw.decode("utf-8", errors="replace")
    return found
