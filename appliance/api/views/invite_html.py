"""The HTML of the invitation page (invite_page.py): plain server-rendered pages, no script.

Every value that comes from people (org names, e-mail addresses, names typed in the form, error
messages quoting them) goes through ``esc``; the rest is literal markup written here. The pages
carry no token: the form posts to its own address (no ``action``), which holds it.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime

from appliance.services.invitations import InvitationRecord
from appliance.services.passwords import MIN_LENGTH
from appliance.services.permissions import ROLE_NAMES

STYLE = (
    "body{margin:0;background:#f3f5f7;color:#1d2733;font:17px/1.5 system-ui,-apple-system,'Segoe UI',sans-serif}"
    "main{max-width:34rem;margin:3rem auto;background:#fff;padding:2rem 2.5rem;border-radius:10px;"
    "box-shadow:0 1px 4px rgba(0,0,0,.12)}"
    ".brand{margin:0 0 1rem;color:#1f5fa8;font-weight:700;letter-spacing:.02em}"
    "h1{font-size:1.5rem;margin:.2rem 0 1rem}"
    "label{display:block;margin:1rem 0 .3rem;font-weight:600}"
    "input{box-sizing:border-box;width:100%;padding:.6rem;font:inherit;border:1px solid #8a96a3;border-radius:6px}"
    "button{margin-top:1.5rem;padding:.7rem 1.6rem;font:inherit;font-weight:600;color:#fff;background:#1f5fa8;"
    "border:0;border-radius:6px;cursor:pointer}"
    ".error{background:#fdecea;color:#8a1c12;padding:.7rem 1rem;border-radius:6px}"
    ".help{color:#4a5563;font-size:.95rem}"
    "code{background:#eef1f4;padding:.1rem .3rem;border-radius:4px;word-break:break-all}"
)


def esc(value: object) -> str:
    """Text for HTML content and quoted attribute values."""
    return html.escape(str(value), quote=True)


def page(title: str, body: str) -> str:
    return ("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            "<meta name=\"referrer\" content=\"same-origin\">"
            f"<title>{esc(title)} – IOTile Appliance</title><style>{STYLE}</style></head>"
            f"<body><main><p class=\"brand\">IOTile Appliance</p>{body}</main></body></html>\n")


def day(moment: datetime) -> str:
    return moment.strftime("%d %B %Y")


@dataclass(frozen=True)
class Invite:
    """What the page says about an invitation."""

    invitation: InvitationRecord
    has_account: bool

    @property
    def role(self) -> str:
        return ROLE_NAMES.get(self.invitation.role, self.invitation.role).split(" - ")[-1]


def _field(label: str, name: str, kind: str, *, value: str = "", autocomplete: str = "", extra: str = "") -> str:
    return (f"<label for=\"{name}\">{esc(label)}</label><input id=\"{name}\" name=\"{name}\" type=\"{kind}\" "
            f"value=\"{esc(value)}\" autocomplete=\"{autocomplete}\"{extra}>")


def _new_account_fields(name: str) -> str:
    rule = f" required minlength=\"{MIN_LENGTH}\" maxlength=\"1024\""
    return (_field("Your name", "name", "text", value=name, autocomplete="name", extra=" maxlength=\"150\"")
            + _field(f"Choose a password (at least {MIN_LENGTH} characters)", "password", "password",
                     autocomplete="new-password", extra=rule)
            + _field("The same password again", "confirm", "password", autocomplete="new-password", extra=rule))


def invite_form(invite: Invite, *, error: str | None = None, name: str = "") -> str:
    """The invitation and a form: a new password, or the existing account's password."""
    inv = invite.invitation
    intro = (f"<h1>Join {esc(inv.org_name)}</h1><p>You are invited to join <strong>{esc(inv.org_name)}</strong> "
             f"as <strong>{esc(invite.role)}</strong>"
             + (f" by <strong>{esc(inv.sent_by_slug)}</strong>" if inv.sent_by_slug else "")
             + f".</p><p class=\"help\">This invitation was sent to {esc(inv.email)} and works until "
             f"{esc(day(inv.expires_on))}.</p>")
    problem = f"<p class=\"error\" role=\"alert\">{esc(error)}</p>" if error else ""
    if invite.has_account:
        fields = ("<p>An account for this address exists. Enter its password to join.</p>"
                  + _field("Password", "password", "password", autocomplete="current-password", extra=" required"))
        button = "Sign in and join"
    else:
        fields = "<p>Create your account to join.</p>" + _new_account_fields(name)
        button = "Create account and join"
    form = (f"<form method=\"post\" accept-charset=\"utf-8\">{fields}"
            f"<button type=\"submit\">{esc(button)}</button></form>")
    return page(f"Join {inv.org_name}", intro + problem + form)


def joined_page(invite: Invite, *, created: bool, base_url: str) -> str:
    """Done: what the account can do next (the desktop program, or the API)."""
    inv = invite.invitation
    account = "Your account was created and you" if created else "You"
    body = (f"<h1>Welcome to {esc(inv.org_name)}</h1>"
            f"<p>{account} joined <strong>{esc(inv.org_name)}</strong> as <strong>{esc(invite.role)}</strong>.</p>"
            "<p><strong>What next:</strong></p><ul>"
            "<li>On the appliance computer, open the <strong>IOTile Appliance</strong> program and sign in with "
            f"{esc(inv.email)} and your password.</li>"
            "<li>Programs and scripts sign in through the API: <code>POST "
            f"{esc(base_url)}/api/v1/auth/login/</code> with your e-mail address and password.</li></ul>"
            "<p class=\"help\">This link has now been used and will not work again.</p>")
    return page(f"Welcome to {inv.org_name}", body)


def problem_page(title: str, message: str) -> str:
    return page(title, f"<h1>{esc(title)}</h1><p>{esc(message)}</p>")
