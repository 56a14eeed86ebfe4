"""Every model of metadata.sqlite3; importing this package registers them all on Base.metadata."""

from __future__ import annotations

from storage.metadata.models.accounts import Account, AuthToken
from storage.metadata.models.annotations import (
    ConfigAttribute,
    ConfigAttributeName,
    DeviceLocation,
    GenericProperty,
    GenericPropertyTemplate,
    GenericPropertyTemplateEnum,
    StreamNote,
)
from storage.metadata.models.codes import (
    ACTION_ON,
    ACTION_TYPES,
    DEVICE_KEY_TYPES,
    DEVICE_STATES,
    HEALTH_STATES,
    JOB_STATUSES,
    MDO_TYPES,
    NOTE_TYPES,
    ORG_ROLES,
    PROPERTY_TYPES,
    STREAM_DATA_TYPES,
    TRIGGER_OPERATORS,
    VERSION_TYPES,
)
from storage.metadata.models.devices import DataBlock, Device, DeviceKey, DeviceStatus, DeviceVersionAttribute
from storage.metadata.models.filters import (
    State,
    StateTransition,
    StreamFilter,
    StreamFilterAction,
    StreamFilterTrigger,
)
from storage.metadata.models.fleets import Fleet, FleetMembership, StreamAlias, StreamAliasTap
from storage.metadata.models.jobs import Job
from storage.metadata.models.orgs import AuthAPIKey, Invitation, Org, OrgDomain, OrgMembership
from storage.metadata.models.ota import DeploymentAction, DeploymentRequest, DeviceScript
from storage.metadata.models.projects import Project, ProjectTemplate
from storage.metadata.models.streams import Streamer, StreamerReport, StreamId, StreamVariable
from storage.metadata.models.templates import (
    Component,
    DeviceSlot,
    DeviceTemplate,
    SensorGraph,
    VariableTemplate,
)
from storage.metadata.models.vartypes import (
    VarType,
    VarTypeDecoder,
    VarTypeInputUnit,
    VarTypeOutputUnit,
    VarTypeSchema,
)

__all__ = [
    "ACTION_ON",
    "ACTION_TYPES",
    "DEVICE_KEY_TYPES",
    "DEVICE_STATES",
    "HEALTH_STATES",
    "JOB_STATUSES",
    "MDO_TYPES",
    "NOTE_TYPES",
    "ORG_ROLES",
    "PROPERTY_TYPES",
    "STREAM_DATA_TYPES",
    "TRIGGER_OPERATORS",
    "VERSION_TYPES",
    "Account",
    "AuthAPIKey",
    "AuthToken",
    "Component",
    "ConfigAttribute",
    "ConfigAttributeName",
    "DataBlock",
    "DeploymentAction",
    "DeploymentRequest",
    "Device",
    "DeviceKey",
    "DeviceLocation",
    "DeviceScript",
    "DeviceSlot",
    "DeviceStatus",
    "DeviceTemplate",
    "DeviceVersionAttribute",
    "Fleet",
    "FleetMembership",
    "GenericProperty",
    "GenericPropertyTemplate",
    "GenericPropertyTemplateEnum",
    "Invitation",
    "Job",
    "Org",
    "OrgDomain",
    "OrgMembership",
    "Project",
    "ProjectTemplate",
    "SensorGraph",
    "State",
    "StateTransition",
    "StreamAlias",
    "StreamAliasTap",
    "StreamFilter",
    "StreamFilterAction",
    "StreamFilterTrigger",
    "StreamId",
    "StreamNote",
    "StreamVariable",
    "Streamer",
    "StreamerReport",
    "VarType",
    "VarTypeDecoder",
    "VarTypeInputUnit",
    "VarTypeOutputUnit",
    "VarTypeSchema",
    "VariableTemplate",
]
