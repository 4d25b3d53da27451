"""A change to an organisation's security policy, as the admin API, the console and the CLI send it.

``PolicyChanges`` is the one description of what may change and within which limits; the admin
API's OpenAPI document is generated from it. ``parse_policy_changes`` checks a partial policy
against it and names the first problem in the order the admin wrote the fields.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    Field,
    ModelWrapValidatorHandler,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema

from bridge.domain.validators import SSO_IDP_ALIAS, Domain, SsoIdpAlias, normal_domain
from bridge.domain.wording import Phrase
from bridge.services.orgs.validation import Body, parse, refuse

TRUSTED_BROWSER_DAYS = (7, 90)
LOCKOUT_LIMITS = (1, 100)
MAX_SSO_DOMAINS = 100

TrustedBrowserDays = Annotated[int, Field(ge=TRUSTED_BROWSER_DAYS[0], le=TRUSTED_BROWSER_DAYS[1])]
LockoutLimit = Annotated[int, Field(ge=LOCKOUT_LIMITS[0], le=LOCKOUT_LIMITS[1])]
SsoDomains = Annotated[list[Domain], Field(max_length=MAX_SSO_DOMAINS)]


def check_policy_body(raw: Any, known: tuple[str, ...]) -> None:
    """A non-empty object of ``known`` fields only, or the refusal that says so."""
    if not isinstance(raw, dict) or not raw:
        refuse("Send a JSON object with at least one policy field.")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        refuse(
            f"Unknown policy field(s): {', '.join(map(str, unknown))}. Known: {', '.join(known)}.",
            str(unknown[0]),
        )


class PolicyChanges(Body):
    """Some policy fields; a field left out keeps its value. ``null`` is not a value of any
    field but ``sso_idp_alias`` (no provider)."""

    FIRST_PROBLEM: ClassVar[Literal["body order", "model order"]] = "body order"

    mfa_enforced: bool | SkipJsonSchema[None] = None
    on_disable: Literal["keep", "wipe"] | SkipJsonSchema[None] = None
    trusted_browsers_enabled: bool | SkipJsonSchema[None] = None
    trusted_browser_days: TrustedBrowserDays | SkipJsonSchema[None] = None
    lockout_password_failures: LockoutLimit | SkipJsonSchema[None] = None
    lockout_code_failures: LockoutLimit | SkipJsonSchema[None] = None
    lockout_action: Literal["lock", "restart"] | SkipJsonSchema[None] = None
    sso_enabled: bool | SkipJsonSchema[None] = None
    sso_idp_alias: SsoIdpAlias | None = None
    sso_domains: SsoDomains | SkipJsonSchema[None] = None
    admin_reset_requires_verified_domain: bool | SkipJsonSchema[None] = None
    app_passwords_allowed: bool | SkipJsonSchema[None] = None
    password_reset_allowed: bool | SkipJsonSchema[None] = None

    _order: tuple[str, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _remember_order(cls, raw: Any, handler: ModelWrapValidatorHandler[PolicyChanges]) -> Any:
        changes = handler(raw)
        changes._order = tuple(raw)  # the audit records the changes as the admin wrote them
        return changes

    @model_validator(mode="before")
    @classmethod
    def _check_body(cls, raw: Any) -> Any:
        check_policy_body(raw, POLICY_FIELDS)
        return raw

    @field_validator(
        "mfa_enforced",
        "trusted_browsers_enabled",
        "sso_enabled",
        "admin_reset_requires_verified_domain",
        "app_passwords_allowed",
        "password_reset_allowed",
        mode="before",
    )
    @classmethod
    def _flag(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, bool):
            refuse(
                Phrase("'%(field)s' must be true or false.", field=info.field_name), info.field_name
            )
        return value

    @field_validator("on_disable", "lockout_action", mode="before")
    @classmethod
    def _choice(cls, value: Any, info: ValidationInfo) -> Any:
        choices = {"on_disable": ("keep", "wipe"), "lockout_action": ("lock", "restart")}
        name = str(info.field_name)
        if value not in choices[name]:
            refuse(
                Phrase(
                    "'%(field)s' must be one of %(choices)s.",
                    field=name,
                    choices=", ".join(choices[name]),
                ),
                name,
            )
        return value

    @field_validator(
        "trusted_browser_days",
        "lockout_password_failures",
        "lockout_code_failures",
        mode="before",
    )
    @classmethod
    def _whole_number(cls, value: Any, info: ValidationInfo) -> Any:
        name = str(info.field_name)
        low, high = TRUSTED_BROWSER_DAYS if name == "trusted_browser_days" else LOCKOUT_LIMITS
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            refuse(
                Phrase(
                    "'%(field)s' must be a whole number from %(low)s to %(high)s.",
                    field=name,
                    low=low,
                    high=high,
                ),
                name,
            )
        return value

    @field_validator("sso_idp_alias", mode="before")
    @classmethod
    def _alias(cls, value: Any) -> Any:
        if value is not None and (not isinstance(value, str) or not SSO_IDP_ALIAS.fullmatch(value)):
            refuse(
                Phrase(
                    "'%(field)s' must be null or 1-100 characters of a-z, 0-9, '.', '_', '-'.",
                    field="sso_idp_alias",
                ),
                "sso_idp_alias",
            )
        return value

    @field_validator("sso_domains", mode="before")
    @classmethod
    def _domains(cls, value: Any) -> Any:
        if not isinstance(value, list) or len(value) > MAX_SSO_DOMAINS:
            refuse(
                Phrase(
                    "'%(field)s' must be a list of up to %(most)s domains.",
                    field="sso_domains",
                    most=MAX_SSO_DOMAINS,
                ),
                "sso_domains",
            )
        domains = set()
        for item in value:
            domain = normal_domain(item)
            if domain is None:
                refuse(
                    Phrase(
                        "'%(field)s' must be a domain name such as example.com.",
                        field="sso_domains",
                    ),
                    "sso_domains",
                )
            domains.add(domain)
        return sorted(domains)

    def changes(self) -> dict[str, Any]:
        """The policy fields the body held, in its order, with their checked (and normalised)
        values."""
        return {name: getattr(self, name) for name in self._order if name in POLICY_FIELDS}


POLICY_FIELDS = tuple(PolicyChanges.model_fields)


def parse_policy_changes(raw: Any) -> dict[str, Any]:
    """Validate a partial policy; every problem is an ``InvalidInput`` naming the field."""
    return parse(PolicyChanges, raw).changes()
