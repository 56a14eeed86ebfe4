"""Settings screen: every setting is there with its help; a bad port is refused, a good one saved."""

from __future__ import annotations

from typing import Any

from appliance.config import SETTINGS, load_settings
from gui.screens.base import ScreenContext
from gui.screens.settings import SettingsScreen


def open_settings(qtbot: Any, ctx: ScreenContext) -> SettingsScreen:
    screen = SettingsScreen(ctx)
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.fields["server.port"].edit.text() != "", timeout=10_000)
    return screen


def test_every_setting_is_listed_with_its_help(qtbot: Any, ctx: ScreenContext) -> None:
    screen = open_settings(qtbot, ctx)
    assert set(screen.fields) == {s.key for s in SETTINGS}
    texts = [label.text() for label in screen.findChildren(type(screen.result))]
    for setting in SETTINGS:
        assert any(setting.help in text for text in texts), setting.key


def test_bad_port_is_refused_with_a_message_and_nothing_saved(qtbot: Any, ctx: ScreenContext) -> None:
    screen = open_settings(qtbot, ctx)
    path = ctx.core.appliance.data_dir.settings
    before = path.read_text(encoding="utf-8")
    field = screen.fields["server.port"]
    field.edit.setText("70000")
    screen.fields["jobs.workers"].edit.setText("8")  # a good change beside the bad one
    screen.save()
    assert field.error.text()
    assert "at most 65535" in field.error.text()
    assert "Nothing was saved" in screen.result.text()
    field.edit.setText("eighty")
    screen.save()
    assert "whole number" in field.error.text()
    assert path.read_text(encoding="utf-8") == before


def test_good_port_is_saved_and_asks_for_a_restart(qtbot: Any, ctx: ScreenContext) -> None:
    screen = open_settings(qtbot, ctx)
    screen.fields["server.port"].edit.setText(" 8123 ")
    screen.save()
    qtbot.waitUntil(lambda: screen.result.text().startswith("Saved"), timeout=10_000)
    assert screen.fields["server.port"].error.text() == ""
    assert load_settings(ctx.core.appliance.data_dir.settings)["server.port"] == 8123
    assert screen.restart_button.isVisibleTo(screen)
    assert screen.changes() == {}


def test_restart_button_restarts_the_server(qtbot: Any, ctx: ScreenContext) -> None:
    screen = open_settings(qtbot, ctx)
    screen.fields["jobs.workers"].edit.setText("2")
    screen.save()
    qtbot.waitUntil(lambda: screen.result.text().startswith("Saved"), timeout=10_000)
    screen.restart_server()  # the test overrides keep port 0, so the restart cannot collide
    qtbot.waitUntil(lambda: "restarted" in screen.result.text(), timeout=30_000)
    assert ctx.core.running and ctx.core.appliance.settings["jobs.workers"] == 2


def test_smtp_password_goes_to_the_secret_store(qtbot: Any, ctx: ScreenContext) -> None:
    from appliance.services.mailer import PASSWORD_SECRET

    screen = open_settings(qtbot, ctx)
    assert screen.smtp_password.echoMode() == screen.smtp_password.EchoMode.Password
    assert screen.data_dir.isReadOnly()
    assert screen.data_dir.text() == str(ctx.core.appliance.data_dir.root)
    screen.smtp_password.setText("s3cret-smtp")
    screen.save_password()
    qtbot.waitUntil(lambda: screen.password_result.text() == "Saved.", timeout=10_000)
    assert screen.smtp_password.text() == ""
    secrets = ctx.core.appliance.secrets
    assert secrets is not None and secrets.get(PASSWORD_SECRET) == "s3cret-smtp"
