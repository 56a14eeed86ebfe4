"""The page an invitation link opens: ``/invite/<token>``, for people, in any browser.

GET shows the org, the role and a form (a new account's name and password, or the password of the
account the invitation's address already has); it changes nothing, so mail scanners that fetch
links accept nothing. POST accepts through the invitations service (one transaction: account,
membership, token voided) and says what to do next. No auth: the token in the path is the secret.
No cookies either, so a forged cross-site POST could only do what its sender could do with the
token; still, a POST whose browser says it came from another site (``Origin``, ``Sec-Fetch-Site``)
is refused. Problems answer a page with the right status (400 bad link, 404 unknown or used, 410
expired, 409 disabled membership) and are handled here, so the token in the path never reaches the
error middleware's log lines.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from urllib.parse import urlsplit

from aiohttp import web

from appliance.api.auth import public
from appliance.api.keys import APPLIANCE
from appliance.api.views.invite_html import Invite, invite_form, joined_page, problem_page
from appliance.api.views.orgs_common import publish_change
from appliance.errors import ApplianceError, AuthenticationError, PayloadTooLarge, PermissionDenied, ValidationError
from appliance.services.invitations import ACTIVE_DAYS, INVITE_PATH, Acceptance, InvitationGone

LOGGER = logging.getLogger(__name__)
FORM_LIMIT = 16 * 1024
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                               "frame-ancestors 'none'; base-uri 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",  # not no-referrer: that would make browsers send Origin: null
}
PROBLEMS: Mapping[str, tuple[str, str]] = {
    "invalid_token": ("This link is not complete",
                      "Copy the whole link from the invitation into the browser's address bar."),
    "invitation_not_found": ("This invitation link does not work any more",
                             "It was already used, or the invitation was sent again (which makes a new link) or "
                             "deleted. Ask an administrator of the organization to invite you again."),
    "invitation_expired": ("This invitation has expired",
                           f"Invitations work for {ACTIVE_DAYS} days. Ask an administrator of the organization "
                           "to send it again."),
    "membership_disabled": ("Your membership is switched off",
                            "You are a member of this organization but your membership is disabled. Ask an "
                            "administrator of the organization to enable it."),
    "sign_in_to_accept": ("An account for this address exists",
                          "Open the invitation link again and sign in with that account's password."),
    "inactive": ("Your account is disabled", "Ask the appliance's administrator to enable it."),
    "cross_site": ("Send the form from the invitation page",
                   "This form was sent from another web site. Open the invitation link and send it from there."),
    "bad_form": ("Send the form from the invitation page", "Open the invitation link and fill in the form there."),
    "too_large": ("The form is too large", "Open the invitation link and fill in the form again."),
}
FORM_ERRORS = frozenset({"invalid", "weak_password", "passwords_differ", "bad_credentials", "missing_field",
                         "duplicate_username", "invalid_name"})


def setup(app: web.Application) -> None:
    app.router.add_get(INVITE_PATH, incomplete)
    app.router.add_get(f"{INVITE_PATH}{{token}}", show)
    app.router.add_post(f"{INVITE_PATH}{{token}}", accept)


def html_page(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, status=status, content_type="text/html", charset="utf-8", headers=HEADERS)


def problem(err: ApplianceError) -> web.Response:
    LOGGER.info("invitation page -> %d %s", err.status, err.key)  # never the path: it holds the token
    title, message = PROBLEMS.get(err.key, ("The invitation could not be accepted", err.message))
    return html_page(problem_page(title, message), 403 if err.status == 401 else err.status)  # a page has no
    # WWW-Authenticate scheme to offer


async def _invite(request: web.Request) -> Invite:
    invitation, has_account = await request.app[APPLIANCE].invitations.lookup(request.match_info["token"])
    if invitation.expired():
        raise InvitationGone("this invitation expired")
    return Invite(invitation, has_account)


@public
async def incomplete(_request: web.Request) -> web.Response:
    """``/invite/`` without a token: a link cut short by a mail program."""
    return problem(ValidationError("no token", key="invalid_token"))


@public
async def show(request: web.Request) -> web.Response:
    try:
        invite = await _invite(request)
    except ApplianceError as err:
        return problem(err)
    return html_page(invite_form(invite))


@public
async def accept(request: web.Request) -> web.Response:
    """The form: join as the existing account (its password) or create the invited account."""
    try:
        check_same_origin(request)
        invite = await _invite(request)
        form = await form_of(request)
    except ApplianceError as err:
        return problem(err)
    try:
        result = await _join(request, invite, form)
    except ApplianceError as err:
        if err.key not in FORM_ERRORS:
            return problem(err)
        LOGGER.info("invitation page: form refused (%s)", err.key)
        return html_page(invite_form(invite, error=_form_error(err, invite), name=form.get("name", "")),
                         403 if isinstance(err, AuthenticationError) else 400)
    publish_change(request, orgs=True, accounts=result.created_account, org=result.invitation.org_slug)
    page = joined_page(invite, created=result.created_account, base_url=public_base(request))
    return html_page(page, 201 if result.created_account else 200)


async def _join(request: web.Request, invite: Invite, form: Mapping[str, str]) -> Acceptance:
    appliance, token = request.app[APPLIANCE], request.match_info["token"]
    password = form.get("password", "")
    if invite.has_account:
        account = await appliance.accounts.authenticate(invite.invitation.email, password)
        return await appliance.invitations.accept(token, account=account)
    if password != form.get("confirm", ""):
        raise ValidationError("the two passwords differ", key="passwords_differ")
    return await appliance.invitations.accept(token, account=None, password=password, name=form.get("name", ""))


def _form_error(err: ApplianceError, invite: Invite) -> str:
    if err.key == "bad_credentials":
        return f"That is not the password of {invite.invitation.email}. Try again."
    if err.key == "passwords_differ":
        return "The two passwords differ. Type the same password twice."
    return f"{err.message[:1].upper()}{err.message[1:]}."


def check_same_origin(request: web.Request) -> None:
    """Browsers say where a form came from; anything but this appliance's own page is refused."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None and site not in ("same-origin", "none"):
        raise PermissionDenied("cross-site form", key="cross_site")
    origin = request.headers.get("Origin")
    if origin is not None and origin.rstrip("/") not in _own_origins(request):
        raise PermissionDenied("cross-site form", key="cross_site")


def _own_origins(request: web.Request) -> set[str]:
    own = {f"{request.scheme}://{request.host}"}
    public = str(request.app[APPLIANCE].settings["server.public_url"])
    if public:
        parts = urlsplit(public)
        own.add(f"{parts.scheme}://{parts.netloc}")
    return own


async def form_of(request: web.Request) -> dict[str, str]:
    """The form's text fields; anything but a small browser form is refused before it is read."""
    if request.content_type not in FORM_TYPES:
        raise ValidationError("not a form", key="bad_form")
    if request.content_length is None or request.content_length > FORM_LIMIT:
        raise PayloadTooLarge("form too large", key="too_large")
    data = await request.post()
    return {name: value for name, value in data.items() if isinstance(value, str)}


def public_base(request: web.Request) -> str:
    public = str(request.app[APPLIANCE].settings["server.public_url"]).rstrip("/")
    return public or str(request.url.origin())
