"""What every page of the admin console shares: rendering, notices and labels, form fields,
the sign-in guard, and how a refusal is shown.

A refusal that stops a page (not an admin of the organisation, no such organisation) is raised
and shown by the console blueprint's error handler (``refused_page``). A change the services
refuse shows the page it was made from again, with the refusal on top (``shows_refusal``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from flask import Response, make_response, render_template, request, url_for

from bridge.domain.errors import BridgeError
from bridge.domain.wording import N_, Phrase, renamed
from bridge.web.auth import View, admin_of_org, signed_in
from bridge.web.browser import csrf_token
from bridge.web.context import services
from bridge.web.errors import error_page_response, status_of
from bridge.web.language import translated
from bridge.web.pages import organisation_name

NOTICES = {
    "policy": N_("The policy was saved."),
    "unlock": N_("The account was unlocked."),
    "reset-mfa": N_("The member's 2FA was reset; they set it up again at their next login."),
    "require-mfa": N_("2FA is now required for this member."),
    "to-service-account": N_("The member is now a service account (no 2FA)."),
    "from-service-account": N_("The service account is a person again; 2FA rules apply."),
    "reset-approved": N_(
        "The request was approved: the member's 2FA was reset and they were "
        "e-mailed; they set up a new authenticator at their next login."
    ),
    "temporary-password": N_(
        "The temporary password was set and the member was signed out everywhere; they "
        "choose their own at their next sign-in."
    ),
    "reset-link-sent": N_("A password reset link was mailed to the member."),
    "account-disabled": N_(
        "The account was disabled: the member was signed out everywhere and cannot sign in."
    ),
    "account-enabled": N_("The account was enabled: the member can sign in again."),
    "account-deleted": N_(
        "The account was deleted with its personal data; the audit log keeps its events "
        "under a pseudonym."
    ),
    "provider-added": N_("The provider was added."),
    "provider-secret": N_("The provider's client secret was changed."),
    "provider-removed": N_("The provider was removed, with its domains and linked accounts."),
}
ACTION_LABELS = {
    "unlock": N_("Unlock"),
    "reset-mfa": N_("Reset 2FA"),
    "require-mfa": N_("Require 2FA"),
    "to-service-account": N_("Make service account"),
    "from-service-account": N_("Make person again"),
}
STATUS_LABELS = {
    "setup_required": N_("Setup required"),
    "configured": N_("Configured"),
    "not_required": N_("Not required"),
    "service_account": N_("Service account"),
    "locked": N_("Locked"),
}
ROLE_LABELS = {"member": N_("Member"), "admin": N_("Admin")}
KIND_LABELS = {
    "partner": N_("partner"),
    "customer": N_("customer"),
    "standalone": N_("standalone"),
}
MODE_LABELS = {"trial": N_("trial"), "production": N_("production")}
#: Actions the member list asks to confirm first, with what they do (seed 002's dialog).
CONFIRMED_ACTIONS = {
    "reset-mfa": N_(
        "Their authenticator, recovery codes and trusted browsers are deleted; they set up a "
        "new authenticator at their next sign-in."
    ),
    "to-service-account": N_(
        "Their authenticator, recovery codes and trusted browsers are deleted and they are "
        "never asked for a second factor again: only for integrations that cannot use 2FA."
    ),
}
#: What the console's forms call the fields a refusal names by their API key (``'admin_code'``).
FIELD_LABELS = {
    "mfa_enforced": N_("Require two-factor authentication for every member"),
    "on_disable": N_("When 2FA is turned off"),
    "admin_code": N_("Your authenticator code"),
    "trusted_browsers_enabled": N_("Members may trust a browser"),
    "trusted_browser_days": N_("Days a browser is trusted"),
    "lockout_password_failures": N_("Wrong passwords before the account locks"),
    "lockout_code_failures": N_("Wrong codes before the account locks"),
    "lockout_action": N_("What happens then"),
    "sso_enabled": N_("Single sign-on"),
    "sso_idp_alias": N_("Identity provider"),
    "sso_domains": N_("SSO domains"),
    "admin_reset_requires_verified_domain": N_("Resets only for our verified domains"),
    "app_passwords_allowed": N_("App passwords"),
    "password_reset_allowed": N_("Password reset links"),
    "password": N_("Temporary password"),
    # the single sign-on provider form (its refusals come from the configuration's validators)
    "alias": N_("Alias"),
    "display_name": N_("Display name"),
    "issuer": N_("Issuer"),
    "client_id": N_("Client id"),
    "client_secret": N_("Client secret"),
    "domains": N_("E-mail domains"),
    "link_by_verified_email": N_("Link to existing accounts by verified e-mail"),
    # the audit page's filters
    "event": N_("Event"),
    "user": N_("Member (username)"),
    "since": N_("From"),
    "until": N_("Until"),
}

#: The actor's ``via`` in the audit log.
VIA = "console"


def _back_to() -> str:
    """After signing in: the page asked for, or the console's start for a form sent."""
    return request.path if request.method == "GET" else url_for("admin_console.home")


