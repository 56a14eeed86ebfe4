"""Our multipart splitter against the bodies real clients produce, and hostile framing."""

from __future__ import annotations

import contextlib

import pytest
import requests
from aiohttp import FormData
from aiohttp.payload import get_payload
from hypothesis import given
from hypothesis import strategies as st

from appliance.api.multipart import parse_form
from appliance.errors import ValidationError

PAYLOAD = bytes(range(256)) * 4 + b"\r\n--not-the-boundary\r\n"


def requests_body(files: dict[str, tuple[str, bytes]], data: dict[str, str] | None = None) -> tuple[bytes, str]:
    prepared = requests.Request("POST", "http://127.0.0.1/", files=files, data=data or {}).prepare()
    return prepared.body, prepared.headers["Content-Type"]  # type: ignore[return-value]


async def aiohttp_body() -> tuple[bytes, str]:
    form = FormData()
    form.add_field("stream", "s--0000-0001--0000-0000-0000-0002--5001")
    form.add_field("file", PAYLOAD, filename="report.bin")
    payload = get_payload(form())

    class Sink:
        def __init__(self) -> None:
            self.data = b""

        async def write(self, chunk: bytes) -> None:
            self.data += bytes(chunk)

    sink = Sink()
    await payload.write(sink)  # type: ignore[arg-type]
    return sink.data, payload.content_type


def test_requests_bodies_as_iotile_ext_cloud_sends_them() -> None:
    body, content_type = requests_body({"file": ("report.bin", PAYLOAD)}, {"timestamp": "x"})
    form = parse_form(body, content_type)
    part = form.file("file")
    assert part is not None and part.filename == "report.bin" and part.data == PAYLOAD
    assert form.text("timestamp") == "x"


async def test_aiohttp_form_bodies() -> None:
    body, content_type = await aiohttp_body()
    form = parse_form(body, content_type)
    assert form.file("file").data == PAYLOAD  # type: ignore[union-attr]
    assert form.text("stream") == "s--0000-0001--0000-0000-0000-0002--5001"


@pytest.mark.parametrize("body,content_type", [
    (b"", "multipart/form-data; boundary=abc"),
    (b"--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nxyz", "multipart/form-data; boundary=abc"),
    (b"--abc\r\n\r\nxyz\r\n--abc--\r\n", "multipart/form-data; boundary=abc"),
    (b"--abc\r\nContent-Disposition: form-data\r\n\r\nxyz\r\n--abc--\r\n", "multipart/form-data; boundary=abc"),
    (b"--abc\r\nContent-Disposition: form-data; name=\"file\"xyz\r\n--abc--\r\n", "multipart/form-data; boundary=abc"),
    (b"whatever", "multipart/form-data"),
])
def test_malformed_framing_is_a_validation_error(body: bytes, content_type: str) -> None:
    with pytest.raises(ValidationError):
        parse_form(body, content_type)


@given(st.binary(max_size=300), st.text(alphabet="abcXYZ019'()+_,-./:=?", min_size=1, max_size=70))
def test_random_bodies_never_crash(body: bytes, boundary: str) -> None:
    with contextlib.suppress(ValidationError):
        parse_form(body, f'multipart/form-data; boundary="{boundary}"')
