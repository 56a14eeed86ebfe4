"""The signed-in operator as the services see them: a Principal, an Access, and the orgs lists cover.

Every service call made for the operator passes the Access built here, so the GUI is held to the
same permission matrix as the HTTP API (appliance/services/permissions.py). It is rebuilt for each
piece of work: a role changed by an administrator applies at the operator's next click.
"""

from __future__ import annotations

from appliance.app import Appliance
from appliance.services.accounts import AccountRecord
from appliance.services.auth import Principal
from appliance.services.permissions import Access

GUI_SCHEME = "gui"


def principal_of(account: AccountRecord) -> Principal:
    return Principal(GUI_SCHEME, account)


async def access_for(appliance: Appliance, account: AccountRecord) -> Access:
    return await appliance.orgs.access_for(principal_of(account))


def list_scope(access: Access) -> frozenset[int] | None:
    """The orgs a list covers: the operator's own; staff (who administer this appliance) every org,
    so unclaimed devices waiting at the desk are listed too. None means every org."""
    return access.org_ids
