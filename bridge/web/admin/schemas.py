"""The admin API's request bodies as pydantic models, and the names both they and the answers
(``bridge.web.admin.answers``) use.

``bridge.web.admin.openapi`` generates the OpenAPI document from these models. Request bodies are
parsed through them (``bridge.services.orgs.validation.parse``), refusing with the sentences the
API has
always used; answers are checked against them on the way out, so the document cannot drift
from what the API sends. A provider's body is described here but checked by the service
(``bridge.federation.provider_input``) after the caller's authority, as it always was.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import ConfigDict, Field, ValidationInfo, model_validator
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from bridge.config.providers import UPSTREAM_ALGORITHMS
from bridge.domain.errors import InvalidInput
from bridge.domain.language import LANGUAGES
from bridge.domain.validators import Domain, ProviderAlias
from bridge.domain.wording import Phrase
from bridge.federation.provider_input import MAX_ITEMS, MAX_LENGTH
from bridge.services.account.member_accounts import ACCOUNT_ACTIONS
from bridge.services.api_clients import MAX_SCOPES as MAX_API_SCOPES
from bridge.services.api_clients import check_jwks
from bridge.services.api_clients import check_name as check_api_client_name
from bridge.services.api_clients import check_scopes as check_api_scopes
from bridge.services.app_password_values import MAX_COMMENT, SCOPES, check_comment, check_scopes
from bridge.services.audit_export import FORMATS, ExportFormat
from bridge.services.orgs.audit import AuditSearch
from bridge.services.orgs.members import ACTIONS, ROLES, STATUSES
from bridge.services.orgs.policy_input import (
    POLICY_FIELDS,
    PolicyChanges,
    check_policy_body,
)
from bridge.services.orgs.service import KINDS, MODES
from bridge.services.orgs.validation import Body, refuse

MAX_AUDIT_LIMIT = 500
#: The longest password a body may hold (the policy's own maximum decides what is accepted).
MAX_PASSWORD = 1024
DEFAULT_AUDIT_LIMIT = 100

if TYPE_CHECKING:
    Action = str
    AccountAction = str
    MfaStatus = str
    Kind = str
    Mode = str
    Algorithm = str
    AppPasswordScope = str
else:  # literal types of the tuples the services own, so that each list of names is written once
    Action = Literal[ACTIONS]
    AccountAction = Literal[ACCOUNT_ACTIONS]
    MfaStatus = Literal[STATUSES]
    Kind = Literal[KINDS]
    Mode = Literal[MODES]
    Algorithm = Literal[UPSTREAM_ALGORITHMS]
    AppPasswordScope = Literal[SCOPES]

#: A role's name; which names are roles is ``MemberService``'s rule (and its refusal).
RoleName = Annotated[str, WithJsonSchema({"type": "string", "enum": list(ROLES)})]
LanguageName = Annotated[
    str | None, WithJsonSchema({"type": ["string", "null"], "enum": [*LANGUAGES, None]})
]
Timestamp = Annotated[str, Field(json_schema_extra={"format": "date-time"})]


def _text(name: str) -> Any:
    return Field(max_length=MAX_LENGTH[name])


def _items(name: str) -> Any:
    return Field(max_length=MAX_ITEMS[name])


def unexpected(names: Iterable[str]) -> Phrase:
    return Phrase("Unexpected field(s): %(names)s.", names=", ".join(names))


# --- requests ---------------------------------------------------------------------------------


class PolicyChange(PolicyChanges):
    """Some policy fields; every rule is checked before anything changes."""

    admin_code: str | None = Field(
        default=None,
        description="Your current TOTP code: needed to turn enforcement off with "
        "on_disable=wipe while members use 2FA.",
    )

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        policy = raw
        if isinstance(raw, dict):
            code = raw.get("admin_code")
            if code is not None and not isinstance(code, str):
                refuse(
                    Phrase("'%(field)s' must be a string of digits.", field="admin_code"),
                    "admin_code",
                )
            policy = {name: value for name, value in raw.items() if name != "admin_code"}
        check_policy_body(policy, POLICY_FIELDS)
        return raw


class MemberCreate(Body):
    """An existing user to add (of a domain the organisation verified)."""

    model_config = ConfigDict(extra="ignore")

    username: str
    role: RoleName = "member"

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        username = raw.get("username") if isinstance(raw, dict) else None
        if not isinstance(username, str) or not username.strip():
            refuse(Phrase("'%(field)s' must name an existing user.", field="username"), "username")
        if not isinstance(raw.get("role", "member"), str):
            refuse(Phrase("'%(field)s' must be 'member' or 'admin'.", field="role"), "role")
        return raw


class MemberRoleChange(Body):
    """A member's new role."""

    role: RoleName

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        if not isinstance(raw, dict) or set(raw) != {"role"} or not isinstance(raw["role"], str):
            refuse('Send {"role": "member"} or {"role": "admin"}.', "role")
        return raw


