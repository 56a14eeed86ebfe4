from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import SETTINGS, defaults, load_settings, save_settings, validate
from appliance.datadir import ENV_DATA_DIR, DataDir, DataDirLock, default_data_dir
from appliance.errors import StartupError, ValidationError


def test_defaults_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, defaults().with_overrides({"server.port": 9000}))
    loaded = load_settings(path)
    assert loaded["server.port"] == 9000
    assert loaded["server.host"] == "127.0.0.1"


def test_missing_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "absent.toml") == defaults()


@pytest.mark.parametrize("text,message", [
    ("[server\nport=1", "not valid TOML"),
    ("[server]\nport = 'x'", "whole number"),
    ("[server]\nport = 70000", "at most"),
    ("[server]\nport = true", "whole number"),
    ("[server]\nhost = ''", "host"),
    ("[nope]\nthing = 1", "unknown setting"),
    ("server = 5", "must be a table"),
    ("[secrets]\nbackend = 'plaintext'", "one of auto"),
])
def test_bad_files_stop_start_up(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(StartupError, match=message):
        load_settings(path)


def test_validate_rejects_wrong_types() -> None:
    with pytest.raises(ValidationError):
        validate("server.max_upload_bytes", 10)
    assert validate("logging.level", "debug") == "debug"


def test_every_setting_is_documented() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "settings.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.key}`" in docs, setting.key


def test_data_dir_env_override(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENV_DATA_DIR, str(tmp_path / "x"))
    assert default_data_dir() == tmp_path / "x"
    monkeypatch.delenv(ENV_DATA_DIR)
    assert "iotile-appliance" in str(default_data_dir())


def test_lock_is_exclusive_and_reusable(tmp_path: Path) -> None:
    layout = DataDir(tmp_path)
    layout.create()
    first, second = DataDirLock(layout.lock), DataDirLock(layout.lock)
    first.acquire()
    with pytest.raises(StartupError, match="already using"):
        second.acquire()
    first.release()
    second.acquire()
    second.release()
    second.release()
