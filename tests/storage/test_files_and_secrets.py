from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.blobs import BlobKeyError, BlobStore
from storage.secrets import FileSecretStore, SecretStoreError, open_secret_store


def test_blob_put_get_replace_delete(tmp_path: Path) -> None:
    blobs = BlobStore(tmp_path)
    assert blobs.put("reports/t--0000/2026/a.bin", b"abc") == 3
    assert blobs.get("reports/t--0000/2026/a.bin") == b"abc"
    blobs.put("reports/t--0000/2026/a.bin", b"xyz")
    assert blobs.get("reports/t--0000/2026/a.bin") == b"xyz"
    assert not [p for p in tmp_path.rglob("*.tmp")]
    assert blobs.delete("reports/t--0000/2026/a.bin") is True
    assert blobs.delete("reports/t--0000/2026/a.bin") is False
    with pytest.raises(KeyError):
        blobs.get("reports/t--0000/2026/a.bin")


@pytest.mark.parametrize("key", ["", "/etc/passwd", "../x", "a/../../x", "a//b", ".hidden", "a/b c", "a\\b", "é"])
def test_blob_keys_cannot_escape(tmp_path: Path, key: str) -> None:
    with pytest.raises(BlobKeyError):
        BlobStore(tmp_path).put(key, b"x")


def test_file_secrets_are_0600_and_survive_reopen(tmp_path: Path) -> None:
    store = FileSecretStore(tmp_path / "secrets.json")
    store.set("jwt-signing-key", "k1")
    mode = stat.S_IMODE(os.stat(tmp_path / "secrets.json").st_mode)
    assert mode == 0o600
    assert FileSecretStore(tmp_path / "secrets.json").get("jwt-signing-key") == "k1"
    store.delete("jwt-signing-key")
    assert store.get("jwt-signing-key") is None


def test_file_secrets_refuse_world_readable_and_corrupt_files(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    FileSecretStore(path).set("a", "b")
    os.chmod(path, 0o644)
    with pytest.raises(SecretStoreError, match="readable by other users"):
        FileSecretStore(path).get("a")
    os.chmod(path, 0o600)
    path.write_text("{broken")
    with pytest.raises(SecretStoreError, match="corrupt"):
        FileSecretStore(path).get("a")


def test_backend_choice_is_explicit(tmp_path: Path) -> None:
    store = open_secret_store(tmp_path, "file")
    assert store.kind == "file" and "0600" in store.description
    auto = open_secret_store(tmp_path, "auto")
    assert auto.kind in ("file", "keyring")
    if auto.kind == "file":
        with pytest.raises(SecretStoreError, match="keyring"):
            open_secret_store(tmp_path, "keyring")
