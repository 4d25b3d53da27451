"""Why an admin action was refused: one exception per documented problem type.

Each carries an HTTP status, a stable ``slug`` (the API's RFC 9457 ``type`` is
``urn:bridge:problem:<slug>``), a title and a detail that says what to do.
"""

from __future__ import annotations

from typing import Any


class OrgProblem(Exception):  # noqa: N818 (a problem, as RFC 9457 calls it)
    slug = "about:blank"
    status = 400
    title = "Bad request"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class InvalidInput(OrgProblem):
    slug = "invalid-input"
    status = 422
    title = "The request is not valid"


class NotFound(OrgProblem):
    slug = "not-found"
    status = 404
    title = "No such resource"


class NotAnAdmin(OrgProblem):
    slug = "not-an-admin"
    status = 403
    title = "Only an admin of this organisation (or of its partner) may do this"


class OperatorOnly(OrgProblem):
    slug = "operator-only"
    status = 403
    title = "Only an operator of the bridge may do this (bridge org ... on the command line)"


class SelfAction(OrgProblem):
    slug = "self-action"
    status = 403
    title = "Admins cannot use admin actions on their own account"


class DomainNotVerified(OrgProblem):
    slug = "domain-not-verified"
    status = 403
    title = "The user's e-mail domain is not verified by this organisation"


class SsoEnabled(OrgProblem):
    slug = "sso-enabled"
    status = 409
    title = "2FA cannot be enforced while single sign-on is on"


class MembersUseMfa(OrgProblem):
    slug = "members-use-mfa"
    status = 409
    title = "Single sign-on cannot be turned on while members use 2FA"


class MfaEnforced(OrgProblem):
    slug = "mfa-enforced"
    status = 409
    title = "Single sign-on cannot be turned on while 2FA is enforced"


class ProductionPartner(OrgProblem):
    slug = "production-partner"
    status = 409
    title = "A partner in production mode always enforces 2FA"


class AdminCodeRequired(OrgProblem):
    slug = "admin-code-required"
    status = 403
    title = "Turning 2FA off with on_disable=wipe needs your current authenticator code"


class AdminCodeInvalid(OrgProblem):
    slug = "admin-code-invalid"
    status = 403
    title = "The authenticator code is not valid"


class Conflict(OrgProblem):
    slug = "conflict"
    status = 409
    title = "The request conflicts with the current state"


PROBLEMS: tuple[type[OrgProblem], ...] = (
    InvalidInput,
    NotFound,
    NotAnAdmin,
    OperatorOnly,
    SelfAction,
    DomainNotVerified,
    SsoEnabled,
    MembersUseMfa,
    MfaEnforced,
    ProductionPartner,
    AdminCodeRequired,
    AdminCodeInvalid,
    Conflict,
)
