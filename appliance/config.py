"""settings.toml: the operator-editable configuration of one data directory.

Settings are a declarative table (one frozen row per setting with its type, default, bounds and
help text) so that loading, validating, documenting (docs/settings.md is checked by a test) and the
GUI's settings screen all read the same source.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli_w

from appliance.errors import StartupError, ValidationError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib


@dataclass(frozen=True, kw_only=True)
class Setting:
    section: str
    name: str
    default: Any
    help: str
    kind: type = str
    minimum: float | None = None
    maximum: float | None = None
    check: Callable[[Any], str | None] | None = None

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"


def _host(value: Any) -> str | None:
    return None if isinstance(value, str) and value.strip() and " " not in value else "not a host name or address"


def _optional_host(value: Any) -> str | None:
    return None if value == "" else _host(value)


def _public_url(value: Any) -> str | None:
    """Empty, or http(s)://host[:port][/path] with nothing after the path (links are built on it)."""
    if value == "":
        return None
    wrong = "an http:// or https:// address such as http://192.168.1.20:8000, or empty"
    try:
        parts = urlsplit(value) if isinstance(value, str) else None
        port_ok = parts is not None and (parts.port is None or parts.port > 0)
    except ValueError:
        return wrong
    if parts is None or not port_ok or parts.scheme not in ("http", "https") or not parts.hostname \
            or parts.query or parts.fragment or any(c.isspace() for c in value):
        return wrong
    return None


def _security(value: Any) -> str | None:
    return None if value in ("starttls", "ssl", "none") else "one of starttls, ssl, none"


def _level(value: Any) -> str | None:
    ok = {"DEBUG", "INFO", "WARNING", "ERROR"}
    return None if str(value).upper() in ok else f"one of {sorted(ok)}"


def _backend(value: Any) -> str | None:
    return None if value in ("auto", "keyring", "file") else "one of auto, keyring, file"


SETTINGS: tuple[Setting, ...] = (
    Setting(section="server", name="host", default="127.0.0.1", check=_host,
            help="Address the HTTP API listens on; 0.0.0.0 lets devices and gateways on the LAN upload."),
    Setting(section="server", name="port", default=8000, kind=int, minimum=0, maximum=65535,
            help="TCP port of the HTTP API (0 picks a free port)."),
    Setting(section="server", name="max_upload_bytes", default=64 * 1024 * 1024, kind=int,
            minimum=1024, maximum=2**31,
            help="Largest request body accepted (report and file uploads); larger ones get 413."),
    Setting(section="server", name="max_json_bytes", default=4 * 1024 * 1024, kind=int,
            minimum=1024, maximum=2**31, help="Largest JSON request body accepted; larger ones get 413."),
    Setting(section="server", name="public_url", default="", check=_public_url,
            help="The address people and devices reach this appliance at (http://host:port), used in invitation "
                 "links; empty: the address the inviter used (API) or this computer's first LAN address (desktop)."),
    Setting(section="auth", name="jwt_expiry_seconds", default=7 * 24 * 3600, kind=int,
            minimum=60, maximum=10 * 365 * 24 * 3600, help="Lifetime of a JWT (iotile.cloud: 7 days)."),
    Setting(section="auth", name="jwt_refresh_seconds", default=180 * 24 * 3600, kind=int,
            minimum=60, maximum=10 * 365 * 24 * 3600,
            help="How long after login a JWT may still be refreshed (iotile.cloud: 180 days)."),
    Setting(section="secrets", name="backend", default="auto", check=_backend,
            help="auto: the OS keyring when one works, else a 0600 file in the data directory (reported at "
                 "start-up); keyring: require the OS keyring; file: always the 0600 file."),
    Setting(section="jobs", name="workers", default=4, kind=int, minimum=1, maximum=64,
            help="Background jobs (unclaim, reset, archive, export...) that may run at the same time."),
    Setting(section="jobs", name="poll_seconds", default=1.0, kind=float, minimum=0.05, maximum=60,
            help="How often the job runner looks for jobs queued by another process (the CLI)."),
    Setting(section="jobs", name="retention_days", default=30, kind=int, minimum=1, maximum=3650,
            help="Finished jobs and rotated log files older than this are removed by housekeeping."),
    Setting(section="periodic", name="housekeeping_seconds", default=3600, kind=int, minimum=1,
            maximum=7 * 24 * 3600, help="Interval of the housekeeping task."),
    Setting(section="periodic", name="device_health_check_seconds", default=1800, kind=int, minimum=10,
            maximum=24 * 3600, help="Interval of the device health check (iotile.cloud runs it every 30 minutes)."),
    Setting(section="periodic", name="compact_streams_seconds", default=900, kind=int, minimum=10,
            maximum=24 * 3600, help="How often the stream store looks for readings to sort (compaction)."),
    Setting(section="streams", name="compact_rows", default=1_000_000, kind=int, minimum=1000,
            maximum=1_000_000_000, help="Readings written since the last compaction that make the next one "
            "due; each later level merges at compact_fanout times the one before."),
    Setting(section="streams", name="compact_fanout", default=8, kind=int, minimum=2, maximum=64,
            help="Growth factor between compaction levels (more: fewer rewrites, shorter sorted runs)."),
    Setting(section="smtp", name="host", default="", check=_optional_host,
            help="SMTP server for invitation e-mails; empty turns e-mail off (invitation links still work)."),
    Setting(section="smtp", name="port", default=587, kind=int, minimum=1, maximum=65535, help="SMTP port."),
    Setting(section="smtp", name="username", default="", help="SMTP user name; the password is kept in secrets "
            "as smtp.password (set it from the GUI's Settings screen)."),
    Setting(section="smtp", name="from", default="", help="Sender address of invitation e-mails."),
    Setting(section="smtp", name="security", default="starttls", check=_security,
            help="starttls, ssl or none."),
    Setting(section="catalogue", name="seed_defaults", default=True, kind=bool,
            help="Load the shipped catalogue (var types, device templates, sensor graphs) into an empty "
                 "database at start-up."),
    Setting(section="logging", name="level", default="INFO", check=_level,
            help="Log level of logs/appliance.log and the console."),
)
_BY_KEY = {s.key: s for s in SETTINGS}


