"""Home-realm discovery: which upstream provider an e-mail address (or login hint) belongs to.

Two sources, one answer: a provider's ``domains`` (in the configuration, or given to a provider
added through the admin API, which only takes domains its organisation verified), then an
organisation's single sign-on policy set through the admin API (``sso_enabled``,
``sso_idp_alias``, ``sso_domains``).
An organisation's policy routes a domain only when that organisation has verified the domain
(``org_domains``) and the provider it names serves that organisation: an admin cannot send
another organisation's people, or a public mail domain, to a provider of their choosing.
"""

from __future__ import annotations

from sqlalchemy import select

from bridge.federation.providers import IdentityProvider, IdentityProviders, email_domain
from bridge.storage.db.engine import Database
from bridge.storage.db.models import Organisation, OrgDomain


class HomeRealm:
    def __init__(self, providers: IdentityProviders, db: Database) -> None:
        self._providers = providers
        self._db = db

    def provider_for(self, email_or_hint: str) -> IdentityProvider | None:
        """The provider to send this address to, or None (sign in at the bridge)."""
        domain = email_domain(email_or_hint)
        if domain is None:
            return None
        by_domain = self._providers.for_email(email_or_hint)
        if by_domain is not None:
            return by_domain
        with self._db.session() as session:
            org = session.execute(
                select(Organisation.slug, Organisation.sso_idp_alias, Organisation.sso_domains)
                .join(OrgDomain, OrgDomain.org_id == Organisation.id)
                .where(OrgDomain.domain == domain, Organisation.sso_enabled.is_(True))
            ).first()
        if org is None or org.sso_idp_alias is None or domain not in (org.sso_domains or []):
            return None
        provider = self._providers.get(org.sso_idp_alias)
        if provider is None or provider.organisation != org.slug:
            return None
        return provider
