"""Providers added through the admin API, read from the database on every lookup.

No process-local cache: a provider added, changed or removed through one bridge process is
what every other process finds at its next lookup. Each lookup is one indexed query (the alias
is unique, the domain is a primary key, ``org_id`` is indexed). The client secret is sealed
with the keyring and bound to the provider's row (associated data ``idp:<id>``): copied into
another provider's row, it no longer opens.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from typing import Any

from sqlalchemy import func, select

from bridge.config.providers import ClaimMapping
from bridge.domain.validators import MAX_DOMAIN, MAX_PROVIDER_ALIAS
from bridge.federation.providers import IdentityProvider
from bridge.storage.crypto import DecryptionError, Keyring
from bridge.storage.db.engine import Database
from bridge.storage.db.models import (
    IdentityProviderDomain,
    IdentityProviderRecord,
    Organisation,
    OrgDomain,
)

__all__ = [
    "MAX_ALIAS",
    "MAX_DOMAIN",
    "StoredProviders",
    "open_secret",
    "plausible_key",
    "seal_secret",
    "secret_aad",
]


log = logging.getLogger(__name__)

MAX_ALIAS = MAX_PROVIDER_ALIAS


def plausible_key(key: str, longest: int) -> bool:
    """Whether a key from a URL or an e-mail can be in the table at all: PostgreSQL refuses a
    NUL in a query's text, and nothing longer than the column is stored."""
    return 0 < len(key) <= longest and "\x00" not in key


def secret_aad(provider_id: str) -> bytes:
    """Binds a sealed client secret to its row (``bridge.services.reseal`` seals it again the same
    way)."""
    return b"idp:" + provider_id.encode("ascii")


def seal_secret(keyring: Keyring, provider_id: str, secret: str | None) -> str | None:
    """The value of the ``client_secret`` column: sealed, or None for a public client."""
    return None if secret is None else keyring.seal(secret.encode("utf-8"), secret_aad(provider_id))


def open_secret(keyring: Keyring, provider_id: str, sealed: str | None) -> str | None:
    return None if sealed is None else keyring.open(sealed, secret_aad(provider_id)).decode("utf-8")


class StoredProviders:
    """The database source of ``IdentityProviders`` (see ``bridge.federation.providers``)."""

    def __init__(self, db: Database, keyring: Keyring) -> None:
        self._db = db
        self._keyring = keyring

    def _select(self) -> Any:
        return select(IdentityProviderRecord, Organisation.slug).join(
            Organisation, Organisation.id == IdentityProviderRecord.org_id
        )

    def _load(self, statement: Any) -> list[IdentityProvider]:
        with self._db.session() as session:
            rows = session.execute(statement).all()
            ids = [record.id for record, _slug in rows]
            domains: dict[str, list[str]] = {}
            if ids:
                for domain, provider_id in session.execute(
                    select(IdentityProviderDomain.domain, IdentityProviderDomain.provider_id)
                    .where(IdentityProviderDomain.provider_id.in_(ids))
                    .order_by(IdentityProviderDomain.domain)
                ):
                    domains.setdefault(provider_id, []).append(domain)
        return [self.provider(record, slug, domains.get(record.id, [])) for record, slug in rows]

    def provider(
        self, record: IdentityProviderRecord, slug: str, domains: Collection[str]
    ) -> IdentityProvider:
        """The lookup's value for a row: the same type the configuration produces."""
        unusable = None
        try:
            secret = open_secret(self._keyring, record.id, record.client_secret)
        except DecryptionError:
            # Logins through it fail with a clear page (``FederationClient``); listing it,
            # fixing it and removing it keep working.
            secret = None
            unusable = (
                "its client secret opens with no key of BRIDGE_ENCRYPTION_KEYS (was the key "
                "it was sealed with removed before 'bridge keys reseal'?); set the secret again"
            )
            log.error("identity provider %r: %s", record.alias, unusable)
        return IdentityProvider(
            alias=record.alias,
            issuer=record.issuer,
            client_id=record.client_id,
            client_secret=secret,
            display_name=record.display_name or record.alias,
            scopes=tuple(record.scopes),
            organisation=slug,
            domains=tuple(domains),
            claims=ClaimMapping.model_validate(record.claims),
            link_by_verified_email=record.link_by_verified_email,
            trusted_amr=record.trusted_amr,
            algorithms=tuple(record.algorithms),
            timeout=record.timeout,
            metadata_ttl=record.metadata_ttl,
            max_clock_skew=record.max_clock_skew,
            source="database",
            org_id=record.org_id,
            unusable=unusable,
        )

    def get(self, alias: str) -> IdentityProvider | None:
        if not plausible_key(alias, MAX_ALIAS):
            return None
        found = self._load(self._select().where(IdentityProviderRecord.alias == alias))
        return found[0] if found else None

    def for_domain(self, domain: str) -> IdentityProvider | None:
        """The provider of a domain its organisation still has verified (``org_domains``)."""
        if not plausible_key(domain, MAX_DOMAIN):
            return None
        statement = (
            self._select()
            .join(
                IdentityProviderDomain,
                IdentityProviderDomain.provider_id == IdentityProviderRecord.id,
            )
            .join(
                OrgDomain,
                (OrgDomain.domain == IdentityProviderDomain.domain)
                & (OrgDomain.org_id == IdentityProviderRecord.org_id),
            )
            .where(IdentityProviderDomain.domain == domain)
        )
        found = self._load(statement)
        return found[0] if found else None

    def for_organisation(self, slug: str) -> list[IdentityProvider]:
        return self._load(
            self._select().where(Organisation.slug == slug).order_by(IdentityProviderRecord.alias)
        )

    def all(self) -> list[IdentityProvider]:
        return self._load(self._select().order_by(IdentityProviderRecord.alias))

    def count(self) -> int:
        with self._db.session() as session:
            return int(
                session.scalar(select(func.count()).select_from(IdentityProviderRecord)) or 0
            )

    def aliases_among(self, aliases: Collection[str]) -> list[str]:
        with self._db.session() as session:
            return sorted(
                session.scalars(
                    select(IdentityProviderRecord.alias).where(
                        IdentityProviderRecord.alias.in_(list(aliases))
                    )
                )
            )
