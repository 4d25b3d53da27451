"""The rules a change to an organisation's policy must pass, checked before anything changes.

2FA cannot be enforced while SSO is on, and SSO cannot be turned on while any member uses 2FA
(R6); password reset links cannot be turned on while SSO is on (issue 14); a partner in
production mode cannot turn 2FA off (R15); SSO names a provider that serves the organisation and
routes only domains it verified; a policy that wipes members' 2FA needs the acting admin's
current TOTP code (R5). ``OrgService.update_policy`` calls these; each rule is written once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from bridge.domain.wording import N_, Phrase
from bridge.services.orgs.access import Actor
from bridge.services.orgs.errors import (
    AdminCodeInvalid,
    AdminCodeRequired,
    InvalidInput,
    MembersUseMfa,
    MfaEnforced,
    ProductionPartner,
    SsoEnabled,
)
from bridge.services.totp import TotpService
from bridge.storage.db.models import Organisation, OrgDomain, User

if TYPE_CHECKING:
    from bridge.federation.providers import IdentityProviders

__all__ = ["check_admin_code", "check_policy_change"]


def check_policy_change(
    session: Any,
    providers: IdentityProviders,
    org: Organisation,
    before: dict[str, Any],
    after: dict[str, Any],
    with_totp: set[str],
) -> None:
    """Raise the first rule ``after`` breaks, given ``before`` and the members with 2FA."""
    if org.production_partner and not after["mfa_enforced"]:
        raise ProductionPartner(
            Phrase(
                "'%(org)s' is a partner in production mode: 2FA stays enforced for it.",
                org=org.slug,
            )
        )
    if after["mfa_enforced"] and not before["mfa_enforced"] and after["sso_enabled"]:
        raise SsoEnabled(
            Phrase(
                "'%(org)s' uses single sign-on; use your identity provider's 2FA, "
                "or turn SSO off first.",
                org=org.slug,
            )
        )
    if after["sso_enabled"] and not before["sso_enabled"]:
        if after["mfa_enforced"]:
            raise MfaEnforced(
                Phrase("'%(org)s' enforces 2FA; turn enforcement off first.", org=org.slug)
            )
        if with_totp:
            names = sorted(
                session.scalars(select(User.username).where(User.id.in_(list(with_totp))))
            )
            raise MembersUseMfa(
                Phrase(
                    "These members use 2FA: %(names)s. Reset their 2FA first.",
                    names=", ".join(names),
                ),
                members=names,
            )
    if (
        after["sso_enabled"]
        and after["password_reset_allowed"]
        and not before["password_reset_allowed"]
    ):
        # Members of an SSO organisation set their password at the identity provider: the
        # bridge never mails them a reset link (issue 14), so the policy cannot say it would.
        raise SsoEnabled(
            Phrase(
                "'%(org)s' uses single sign-on: its members reset their password at the "
                "identity provider, so '%(field)s' cannot be turned on. Turn SSO off first.",
                org=org.slug,
                field="password_reset_allowed",
            ),
            title=N_("Password reset links cannot be allowed with single sign-on"),
            field="password_reset_allowed",
        )
    if after["sso_enabled"] and not after["sso_idp_alias"]:
        raise InvalidInput(
            Phrase(
                "Single sign-on needs '%(field)s' (the identity provider).", field="sso_idp_alias"
            ),
            field="sso_idp_alias",
        )
    turning_on = after["sso_enabled"] and not before["sso_enabled"]
    if turning_on or (after["sso_enabled"] and after["sso_idp_alias"] != before["sso_idp_alias"]):
        _check_sso_provider(providers, org, after["sso_idp_alias"])
    if after["sso_domains"] != before["sso_domains"]:
        _check_sso_domains(session, org, after["sso_domains"])


def _check_sso_provider(providers: IdentityProviders, org: Organisation, alias: str) -> None:
    """SSO names a provider that serves this organisation: its own (added through the admin
    API) or one configured with ``organisation: <slug>``; never another's or a global one."""
    provider = providers.get(alias)
    if provider is None or provider.organisation != org.slug:
        raise InvalidInput(
            Phrase(
                "'%(field)s': there is no identity provider '%(alias)s' serving '%(org)s'. "
                "Add one (POST /orgs/{org}/identity-providers) or name one configured for it.",
                field="sso_idp_alias",
                alias=alias,
                org=org.slug,
            ),
            field="sso_idp_alias",
        )


def _check_sso_domains(session: Any, org: Organisation, domains: list[str]) -> None:
    """SSO routes only domains the organisation verified (``org_domains``)."""
    if not domains:
        return
    verified = set(
        session.scalars(
            select(OrgDomain.domain).where(
                OrgDomain.org_id == org.id, OrgDomain.domain.in_(domains)
            )
        )
    )
    unverified = [domain for domain in domains if domain not in verified]
    if unverified:
        raise InvalidInput(
            Phrase(
                "'%(field)s': %(domains)s not verified by '%(org)s'; only domains the "
                "organisation verified (bridge org verify-domain) can use its SSO.",
                field="sso_domains",
                domains=", ".join(unverified),
                org=org.slug,
            ),
            field="sso_domains",
        )


def check_admin_code(totp: TotpService, actor: Actor, code: str | None) -> None:
    """A policy that wipes members' 2FA needs the acting admin's current TOTP code (R5)."""
    if actor.is_operator:
        return  # the operator confirmed on the command line (--yes)
    assert actor.user_id is not None
    if not code:
        raise AdminCodeRequired(
            Phrase(
                "Members have set up 2FA and this policy wipes it: send your current "
                "authenticator code as '%(field)s'.",
                field="admin_code",
            )
        )
    if not totp.has_totp(actor.user_id):
        raise AdminCodeRequired(
            Phrase(
                "Members have set up 2FA and this policy wipes it: set up 2FA for your own "
                "account first, then send its current code as '%(field)s'.",
                field="admin_code",
            )
        )
    if not totp.verify(actor.user_id, code):
        raise AdminCodeInvalid(N_("The code is wrong or was already used; wait for the next one."))
