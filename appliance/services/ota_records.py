"""What the OTA services hand to the API and the GUI, and iotile.cloud's wire shapes for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from appliance.services.ota_criteria import KnownVersion
from appliance.slugs import DeviceScriptSlug, DeviceSlug, FleetSlug
from storage.metadata.models import DeploymentAction, DeviceVersionAttribute
from storage.metadata.repos import ota as repo

WIRE_TYPE = {"os": "os", "sg": "app"}  # the server stores an app (sensor graph) version as 'app'


@dataclass(frozen=True)
class ScriptRecord:
    id: int
    name: str
    org: str
    org_id: int
    version: tuple[int, int, int]
    released: bool
    file: str | None
    created_on: datetime
    created_by: str | None

    @property
    def slug(self) -> str:
        return DeviceScriptSlug(self.id).slug

    def as_json(self) -> dict[str, Any]:
        """DeviceScriptSerializer; the appliance keeps no script release date (always null)."""
        major, minor, patch = self.version
        return {"slug": self.slug, "gid": self.id, "name": self.name, "org": self.org,
                "version": f"v{major}.{minor}.{patch}", "created_on": self.created_on, "released": self.released,
                "released_on": None}

    def file_json(self, url: str | None) -> dict[str, Any]:
        """DeviceScriptFileSerializer: iotile-ext-cloud downloads ``url`` without credentials."""
        major, minor, patch = self.version
        return {"name": self.name, "url": url if self.file else None, "key": self.file,
                "major_version": major, "minor_version": minor, "patch_version": patch}


def script_record(row: repo.ScriptRow) -> ScriptRecord:
    script, org_slug, creator = row
    return ScriptRecord(script.id, script.name, org_slug, script.org_id,
                        (script.major_version, script.minor_version, script.patch_version), script.released,
                        script.file, script.created_on, creator)


@dataclass(frozen=True)
class Progress:
    targeted: int
    attempted: int
    successful: int
    confirmed: int

    def as_json(self) -> dict[str, int]:
        return {"targeted": self.targeted, "attempted": self.attempted, "successful": self.successful,
                "confirmed": self.confirmed}


@dataclass(frozen=True)
class RequestRecord:
    id: int
    script_id: int
    org: str
    org_id: int
    fleet_id: int | None
    selection_criteria: tuple[str, ...]
    released_on: datetime | None
    completed_on: datetime | None
    created_by_id: int | None
    progress: Progress | None = None

    def as_json(self) -> dict[str, Any]:
        body = {"id": self.id, "script": DeviceScriptSlug(self.script_id).slug,
                "selection_criteria": list(self.selection_criteria), "org": self.org,
                "fleet": None if self.fleet_id is None else FleetSlug(self.fleet_id).slug,
                "released_on": self.released_on, "completed_on": self.completed_on}
        if self.progress is not None:
            body["progress"] = self.progress.as_json()
        return body


def request_record(row: repo.RequestRow, progress: Progress | None = None) -> RequestRecord:
    request, org_slug = row
    return RequestRecord(request.id, request.script_id, org_slug, request.org_id, request.fleet_id,
                         tuple(request.selection_criteria or ()), request.released_on, request.completed_on,
                         request.created_by_id, progress)


@dataclass(frozen=True)
class ActionRecord:
    id: int
    request_id: int
    device_id: int
    last_attempt_on: datetime | None
    attempt_successful: bool
    device_confirmation: bool
    log: str

    def as_json(self) -> dict[str, Any]:
        """DeploymentActionSerializer; actions keep no creation time here (``created_on`` is null)."""
        return {"id": self.id, "deployment": self.request_id, "device": DeviceSlug(self.device_id).slug,
                "created_on": None, "last_attempt_on": self.last_attempt_on,
                "attempt_successful": self.attempt_successful, "device_confirmation": self.device_confirmation,
                "log": self.log or None}

    def short_json(self) -> dict[str, Any]:
        return {"id": self.id, "deployment": self.request_id, "last_attempt_on": self.last_attempt_on,
                "attempt_successful": self.attempt_successful, "device_confirmation": self.device_confirmation}


def action_record(row: DeploymentAction) -> ActionRecord:
    return ActionRecord(row.id, row.request_id, row.device_id, row.last_attempt_on, row.attempt_successful,
                        row.device_confirmation, row.log or "")


@dataclass(frozen=True)
class VersionRecord:
    id: int
    device_id: int
    type: str  # "os" or "sg"
    tag: int
    major: int
    minor: int
    streamer_local_id: int | None
    updated_ts: datetime

    @property
    def known(self) -> KnownVersion:
        return KnownVersion(self.tag, self.major, self.minor)

    def short_json(self) -> dict[str, Any]:
        return {"type": WIRE_TYPE[self.type], "tag": self.tag, "version": f"v{self.major}.{self.minor}",
                "streamer_local_id": self.streamer_local_id, "updated_ts": self.updated_ts}

    def as_json(self) -> dict[str, Any]:
        """DeviceVersionAttributeSerializer plus ``id``; no creation time is kept (``created_on`` null)."""
        return {"id": self.id, "device": DeviceSlug(self.device_id).slug, **self.short_json(), "created_on": None}


def version_record(row: DeviceVersionAttribute) -> VersionRecord:
    return VersionRecord(row.id, row.device_id, row.type, row.tag, row.major_version, row.minor_version,
                         row.streamer_local_id, row.updated_ts)


def current_versions(rows: list[VersionRecord]) -> dict[int, dict[str, VersionRecord]]:
    """device id -> type -> its latest version, from rows ordered oldest first."""
    current: dict[int, dict[str, VersionRecord]] = {}
    for row in rows:
        current.setdefault(row.device_id, {})[row.type] = row
    return current


@dataclass(frozen=True)
class DeviceOtaRecord:
    """What ``ota/device/<slug>/`` answers: the requests that still apply, actions and current versions."""

    device_id: int
    template: str | None
    sg: str | None
    deployments: list[RequestRecord]
    actions: list[ActionRecord]
    versions: list[VersionRecord]

    def as_json(self) -> dict[str, Any]:
        return {"slug": DeviceSlug(self.device_id).slug, "template": self.template, "sg": self.sg,
                "deployments": [r.as_json() for r in self.deployments],
                "actions": [a.short_json() for a in self.actions],
                "versions": [v.short_json() for v in self.versions]}