#: A signed-in user who is neither disabled nor locked; the view gets the ``SignedIn``.
console_user = signed_in(back_to=_back_to, active_only=True)


def org_admin(view: View) -> View:
    """A console view of one organisation: signed in (CSRF on POST) as an admin of ``<slug>``;
    the view gets the ``OrgAdmin``."""
    return console_user(admin_of_org(VIA)(view))


def render_page(template: str, status: int = 200, **values: Any) -> Response:
    response = make_response(
        render_template(
            template,
            csrf_token=csrf_token(services().secrets.secret_key),
            status_labels=STATUS_LABELS,
            action_labels=ACTION_LABELS,
            role_labels=ROLE_LABELS,
            kind_labels=KIND_LABELS,
            mode_labels=MODE_LABELS,
            confirmed_actions=CONFIRMED_ACTIONS,
            shown=shown,
            **values,
        )
    )
    response.status_code = status
    return response


def named(message: str, names: Mapping[str, str]) -> str:
    """A refusal's English text as an admin reads it: a field by the form's label instead of
    its API key, an organisation (``org``, or ``orgs`` joined by ", ") by its name instead of
    its slug (``names``: slug to name, read from the database for any other slug)."""

    def word(name: str, value: Any) -> Any:
        if name in ("field", "other_field") and isinstance(value, str) and value in FIELD_LABELS:
            return Phrase(FIELD_LABELS[value])
        if name == "org" and isinstance(value, str):
            return names.get(value) or organisation_name(name, value)
        if name == "orgs" and isinstance(value, str):  # several slugs, as the services join them
            return ", ".join(str(word("org", slug)) for slug in value.split(", "))
        return value

    return renamed(message, word)


def shown(message: str | None, org: Any = None) -> str:
    """A refusal's text as the console shows it: ``named`` (``org`` by its name), in the
    page's language."""
    if message is None:
        return ""
    return translated(named(message, {} if org is None else {org.slug: org.name}))


def error_status(error: BridgeError | None) -> int:
    """The status of a page shown with ``error`` on top (200 without one)."""
    return status_of(error) if error is not None else 200


def refused_page(error: BridgeError) -> Response:
    """The console's error handler: the refusal on its own page, fields named by their labels
    (and, as on every error page, an organisation by its name)."""
    return error_page_response(
        error, template="admin/refused.html", message=named(error.message, {})
    )


def shows_refusal(page: Callable[..., Response]) -> Callable[[View], View]:
    """A change refused by the services shows ``page(org_admin, error=..., **route_values)``
    again at the refusal's status; a refusal of the page itself goes to ``refused_page``."""

    def wrap(view: View) -> View:
        @functools.wraps(view)
        def run(who: Any, **kwargs: Any) -> Any:
            try:
                return view(who, **kwargs)
            except BridgeError as error:
                return page(who, error=error, **kwargs)

        return run

    return wrap


def checkbox(name: str) -> bool:
    return request.form.get(name) == "on"


def int_field(name: str) -> Any:
    raw = request.form.get(name, "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 6 else raw