class LanguageChange(Body):
    """A language for pages and mails (issue 13); null: the next hint decides."""

    language: LanguageName

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        if (
            not isinstance(raw, dict)
            or set(raw) != {"language"}
            or raw["language"] not in (*LANGUAGES, None)
        ):
            refuse('Send {"language": "de"}, {"language": "en"} or {"language": null}.', "language")
        return raw


class MemberActionOptions(Body):
    """Options of an admin action: only require-mfa takes one."""

    # Parsed with ``context={"action": <the action of the path>}``.

    required: bool | SkipJsonSchema[None] = Field(
        default=None, description="require-mfa only; false lifts it"
    )

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any, info: ValidationInfo) -> Any:
        options = set(raw) if isinstance(raw, dict) else set()
        if (info.context or {}).get("action") == "require-mfa":
            options.discard("required")
        if options:
            refuse(unexpected(sorted(map(str, options))))
        if "required" in raw and not isinstance(raw["required"], bool):
            refuse(  # MemberService's words
                Phrase("'%(field)s' must be true or false.", field="required"), "required"
            )
        return raw


class TemporaryPassword(Body):
    """A temporary password for a member: the password policy applies, and the member chooses
    a new one at their next sign-in (after their second factor)."""

    password: Annotated[str, Field(min_length=1, max_length=MAX_PASSWORD)] = Field(
        json_schema_extra={"writeOnly": True}
    )

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            refuse('Send {"password": "..."}.')
        unknown = sorted(set(raw) - {"password"})
        if unknown:
            refuse(f"Unexpected field(s): {', '.join(map(str, unknown))}.", str(unknown[0]))
        password = raw.get("password")
        if not isinstance(password, str) or not password:
            refuse("'password' must be a non-empty string.", "password")
        if len(password) > MAX_PASSWORD:
            refuse(f"'password' must be at most {MAX_PASSWORD} characters.", "password")
        return raw


class AppPasswordCreate(Body):
    """A new app password for a service account: what it is for, and what it may do."""

    comment: Annotated[str, Field(min_length=1, max_length=MAX_COMMENT)]
    scopes: list[AppPasswordScope] | SkipJsonSchema[None] = Field(
        default=None, description="Default: every scope (proxy: the forward-auth endpoint)."
    )

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            refuse("Send a JSON object with a 'comment'.")
        unknown = sorted(set(raw) - {"comment", "scopes"})
        if unknown:
            refuse(unexpected(map(str, unknown)), str(unknown[0]))
        try:
            check_comment(raw.get("comment"))
            check_scopes(raw.get("scopes"))
        except InvalidInput as error:
            refuse(error.detail, error.field)
        return raw