@dataclass(frozen=True)
class Settings:
    """Validated values, read as ``settings["server.port"]`` or ``settings.get("server", "port")``."""

    values: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def get(self, section: str, name: str) -> Any:
        return self.values[f"{section}.{name}"]

    def with_overrides(self, overrides: Mapping[str, Any]) -> Settings:
        merged = dict(self.values)
        for key, value in overrides.items():
            if value is not None:
                merged[key] = validate(key, value)
        return Settings(merged)

    def to_toml_dict(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, value in self.values.items():
            section, name = key.split(".", 1)
            out.setdefault(section, {})[name] = value
        return out


def defaults() -> Settings:
    return Settings({s.key: s.default for s in SETTINGS})


def validate(key: str, value: Any) -> Any:
    """Return the value coerced to the setting's type, or raise ValidationError naming the key."""
    setting = _BY_KEY.get(key)
    if setting is None:
        raise ValidationError(f"unknown setting {key!r}", key="unknown_setting")
    if setting.kind is int and (isinstance(value, bool) or not isinstance(value, int)):
        raise ValidationError(f"{key} must be a whole number, not {value!r}", key="invalid_setting")
    if setting.kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
            raise ValidationError(f"{key} must be a number, not {value!r}", key="invalid_setting")
        value = float(value)
    if setting.kind is bool and not isinstance(value, bool):
        raise ValidationError(f"{key} must be true or false, not {value!r}", key="invalid_setting")
    if setting.kind is str and not isinstance(value, str):
        raise ValidationError(f"{key} must be text, not {value!r}", key="invalid_setting")
    if setting.minimum is not None and value < setting.minimum:
        raise ValidationError(f"{key} must be at least {setting.minimum:g}", key="invalid_setting")
    if setting.maximum is not None and value > setting.maximum:
        raise ValidationError(f"{key} must be at most {setting.maximum:g}", key="invalid_setting")
    problem = setting.check(value) if setting.check else None
    if problem:
        raise ValidationError(f"{key} must be {problem}, not {value!r}", key="invalid_setting")
    return value


def load_settings(path: Path) -> Settings:
    """Missing file means defaults; a broken file stops start-up with the line that is wrong."""
    if not path.exists():
        return defaults()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise StartupError(f"{path} is not valid TOML: {err}", key="bad_settings") from err
    values = dict(defaults().values)
    try:
        for section, table in raw.items():
            if not isinstance(table, dict):
                raise ValidationError(f"[{section}] must be a table", key="invalid_setting")
            for name, value in table.items():
                values[f"{section}.{name}"] = validate(f"{section}.{name}", value)
    except ValidationError as err:
        raise StartupError(f"{path}: {err.message}", key="bad_settings") from err
    return Settings(values)


def save_settings(path: Path, settings: Settings) -> None:
    """Write atomically so a crash mid-save never leaves a half file that blocks the next start."""
    tmp = path.with_suffix(".toml.tmp")
    tmp.write_text(tomli_w.dumps(settings.to_toml_dict()), encoding="utf-8")
    tmp.replace(path)
