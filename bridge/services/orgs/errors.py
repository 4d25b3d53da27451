"""Why an admin action was refused: one class per documented problem type.

Each is a ``bridge.domain.errors`` class with a stable ``code`` (the API's RFC 9457 ``type`` is
``urn:bridge:problem:<code>``), a title and a detail that says what to do. Which HTTP status
each answers with is the admin API's business (``bridge.web.errors``).
"""

from __future__ import annotations

from bridge.domain.errors import (
    AppPasswordsForbidden,
    BridgeError,
    Conflict,
    InvalidInput,
    NotAllowed,
    NotAServiceAccount,
    NotFound,
    ServiceAccountWithoutMfa,
)
from bridge.domain.wording import N_
from bridge.services.account.errors import LastAdmin
from bridge.services.password_policy import WeakPassword

#: Every refusal of the organisation services is a ``BridgeError``; the old name stays.
OrgProblem = BridgeError


class NotAnAdmin(NotAllowed):
    code = "not-an-admin"
    title = N_("Only an admin of this organisation (or of its partner) may do this")


class OperatorOnly(NotAllowed):
    code = "operator-only"
    title = N_("Only an operator of the bridge may do this (bridge org ... on the command line)")


class SelfAction(NotAllowed):
    code = "self-action"
    title = N_("Admins cannot use admin actions on their own account")


class DomainNotVerified(NotAllowed):
    code = "domain-not-verified"
    title = N_("The user's e-mail domain is not verified by this organisation")


class ResetLinkRefused(Conflict):
    """No link can go to this account (its state, an organisation's policy, the hourly limit)."""

    code = "reset-link-refused"
    title = N_("No password reset link can be sent")


class TemporaryPasswordRefused(Conflict):
    """The member signs in through single sign-on: a local password would go around it."""

    code = "temporary-password-refused"
    title = N_("No temporary password can be set")


class SsoEnabled(Conflict):
    code = "sso-enabled"
    title = N_("2FA cannot be enforced while single sign-on is on")


class MembersUseMfa(Conflict):
    code = "members-use-mfa"
    title = N_("Single sign-on cannot be turned on while members use 2FA")


class MfaEnforced(Conflict):
    code = "mfa-enforced"
    title = N_("Single sign-on cannot be turned on while 2FA is enforced")


class ProductionPartner(Conflict):
    code = "production-partner"
    title = N_("A partner in production mode always enforces 2FA")


class AdminCodeRequired(NotAllowed):
    code = "admin-code-required"
    title = N_("Turning 2FA off with on_disable=wipe needs your current authenticator code")


class AdminCodeInvalid(NotAllowed):
    code = "admin-code-invalid"
    title = N_("The authenticator code is not valid")


#: The problem types the admin API documents (``bridge.web.admin.openapi``).
PROBLEMS: tuple[type[BridgeError], ...] = (
    InvalidInput,
    NotFound,
    NotAnAdmin,
    OperatorOnly,
    SelfAction,
    DomainNotVerified,
    SsoEnabled,
    WeakPassword,
    ResetLinkRefused,
    TemporaryPasswordRefused,
    MembersUseMfa,
    MfaEnforced,
    ProductionPartner,
    AdminCodeRequired,
    AdminCodeInvalid,
    NotAServiceAccount,
    AppPasswordsForbidden,
    ServiceAccountWithoutMfa,
    LastAdmin,
    Conflict,
)

__all__ = [
    "PROBLEMS",
    "AdminCodeInvalid",
    "AdminCodeRequired",
    "Conflict",
    "DomainNotVerified",
    "InvalidInput",
    "MembersUseMfa",
    "MfaEnforced",
    "NotAnAdmin",
    "NotFound",
    "OperatorOnly",
    "OrgProblem",
    "ProductionPartner",
    "ResetLinkRefused",
    "SelfAction",
    "SsoEnabled",
    "TemporaryPasswordRefused",
]
