"""Note attachments: a file posted to note/<id>/attachment/ is kept as a blob, read back, replaced,
removed; who may do what; hostile uploads refused with nothing changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from appliance.app import Appliance
from appliance.services.note_files import safe_name
from storage.metadata import StreamNote
from tests.api.registry_support import API, CALLERS, MEMBERS, Registry, build_registry, db_read, expected
from tests.api.test_notes import DEVICE, READERS, note

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
LIMIT = 4_096_000


@pytest.fixture
async def reg(api: Any, appliance: Appliance) -> Registry:
    return await build_registry(appliance, api)


async def new_note(reg: Registry, who: str = "m1") -> int:
    status, body = await reg.call("POST", "/note/", who, note())
    assert status == 201
    return int(body["id"])


def form(data: bytes, filename: str = "photo.png", field: str = "file") -> aiohttp.FormData:
    result = aiohttp.FormData()
    result.add_field(field, data, filename=filename, content_type="image/png")
    return result


async def attach(reg: Registry, note_id: int, who: str, body: Any) -> tuple[int, Any]:
    resp = await reg.api.post(f"{API}/note/{note_id}/attachment/", data=body, headers=reg.headers(who))
    payload = await resp.json() if resp.content_type == "application/json" else None
    if resp.status >= 400:
        assert isinstance(payload, dict) and payload.get("error"), (resp.status, payload)
    return resp.status, payload


async def download(reg: Registry, note_id: int, who: str = "m1") -> aiohttp.ClientResponse:
    resp: aiohttp.ClientResponse = await reg.api.get(f"{API}/note/{note_id}/attachment/", headers=reg.headers(who))
    await resp.read()
    return resp


async def stored_key(reg: Registry, note_id: int) -> str | None:
    return await db_read(reg.appliance, lambda s: s.scalar(select(StreamNote.attachment).where(
        StreamNote.id == note_id)))


def blob_files(appliance: Appliance) -> list[Path]:
    root = appliance.blobs.root / "notes"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


async def test_attach_read_replace_and_remove(reg: Registry) -> None:
    note_id = await new_note(reg)
    status, body = await attach(reg, note_id, "r1", form(PNG))  # the Operator may attach, as on the server
    assert status == 201
    assert body["title"] == "photo.png" and body["file_type"] == "image"
    assert body["created_by"] == reg.world.users["r1"].id and body["created_on"].endswith("Z")
    assert body["url"].endswith(f"/api/v1/note/{note_id}/attachment/") and body["url"].startswith("http://")
    listed = (await reg.call("GET", f"/note/?target={DEVICE}", "m1"))[1]["results"]
    assert listed[0]["attachment"] == body
    assert (await reg.call("GET", f"/note/{note_id}/", "a1"))[1]["attachment"] == body
    resp = await download(reg, note_id)
    assert resp.status == 200 and await resp.read() == PNG
    assert resp.headers["Content-Type"] == "image/png" and resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Content-Disposition"] == 'attachment; filename="photo.png"'
    first = blob_files(reg.appliance)
    assert len(first) == 1
    status, replaced = await attach(reg, note_id, "m1", form(b"plain text", "readme.txt"))
    assert status == 201 and replaced["id"] != body["id"] and replaced["file_type"] == "unk"
    assert len(blob_files(reg.appliance)) == 1 and blob_files(reg.appliance) != first  # the old file is gone
    assert await (await download(reg, note_id)).read() == b"plain text"
    assert (await reg.call("DELETE", f"/note/{note_id}/attachment/", "r1"))[0] == 204
    assert blob_files(reg.appliance) == [] and await stored_key(reg, note_id) is None
    assert (await download(reg, note_id)).status == 404
    assert (await reg.call("DELETE", f"/note/{note_id}/attachment/", "r1"))[0] == 404
    assert (await reg.call("GET", f"/note/{note_id}/", "m1"))[1]["attachment"] is None


async def test_who_may_attach_read_and_remove(reg: Registry) -> None:
    note_id = await new_note(reg)
    for who in CALLERS:
        status, _ = await attach(reg, note_id, who, form(PNG, f"by-{who}.png"))
        assert status == expected(who, MEMBERS, 201), who
        resp = await download(reg, note_id, who)
        assert resp.status == expected(who, READERS, 200), who
        assert (await reg.call("GET", f"/note/{note_id}/", who))[0] == expected(who, READERS, 200), who
        before = await stored_key(reg, note_id)
        status, _ = await reg.call("DELETE", f"/note/{note_id}/attachment/", who)
        assert status == expected(who, MEMBERS, 204), who
        if status != 204:
            assert await stored_key(reg, note_id) == before
        else:
            await attach(reg, note_id, "a0", form(PNG))


HOSTILE = {
    "too large": (lambda: form(b"x" * (LIMIT + 1)), 413),
    "empty file": (lambda: form(b""), 400),
    "no file field": (lambda: form(PNG, field="image"), 400),
    "json instead of a form": (lambda: b'{"file": "x"}', 400),
    "truncated multipart": (lambda: b"--abc\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nxx", 400),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
async def test_hostile_uploads_change_nothing(reg: Registry, case: str) -> None:
    note_id = await new_note(reg)
    make, want = HOSTILE[case]
    body = make()
    headers = dict(reg.headers("m1"))
    if isinstance(body, bytes) and case == "truncated multipart":
        headers["Content-Type"] = "multipart/form-data; boundary=abc"
    elif isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
    resp = await reg.api.post(f"{API}/note/{note_id}/attachment/", data=body, headers=headers)
    assert resp.status == want and (await resp.json())["error"]
    assert await stored_key(reg, note_id) is None and blob_files(reg.appliance) == []


@pytest.mark.parametrize(("filename", "title"), [
    ("../../etc/passwd", "passwd"),
    ("..\\..\\boot.ini", "boot.ini"),
    ("<script>alert(1)</script>.html", "script_.html"),
    ("  spaced name.PNG", "spaced_name.PNG"),
    ("фото.jpg", "jpg"),
    ("....", "attachment"),
    ("", "attachment"),
    ("a" * 300 + ".png", "a" * 96 + ".png"),
])
async def test_file_names_are_made_safe(reg: Registry, filename: str, title: str) -> None:
    assert safe_name(filename) == title
    note_id = await new_note(reg)
    status, body = await attach(reg, note_id, "m1", form(PNG, filename))
    assert status == 201 and body["title"] == title
    [path] = blob_files(reg.appliance)
    assert path.name == title and reg.appliance.blobs.root in path.parents
    resp = await download(reg, note_id)
    assert resp.headers["Content-Disposition"] == f'attachment; filename="{title}"'
    if title.endswith(".html"):
        assert resp.headers["Content-Type"] == "application/octet-stream"  # never rendered as a page


async def test_a_file_part_without_a_filename(reg: Registry) -> None:
    note_id = await new_note(reg)
    raw = b'--xyz\r\nContent-Disposition: form-data; name="file"\r\n\r\n' + PNG + b"\r\n--xyz--\r\n"
    headers = {**reg.headers("m1"), "Content-Type": "multipart/form-data; boundary=xyz"}
    resp = await reg.api.post(f"{API}/note/{note_id}/attachment/", data=raw, headers=headers)
    body = await resp.json()
    assert resp.status == 201 and body["title"] == "attachment" and body["file_type"] == "unk"
    assert await (await download(reg, note_id)).read() == PNG


@pytest.mark.parametrize(("note_id", "want"), [("abc", 400), ("1.5", 400), ("²", 400), ("9" * 19, 400),
                                               ("999999", 404), ("-1", 400)])
async def test_bad_note_ids(reg: Registry, note_id: str, want: int) -> None:
    assert (await attach(reg, note_id, "m1", form(PNG)))[0] == want  # type: ignore[arg-type]
    assert (await reg.call("GET", f"/note/{note_id}/attachment/", "m1"))[0] == want
    assert (await reg.call("GET", f"/note/{note_id}/", "m1"))[0] == want


async def test_another_orgs_note_is_not_found(reg: Registry) -> None:
    status, body = await reg.call("POST", "/note/", "other", note("d--0000-0000-0000-0020"))
    assert status == 201
    assert (await attach(reg, body["id"], "a0", form(PNG)))[0] == 404
    assert (await reg.call("GET", f"/note/{body['id']}/", "staff"))[0] == 200


async def test_a_reset_removes_attachments_of_the_notes_it_deletes(reg: Registry) -> None:
    note_id = await new_note(reg)
    assert (await attach(reg, note_id, "m1", form(PNG)))[0] == 201
    status, body = await reg.call("POST", f"/device/{DEVICE}/reset/", "a0", {})
    assert status == 202
    assert (await reg.appliance.jobs.wait(body["pid"])).status == "done"
    assert blob_files(reg.appliance) == []


async def test_an_unclaim_removes_attachments_of_the_notes_it_deletes(reg: Registry) -> None:
    note_id = await new_note(reg)
    assert (await attach(reg, note_id, "m1", form(PNG)))[0] == 201
    status, body = await reg.call("POST", f"/device/{DEVICE}/unclaim/", "a0", {"clean_streams": False})
    assert status == 202
    job = await reg.appliance.jobs.wait(body["pid"])
    assert job.status == "done" and job.result is not None and job.result["attachments_deleted"] == 1
    assert blob_files(reg.appliance) == []
