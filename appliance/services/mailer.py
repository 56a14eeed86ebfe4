"""Outgoing e-mail over SMTP (smtplib), off unless an SMTP host is configured.

The appliance must work on sites without any mail server: invitations and alerts then return their
links in the API answer instead. So a Mailer without a host is a valid, *disabled* mailer, and
sending never raises to the caller: it answers whether the message left.

Settings it reads (when present): ``smtp.host``, ``smtp.port`` (default 587), ``smtp.username``,
``smtp.from`` and ``smtp.security`` (``starttls`` default, ``ssl`` or ``none``); the password is the
secret ``smtp.password``.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

LOGGER = logging.getLogger(__name__)
PASSWORD_SECRET = "smtp.password"  # noqa: S105 - the name of a secret, not a password
SECURITY_MODES = ("starttls", "ssl", "none")


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int = 587
    username: str = ""
    password: str = ""
    sender: str = ""
    security: str = "starttls"
    timeout: float = 30.0

    @property
    def from_address(self) -> str:
        return self.sender or self.username or f"iotile-appliance@{self.host}"


def config_from_settings(values: Mapping[str, Any], password: str | None) -> SmtpConfig | None:
    """None (mail off) when no host is set; the keys do not have to exist in older settings files."""
    host = str(values.get("smtp.host") or "").strip()
    if not host:
        return None
    security = str(values.get("smtp.security") or "starttls")
    if security not in SECURITY_MODES:
        LOGGER.warning("smtp.security %r is not one of %s; using starttls", security, SECURITY_MODES)
        security = "starttls"
    return SmtpConfig(host=host, port=int(values.get("smtp.port") or 587),
                      username=str(values.get("smtp.username") or ""), password=password or "",
                      sender=str(values.get("smtp.from") or ""), security=security)


class Mailer:
    """Blocking by nature (smtplib): call ``send`` from a thread, e.g. ``asyncio.to_thread``."""

    def __init__(self, config: SmtpConfig | None = None) -> None:
        self._config = config

    @property
    def enabled(self) -> bool:
        return self._config is not None

    def send(self, to: str, subject: str, body: str) -> bool:
        """True when the server accepted the message; failures are logged, never raised."""
        config = self._config
        if config is None:
            return False
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = config.from_address, to, subject
        message.set_content(body)
        try:
            with self._connect(config) as smtp:
                if config.username:
                    smtp.login(config.username, config.password)
                smtp.send_message(message)
        except (smtplib.SMTPException, OSError, ValueError) as err:  # ValueError: a header it cannot encode
            LOGGER.warning("could not send e-mail to %s through %s:%d: %s", to, config.host, config.port, err)
            return False
        LOGGER.info("sent e-mail %r to %s", subject, to)
        return True

    @staticmethod
    def _connect(config: SmtpConfig) -> smtplib.SMTP:
        if config.security == "ssl":
            return smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout,
                                    context=ssl.create_default_context())
        smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp
