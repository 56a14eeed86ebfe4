"""First run: the operator's own staff account, the first org and (when the service exists) project.

The wizard appears while the data directory holds nothing but the owner account the appliance made
for itself and no org. Input is checked with the services' own validators before anything is
written, so a typo never leaves half a set-up; the project is a best-effort last step because the
account and org are already useful without it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from appliance.app import OWNER_EMAIL, Appliance
from appliance.errors import ApplianceError, ValidationError
from appliance.services import accounts as account_rules
from appliance.services import orgs as org_rules
from appliance.services import passwords
from appliance.services.accounts import AccountRecord
from appliance.services.auth import Principal
from appliance.services.orgs import OrgRecord
from gui.operations.session import Session, start_session

LOGGER = logging.getLogger(__name__)
PROJECT_NAME_MAX = 50


@dataclass(frozen=True)
class FirstRunInput:
    name: str
    email: str
    password: str
    org_name: str
    project_name: str | None
    remember: bool


@dataclass(frozen=True)
class FirstRunResult:
    session: Session
    org: OrgRecord
    project_name: str | None
    project_ref: str | None  # the project's UUID, for lookups
    project_error: str | None


async def needs_first_run(appliance: Appliance) -> bool:
    if await appliance.accounts.count() != 1 or await appliance.accounts.find_by_email(OWNER_EMAIL) is None:
        return False
    total, _ = await appliance.orgs.page(None, limit=1)
    return total == 0


@dataclass(frozen=True)
class FirstRunPlan:
    with_project: bool


async def first_run_plan(appliance: Appliance) -> FirstRunPlan | None:
    """None when the appliance is already set up (then the sign-in dialog is next)."""
    if not await needs_first_run(appliance):
        return None
    return FirstRunPlan(with_project=can_create_projects(appliance))


def can_create_projects(appliance: Appliance) -> bool:
    """The projects service is being written beside the GUI; its page shows only once it exists."""
    return callable(getattr(appliance.projects, "create", None))


def check_account(name: str, email: str, password: str, confirm: str) -> None:
    """The services' validators, pure and quick: safe on the Qt thread. Raises ValidationError."""
    account_rules.check_name(name)
    account_rules.normalize_email(email)
    passwords.check_strength(password)
    if password != confirm:
        raise ValidationError("the two passwords are not the same", key="password_mismatch")


def check_org(name: str) -> None:
    org_rules.check_name(name)


def check_project(name: str) -> None:
    """Blank means "no project now"; otherwise iotile.cloud's 50-character project name."""
    if len(name.strip()) > PROJECT_NAME_MAX:
        raise ValidationError(f"the project name must be at most {PROJECT_NAME_MAX} characters",
                              key="invalid_name")


async def complete_first_run(appliance: Appliance, data: FirstRunInput) -> FirstRunResult:
    account = await appliance.accounts.create(data.email, data.password, name=data.name, is_staff=True)
    org = await appliance.orgs.create(data.org_name, created_by_id=account.id)
    session = await start_session(appliance, account, data.remember)
    ref, project_error = None, None
    if data.project_name and can_create_projects(appliance):
        ref, project_error = await _create_project(appliance, account, org, data.project_name)
    LOGGER.info("first run complete: account %s, org %s", account.email, org.slug)
    return FirstRunResult(session, org, data.project_name if ref else None, ref, project_error)


async def _create_project(appliance: Appliance, account: AccountRecord, org: OrgRecord,
                          name: str) -> tuple[str | None, str | None]:
    """(UUID, None) on success, else (None, the reason): the wizard says it and the operator can
    create the project later; the account and org stay."""
    access = await appliance.orgs.access_for(Principal("gui", account))
    try:
        project = await appliance.projects.create(access, {"name": name, "org": org.slug})
    except ApplianceError as err:
        LOGGER.warning("first-run project %r not created: %s", name, err.message)
        return None, err.message
    return str(project.uuid), None