class ApiClientCreate(Body):
    """A new API client of the organisation: its name, the scopes granted, and either nothing
    (it gets a secret) or the public keys it signs its assertions with (private_key_jwt)."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    scopes: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        min_length=1,
        max_length=MAX_API_SCOPES,
        description="The scopes granted, e.g. invoices:read",
    )
    jwks: dict[str, Any] | SkipJsonSchema[None] = Field(
        default=None,
        description="A JWK Set of public keys ({'keys': [...]}): the client then authenticates "
        "with private_key_jwt and gets no secret.",
    )

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        if not isinstance(raw, dict):
            refuse("Send a JSON object with a 'name' and 'scopes'.")
        unknown = sorted(set(raw) - {"name", "scopes", "jwks"})
        if unknown:
            refuse(unexpected(map(str, unknown)), str(unknown[0]))
        try:
            check_api_client_name(raw.get("name"))
            check_api_scopes(raw.get("scopes"))
            if raw.get("jwks") is not None:
                check_jwks(raw["jwks"])
        except InvalidInput as error:
            refuse(error.detail, error.field)
        return raw


class AuditQuery(AuditSearch):
    """The query of ``GET .../audit``: the filters (``AuditSearch``) and how many events."""

    limit: Annotated[int, Field(ge=1, le=MAX_AUDIT_LIMIT)] = DEFAULT_AUDIT_LIMIT

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        text = raw.get("limit", str(DEFAULT_AUDIT_LIMIT))
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= MAX_AUDIT_LIMIT:
            refuse(
                Phrase(
                    "'%(field)s' must be a whole number from %(low)s to %(high)s.",
                    field="limit",
                    low=1,
                    high=MAX_AUDIT_LIMIT,
                )
            )
        return {**raw, "limit": int(text)}


class AuditExportQuery(AuditSearch):
    """The query of ``GET .../audit/export``: the filters and the format."""

    format: ExportFormat = Field(
        default="jsonl", description="jsonl: JSON Lines; csv: CSV with a header row"
    )

    @model_validator(mode="before")
    @classmethod
    def _check_format(cls, raw: Any) -> Any:
        fmt = raw.get("format", "jsonl")
        if fmt not in FORMATS:
            refuse(
                Phrase(
                    "'%(field)s' must be one of: %(choices)s.",
                    field="format",
                    choices=", ".join(FORMATS),
                ),
                "format",
            )
        return raw


class ClaimsChange(Body):
    """Which upstream ID token claims hold the subject, the e-mail and the name."""

    subject: str | SkipJsonSchema[None] = None
    email: str | SkipJsonSchema[None] = None
    email_verified: str | SkipJsonSchema[None] = None
    name: str | SkipJsonSchema[None] = None


class IdentityProviderChange(Body):
    """Some fields of a provider (never the alias or the issuer). The client secret is
    write-only: answers say client_secret_set."""

    alias: ProviderAlias | SkipJsonSchema[None] = None
    issuer: (
        Annotated[str, _text("issuer"), Field(json_schema_extra={"format": "uri"})]
        | (SkipJsonSchema[None])
    ) = None
    client_id: Annotated[str, _text("client_id")] | SkipJsonSchema[None] = None
    client_secret: Annotated[str, _text("client_secret")] | None = Field(
        default=None,
        description="Never returned; null: a public client (PKCE only).",
        json_schema_extra={"writeOnly": True},
    )
    display_name: Annotated[str, _text("display_name")] | None = None
    scopes: Annotated[list[str], _items("scopes")] | SkipJsonSchema[None] = None
    domains: Annotated[list[Domain], _items("domains")] | SkipJsonSchema[None] = None
    claims: ClaimsChange | SkipJsonSchema[None] = None
    link_by_verified_email: bool | SkipJsonSchema[None] = None
    trusted_amr: bool | SkipJsonSchema[None] = None
    algorithms: (
        Annotated[list[Algorithm], _items("algorithms"), Field(min_length=1)]
        | (SkipJsonSchema[None])
    ) = None
    timeout: Annotated[int, Field(ge=1, le=60)] | SkipJsonSchema[None] = None
    metadata_ttl: Annotated[int, Field(ge=60, le=86_400)] | SkipJsonSchema[None] = None
    max_clock_skew: Annotated[int, Field(ge=0, le=600)] | SkipJsonSchema[None] = None


class IdentityProviderCreate(IdentityProviderChange):
    """A new provider for the organisation's single sign-on; its domains must be verified by
    the organisation."""

    alias: ProviderAlias
    issuer: Annotated[str, _text("issuer"), Field(json_schema_extra={"format": "uri"})]
    client_id: Annotated[str, _text("client_id")]
