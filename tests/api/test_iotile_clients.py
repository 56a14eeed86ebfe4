"""The IOTile client libraries nobody here wrote, pointed at a running appliance."""

from __future__ import annotations

from iotile_cloud.api.connection import Api

from appliance.app import OWNER_EMAIL
from tests.conftest import ThreadedAppliance


def test_python_iotile_cloud_login_and_token_use(threaded_appliance: ThreadedAppliance) -> None:
    password = threaded_appliance.appliance.first_run_password
    assert password
    api = Api(domain=threaded_appliance.url)
    assert api.login(email=OWNER_EMAIL, password=password) is True
    assert api.token
    info = api.auth("user-info").get()
    assert info["username"] == "owner"
    assert api.refresh_token() is True
    assert api.auth("user-info").get()["email"] == OWNER_EMAIL
    api.logout()
    assert api.token is None


def test_python_iotile_cloud_login_refused(threaded_appliance: ThreadedAppliance) -> None:
    api = Api(domain=threaded_appliance.url)
    assert api.login(email=OWNER_EMAIL, password="wrong-password") is False
