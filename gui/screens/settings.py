"""Settings: every row of appliance.config.SETTINGS with its help text, checked before saving.

The form is generated from the same table that loads, validates and documents the settings, so a
new setting appears here without GUI code. Each field is checked with ``validate()`` when the operator
leaves it and again on save; one bad field means nothing is saved (bad input is refused whole).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from appliance.config import SETTINGS, Setting, validate
from appliance.errors import ValidationError
from appliance.services.mailer import PASSWORD_SECRET
from gui.errors import show_error
from gui.layout import WrapLabel, button_row
from gui.operations.settings import RESTART_KEYS, read_settings_file, save_changes, secret_saver
from gui.qt import QFrame, QHBoxLayout, QLabel, QLineEdit, QPushButton, QScrollArea, QSizePolicy, QVBoxLayout, QWidget
from gui.screens.base import Screen, ScreenContext
from gui.theme import set_role

LOGGER = logging.getLogger(__name__)
SECTION_TITLES = {"server": "Server", "auth": "Sign-in tokens", "secrets": "Secrets", "jobs": "Background jobs",
                  "periodic": "Periodic tasks", "logging": "Logging"}


@dataclass(frozen=True)
class Field:
    setting: Setting
    edit: QLineEdit
    error: QLabel


def as_text(value: Any) -> str:
    return "" if value is None else str(value)


def parse(setting: Setting, text: str) -> Any:
    """The typed value when the text reads as one; else the text itself, for validate() to refuse
    with its own message ("must be a whole number, not 'abc'")."""
    text = text.strip()
    try:
        if setting.kind is int:
            return int(text)
        if setting.kind is float:
            return float(text)
    except ValueError:
        return text
    return text


UNIT_SUFFIXES = {"seconds": "seconds", "bytes": "bytes", "days": "days"}
ACRONYMS = {"jwt": "JWT", "json": "JSON", "smtp": "SMTP", "http": "HTTP", "api": "API", "url": "URL"}


def pretty(name: str) -> str:
    """``jwt_expiry_seconds`` -> "JWT expiry (seconds)": the label an operator reads."""
    words = name.split("_")
    unit = UNIT_SUFFIXES.get(words[-1]) if len(words) > 1 else None
    words = words[:-1] if unit else words
    text = " ".join(ACRONYMS.get(w, w) for w in words)
    text = text[:1].upper() + text[1:]
    return f"{text} ({unit})" if unit else text


def field_message(key: str, message: str) -> str:
    """Shown under its field, the message need not repeat the key: "Must be at most 65535."."""
    if message.startswith(key + " "):
        message = message[len(key) + 1:]
    return _sentence(message)


class SettingsScreen(Screen):
    key = "settings"
    title = "Settings"
    subtitle = ("Kept in settings.toml in the data directory. The appliance reads them when it starts: "
                "after saving, restart the server for them to apply.")

    def __init__(self, ctx: ScreenContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.fields: dict[str, Field] = {}
        self._saved: dict[str, Any] = {}
        self.layout_.addWidget(self._scroll(), 1)
        self.result = WrapLabel("")
        self.result.setObjectName("settingsResult")
        self.save_button = QPushButton("Save changes")
        self.save_button.setObjectName("saveSettings")
        set_role(self.save_button, "primary")
        self.undo_button = QPushButton("Undo changes")
        self.restart_button = QPushButton("Restart the server now")
        self.restart_button.setObjectName("restartServer")
        self.restart_button.setVisible(False)
        self.layout_.addWidget(self.result)
        self.layout_.addLayout(button_row(self.save_button, self.undo_button, self.restart_button))
        self.save_button.clicked.connect(self.save)
        self.undo_button.clicked.connect(lambda: self._fill(self._saved))
        self.restart_button.clicked.connect(self.restart_server)

    def _scroll(self) -> QScrollArea:
        body = QWidget()
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 12, 0)
        for section in dict.fromkeys(s.section for s in SETTINGS):
            heading = QLabel(SECTION_TITLES.get(section, pretty(section)))
            set_role(heading, "section")
            column.addWidget(heading)
            column.addWidget(self._section([s for s in SETTINGS if s.section == section]))
        heading = QLabel("SMTP password and data directory")
        set_role(heading, "section")
        column.addWidget(heading)
        column.addWidget(self._extras())
        column.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(body)
        return scroll

    def _extras(self) -> QFrame:
        """What is not in settings.toml: the SMTP password (kept in the secret store) and the data
        directory (chosen on the command line)."""
        frame = QFrame()
        set_role(frame, "card")
        frame.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        box = QVBoxLayout(frame)
        box.setContentsMargins(20, 14, 20, 16)
        box.setSpacing(4)
        self.smtp_password = QLineEdit()
        self.smtp_password.setObjectName("smtpPassword")
        self.smtp_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.smtp_password.setPlaceholderText("Unchanged")
        self.smtp_password.setFixedWidth(420)
        self.save_password_button = QPushButton("Save password")
        self.save_password_button.setObjectName("saveSmtpPassword")
        self.password_result = WrapLabel("")
        self.password_result.setObjectName("smtpPasswordResult")
        password_help = WrapLabel("The password of the SMTP account that sends invitations. It is kept in the "
                                  "secret store, never in settings.toml, and is used from the next e-mail on.")
        set_role(password_help, "help")
        label = QLabel("<b>SMTP password</b>")
        label.setBuddy(self.smtp_password)
        line = QHBoxLayout()
        line.setSpacing(16)
        line.addWidget(self.smtp_password)
        line.addWidget(self.save_password_button)
        line.addWidget(self.password_result, 1)
        box.addWidget(label)
        box.addLayout(line)
        box.addWidget(password_help)
        self.data_dir = QLineEdit(str(self.ctx.core.appliance.data_dir.root))
        self.data_dir.setObjectName("dataDir")
        self.data_dir.setReadOnly(True)
        self.data_dir.setCursorPosition(0)
        data_help = WrapLabel("Start with --data-dir to use another folder.")
        set_role(data_help, "help")
        box.addSpacing(12)
        box.addWidget(QLabel("<b>Data directory</b>"))
        box.addWidget(self.data_dir)
        box.addWidget(data_help)
        self.save_password_button.clicked.connect(self.save_password)
        self.smtp_password.returnPressed.connect(self.save_password)
        return frame

    def save_password(self) -> None:
        value = self.smtp_password.text()
        if not value:
            self.password_result.setText("Type the password first.")
            set_role(self.password_result, "error")
            return
        self.save_password_button.setEnabled(False)
        self.ctx.core.op(self, secret_saver(PASSWORD_SECRET, value)).with_progress("Saving the password…").success(
            lambda _none: self._did_save_password()).failure(self._did_not_save_password).run()

    def _did_save_password(self) -> None:
        self.save_password_button.setEnabled(True)
        self.smtp_password.clear()
        self.password_result.setText("Saved.")
        set_role(self.password_result, "ok")

    def _did_not_save_password(self, error: BaseException) -> None:
        self.save_password_button.setEnabled(True)
        self.password_result.setText("The password was not saved.")
        set_role(self.password_result, "error")
        show_error(self, error)

    def _section(self, settings: list[Setting]) -> QFrame:
        card = QFrame()
        set_role(card, "card")
        card.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # spare room goes below
        column = QVBoxLayout(card)
        column.setContentsMargins(20, 14, 20, 16)
        column.setSpacing(16)
        for setting in settings:
            column.addLayout(self._row(setting))
        column.addStretch(1)  # spare height gathers under the last row, not inside the rows
        return card

    def _row(self, setting: Setting) -> QVBoxLayout:
        """Name; the field with, beside it, why it is refused; the help text. Stacked, so it reads
        the same at any window width and a refusal never moves the form about."""
        label = QLabel(f"<b>{pretty(setting.name)}</b>")
        label.setToolTip(f"{setting.key} in settings.toml")
        edit = QLineEdit()
        edit.setObjectName(f"setting_{setting.key}")
        edit.setFixedWidth(420)
        label.setBuddy(edit)
        error = WrapLabel("")
        error.setObjectName(f"error_{setting.key}")
        set_role(error, "error")
        help_text = WrapLabel(setting.help + (" Needs a restart of the server." if setting.key in RESTART_KEYS
                                              else ""))
        set_role(help_text, "help")
        line = QHBoxLayout()
        line.setSpacing(16)
        line.addWidget(edit)
        line.addWidget(error, 1)
        row = QVBoxLayout()
        row.setSpacing(4)
        row.addWidget(label)
        row.addLayout(line)
        row.addWidget(help_text)
        self.fields[setting.key] = Field(setting, edit, error)
        edit.editingFinished.connect(lambda key=setting.key: self.check(key))
        return row

    # -- reading and checking --------------------------------------------------------------------
    def refresh(self) -> None:
        self.ctx.core.op(self, read_settings_file).success(self._fill).run()

    def _fill(self, values: dict[str, Any]) -> None:
        self._saved = dict(values)
        for key, field in self.fields.items():
            field.edit.setText(as_text(values.get(key, field.setting.default)))
            self._show_error(field, None)

    def changes(self) -> dict[str, str]:
        return {key: f.edit.text() for key, f in self.fields.items()
                if f.edit.text().strip() != as_text(self._saved.get(key, f.setting.default))}

    def check(self, key: str) -> Any:
        """The clean value, or None after showing why the field is refused."""
        field = self.fields[key]
        try:
            value = validate(key, parse(field.setting, field.edit.text()))
        except ValidationError as err:
            self._show_error(field, field_message(key, err.message))
            return None
        self._show_error(field, None)
        return value

    def _show_error(self, field: Field, message: str | None) -> None:
        field.error.setText(message or "")
        set_role(field.edit, "true" if message else "false", name="invalid")

    # -- saving -----------------------------------------------------------------------------------
    def save(self) -> None:
        pending = self.changes()
        clean = {key: self.check(key) for key in pending}
        refused = [key for key, value in clean.items() if value is None]
        if refused:
            self._say(f"Nothing was saved: correct the {len(refused)} field(s) marked in red.", "error")
            self.fields[refused[0]].edit.setFocus()
            return
        if not clean:
            self._say("There are no changes to save.", "help")
            return
        self.save_button.setEnabled(False)
        self.ctx.core.op(self, lambda appliance: save_changes(appliance, clean)).with_progress(
            "Saving the settings…").success(lambda values: self._did_save(values, set(clean))).failure(
            self._did_not_save).run()

    def _did_save(self, values: dict[str, Any], keys: set[str]) -> None:
        self.save_button.setEnabled(True)
        self._fill(values)
        needs_restart = bool(keys & RESTART_KEYS)
        self.restart_button.setVisible(needs_restart or self.restart_button.isVisible())
        self._say("Saved. " + ("Restart the server to use the new address." if needs_restart
                               else "They apply the next time the appliance starts."), "ok")

    def _did_not_save(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        self._say("Nothing was saved.", "error")
        show_error(self, error)

    def restart_server(self) -> None:
        self.restart_button.setEnabled(False)
        self.ctx.core.restart(self).with_progress("Restarting the server…").success(
            lambda _none: self._did_restart()).failure(self._did_not_restart).run()

    def _did_restart(self) -> None:
        self.restart_button.setEnabled(True)
        self.restart_button.setVisible(False)
        self._say("The server was restarted with the saved settings.", "ok")
        self.ctx.status.refresh()

    def _did_not_restart(self, error: BaseException) -> None:
        self.restart_button.setEnabled(True)
        self._say("The server did not start again: correct the settings and press Restart again.", "error")
        show_error(self, error)

    def _say(self, text: str, role: str) -> None:
        self.result.setText(text)
        set_role(self.result, role)


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:] + ("" if not text or text.endswith(".") else ".")
