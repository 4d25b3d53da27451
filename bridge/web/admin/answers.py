"""The admin API's answers as pydantic models: checked on the way out (``api._answer``), so the
OpenAPI document that ``bridge.web.admin.openapi`` generates from them says what is sent. The
request bodies are ``bridge.web.admin.schemas``."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.json_schema import SkipJsonSchema

from bridge.domain.validators import Domain, ProviderAlias, Slug, SsoIdpAlias
from bridge.services.orgs.policy_input import LockoutLimit, SsoDomains, TrustedBrowserDays
from bridge.web.admin.schemas import (
    Algorithm,
    AppPasswordScope,
    Kind,
    MfaStatus,
    Mode,
    RoleName,
    Timestamp,
)


class Answer(BaseModel):
    """What the API sends: checked on the way out, so the document says what is sent."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")


class Policy(Answer):
    mfa_enforced: bool
    mfa_always_enforced: bool
    on_disable: Literal["keep", "wipe"]
    trusted_browsers_enabled: bool
    trusted_browser_days: TrustedBrowserDays
    lockout_password_failures: LockoutLimit
    lockout_code_failures: LockoutLimit
    lockout_action: Literal["lock", "restart"]
    sso_enabled: bool
    sso_idp_alias: SsoIdpAlias | None
    sso_domains: SsoDomains
    admin_reset_requires_verified_domain: bool = Field(
        description="An admin may reset the 2FA only of members whose e-mail domain the "
        "organisation verified (a member's own reset request may be approved by any admin)."
    )
    app_passwords_allowed: bool
    password_reset_allowed: bool = Field(
        description="Members may set a forgotten password again with a link mailed to them "
        "(never while single sign-on is on)."
    )


class PolicyAfterChange(Policy):
    wiped_users: int = Field(description="Members whose 2FA on_disable=wipe removed.")


class Progress(Answer):
    """Members with 2FA configured, out of members who need it."""

    configured: int
    needing: int
    percent: int


class Org(Answer):
    slug: Slug
    name: str
    kind: Kind
    mode: Mode
    policy: Policy


class OrgDetail(Org):
    domains: list[Domain]
    mfa_progress: Progress
    acting_via_partner: Slug | None


class OrgList(Answer):
    orgs: list[Org]


class Member(Answer):
    id: str
    username: str
    email: str | None
    role: RoleName
    mfa_status: MfaStatus
    mfa_configured: bool
    mfa_required: bool
    mfa_required_because: list[str]
    service_account: bool
    locked: bool
    disabled: bool
    password_must_change: bool = Field(
        description="A temporary password set by an admin or the operator waits to be "
        "replaced: the member chooses a new one at the next sign-in."
    )


class TemporaryPasswordSet(Answer):
    """A temporary password was set: the member's sessions, grants and app passwords ended."""

    username: str
    password_must_change: bool = Field(
        description="The member chooses a new password at the next sign-in."
    )


class ResetLinkSent(Answer):
    """The "forgot password" link was mailed to the member, in their language."""

    username: str
    email: str
    expires_in_minutes: int


class LanguageSetting(Answer):
    """A person's language, or an organisation's default; null: not set."""

    language: str | None


class AccountDeleted(Answer):
    """A member's account deleted (GDPR Art. 17): the pseudonym its audit events carry now."""

    pseudonym: str


class MemberList(Answer):
    members: list[Member]


class AuditEvent(Answer):
    id: int
    occurred_at: Timestamp
    event: str
    user_id: str | None
    actor_id: str | None
    client_id: str | None = Field(description="The application signed in to, if any.")
    ip: str | None
    user_agent: str | None
    mfa_factor_type: str | None = Field(
        description="Sign-ins: the second factor used or failed (totp, recovery_code, "
        "trusted_device, federated, ...)."
    )
    reason: str | None
    details: dict[str, Any]


class AuditEventList(Answer):
    events: list[AuditEvent]


class ResetRequest(Answer):
    """A member's "lost my device" request (R13)."""

    id: str
    user_id: str
    status: str
    message: str | None
    requested_at: Timestamp


class ResetRequestList(Answer):
    requests: list[ResetRequest]


class Claims(Answer):
    subject: str
    email: str
    email_verified: str
    name: str


class IdentityProvider(Answer):
    """An identity provider; configured ones (source "config") are read-only."""

    alias: ProviderAlias
    source: Literal["config", "database"]
    read_only: bool
    organisation: str | None
    issuer: str
    client_id: str
    client_secret_set: bool
    unusable: str | None = Field(
        description="Why no login can go through the provider now; null: usable."
    )
    display_name: str | None
    scopes: list[str]
    domains: list[Domain]
    claims: Claims
    link_by_verified_email: bool
    trusted_amr: bool
    algorithms: list[Algorithm]
    timeout: int
    metadata_ttl: int
    max_clock_skew: int
    created_at: Timestamp | SkipJsonSchema[None] = Field(
        default=None, description="Added through the API only."
    )
    updated_at: Timestamp | SkipJsonSchema[None] = Field(
        default=None, description="Added through the API only."
    )


class IdentityProviderList(Answer):
    identity_providers: list[IdentityProvider]


class ProviderRemoved(Answer):
    removed: ProviderAlias
    links_removed: int
    domains_removed: list[Domain]


class AppPassword(Answer):
    """An app password, without its secret (shown only when it is created)."""

    id: str
    comment: str
    scopes: list[AppPasswordScope]
    created_at: Timestamp
    last_used_at: Timestamp | None
    last_used_ip: str | None


class NewAppPassword(AppPassword):
    secret: str = Field(description="Shown only now; stored as a keyed hash.")


class AppPasswordList(Answer):
    app_passwords: list[AppPassword]


class ApiClient(Answer):
    """An API client of the organisation (client credentials), without its secret."""

    client_id: str
    name: str
    scopes: list[str]
    auth_method: Literal["client_secret", "private_key_jwt"]
    created_at: Timestamp


class NewApiClient(ApiClient):
    secret: str | None = Field(
        description="Shown only now (created or rotated); stored hashed. None for a client "
        "that authenticates with its key."
    )


class ApiClientList(Answer):
    api_clients: list[ApiClient]


class Problem(Answer):
    """RFC 9457 problem details; type is urn:bridge:problem:<slug>."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str
    members: list[str] | SkipJsonSchema[None] = Field(
        default=None, description="members-use-mfa: the members who use 2FA."
    )
    field: str | SkipJsonSchema[None] = Field(
        default=None, description="invalid-input: the field at fault."
    )
