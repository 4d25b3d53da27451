"""The checks a provider change must pass, each raising the problem that says why.

Plain functions over a session and the provider lookup, called by ``ProviderAdmin`` inside its
transaction, so nothing is written when one fails.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bridge.domain.wording import N_, Phrase
from bridge.federation.providers import IdentityProvider, IdentityProviders
from bridge.services.orgs.access import Authority
from bridge.services.orgs.errors import Conflict, InvalidInput
from bridge.storage.db.models import (
    FederatedIdentity,
    IdentityProviderDomain,
    IdentityProviderRecord,
    Organisation,
    OrgDomain,
)

__all__ = [
    "check_alias",
    "check_domains",
    "configured_of",
    "refuse_configured",
    "refuse_while_sso_names",
]


def configured_of(providers: IdentityProviders, alias: str, slug: str) -> IdentityProvider | None:
    """The configured provider ``alias`` when it serves the organisation ``slug``."""
    return next(
        (p for p in providers.configured if p.alias == alias and p.organisation == slug), None
    )


#: What ``refuse_configured`` says for each thing that is refused.
CONFIGURED_ONLY = {
    "changed": N_(
        "%(alias)r is in the bridge's configuration file; it can only be changed there "
        "(ask the bridge's operator)."
    ),
    "removed": N_(
        "%(alias)r is in the bridge's configuration file; it can only be removed there "
        "(ask the bridge's operator)."
    ),
}


def refuse_configured(
    providers: IdentityProviders, alias: str, slug: str, what: Literal["changed", "removed"]
) -> None:
    """A configured provider is the operator's: the API reads it, never changes it."""
    if configured_of(providers, alias, slug) is not None:
        raise Conflict(Phrase(CONFIGURED_ONLY[what], alias=alias), field="alias")


def check_alias(session: Session, providers: IdentityProviders, alias: str) -> None:
    """A new alias is no configured provider's, no stored provider's, and no old links' (a
    new provider must not inherit the accounts of an earlier one with its alias)."""
    if providers.configured_alias(alias) is not None:
        raise Conflict(
            Phrase(
                "The alias %(alias)r belongs to a provider in the bridge's configuration; "
                "choose another.",
                alias=alias,
            ),
            field="alias",
        )
    if session.scalar(
        select(IdentityProviderRecord.id).where(IdentityProviderRecord.alias == alias)
    ):
        raise Conflict(
            Phrase("The alias %(alias)r is taken by another provider.", alias=alias),
            field="alias",
        )
    links = session.scalar(
        select(func.count())
        .select_from(FederatedIdentity)
        .where(FederatedIdentity.provider == alias)
    )
    if links:
        raise Conflict(
            Phrase(
                "Accounts are still linked to an earlier provider %(alias)r; a new provider "
                "must not inherit them. Choose another alias.",
                alias=alias,
            ),
            field="alias",
        )


def check_domains(
    session: Session,
    providers: IdentityProviders,
    authority: Authority,
    domains: Iterable[str],
    provider_id: str | None,
) -> None:
    """Each domain is verified by the organisation and no other provider's (``provider_id``:
    the provider being changed, whose own domains are not a conflict)."""
    wanted = sorted(domains)
    if not wanted:
        return
    verified = set(
        session.scalars(
            select(OrgDomain.domain).where(
                OrgDomain.org_id == authority.org.id, OrgDomain.domain.in_(wanted)
            )
        )
    )
    unverified = [d for d in wanted if d not in verified]
    if unverified:
        raise InvalidInput(
            Phrase(
                "%(domains)s: not verified by %(org)r. Only domains the organisation verified "
                "(bridge org verify-domain) can be sent to its provider.",
                domains=", ".join(unverified),
                org=authority.org.slug,
            ),
            field="domains",
        )
    for domain in wanted:
        owner = providers.configured_for_domain(domain)
        if owner is not None:
            raise Conflict(
                Phrase(
                    "%(domain)s already belongs to the configured provider %(alias)r.",
                    domain=domain,
                    alias=owner.alias,
                ),
                field="domains",
            )
    taken = session.execute(
        select(IdentityProviderDomain.domain, IdentityProviderRecord.alias)
        .join(
            IdentityProviderRecord,
            IdentityProviderRecord.id == IdentityProviderDomain.provider_id,
        )
        .where(IdentityProviderDomain.domain.in_(wanted))
        .where(IdentityProviderDomain.provider_id != (provider_id or ""))
    ).first()
    if taken is not None:
        raise Conflict(
            Phrase(
                "%(domain)s already belongs to the provider %(alias)r.",
                domain=taken.domain,
                alias=taken.alias,
            ),
            field="domains",
        )


def refuse_while_sso_names(session: Session, alias: str) -> None:
    """A provider an SSO policy names is not removed: the organisation's logins need it."""
    named_by = sorted(
        session.scalars(
            select(Organisation.slug).where(
                Organisation.sso_enabled.is_(True), Organisation.sso_idp_alias == alias
            )
        )
    )
    if named_by:
        raise Conflict(
            Phrase(
                "The single sign-on policy of %(orgs)s names %(alias)r; turn SSO off or name "
                "another provider first.",
                orgs=", ".join(named_by),
                alias=alias,
            ),
            field="alias",
        )
