"""The upstream providers the bridge may send people to, and the one place to look them up.

Two sources behind one ``IdentityProviders``: ``identity_providers`` in the configuration
(resolved once at start-up) and the providers organisation admins add through the admin API
(``bridge.federation.registry``), read from the database on every lookup so that a provider
added through one bridge process is used by all of them at once. Configuration comes first.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

from bridge.config.errors import SettingsError
from bridge.config.providers import ClaimMapping, IdentityProviderSettings

__all__ = [
    "IdentityProvider",
    "IdentityProviders",
    "ProviderSource",
    "callback_path",
    "email_domain",
]


def callback_path(alias: str) -> str:
    """The provider's own redirect URI path: one per provider, so a code cannot change sides."""
    return f"/federation/{alias}/callback"


@dataclass(frozen=True)
class IdentityProvider:
    """One provider's configuration with its client secret resolved, whatever its source."""

    alias: str
    issuer: str
    client_id: str
    client_secret: str | None = field(repr=False)
    display_name: str
    scopes: tuple[str, ...]
    organisation: str | None
    domains: tuple[str, ...]
    claims: ClaimMapping
    link_by_verified_email: bool
    trusted_amr: bool
    algorithms: tuple[str, ...]
    timeout: int
    metadata_ttl: int
    max_clock_skew: int
    #: "config": the configuration file; "database": added through the admin API or CLI.
    source: Literal["config", "database"] = "config"
    org_id: str | None = None  # the organisation's id, for a database provider
    #: Why no login can go through this provider now (its sealed client secret opens with no
    #: key of the keyring, say), for the operator; None: usable.
    unusable: str | None = None

    @property
    def is_global(self) -> bool:
        """A "log in with ..." provider, not an organisation's SSO."""
        return self.organisation is None

    def redirect_uri(self, bridge_issuer: str) -> str:
        return bridge_issuer.rstrip("/") + callback_path(self.alias)

    @classmethod
    def from_settings(
        cls, config: IdentityProviderSettings, environ: Mapping[str, str]
    ) -> IdentityProvider:
        return cls(
            alias=config.alias,
            issuer=config.issuer,
            client_id=config.client_id,
            client_secret=_client_secret(config, environ),
            display_name=config.display_name or config.alias,
            scopes=config.scopes,
            organisation=config.organisation,
            domains=config.domains,
            claims=config.claims,
            link_by_verified_email=config.link_by_verified_email,
            trusted_amr=config.trusted_amr,
            algorithms=config.algorithms,
            timeout=config.timeout,
            metadata_ttl=config.metadata_ttl,
            max_clock_skew=config.max_clock_skew,
        )


def _client_secret(config: IdentityProviderSettings, environ: Mapping[str, str]) -> str | None:
    where = f"identity_providers[{config.alias}]"
    if config.client_secret_env is not None:
        value = environ.get(config.client_secret_env, "").strip()
        if not value:
            raise SettingsError(
                f"{where}.client_secret_env: the variable {config.client_secret_env} is not set"
            )
        return value
    if config.client_secret_file is not None:
        path = Path(config.client_secret_file)
        try:
            value = path.read_text(encoding="utf-8").strip()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"{where}.client_secret_file: cannot read {path}: {exc}") from None
        if not value:
            raise SettingsError(f"{where}.client_secret_file: {path} is empty")
        return value
    return None


def email_domain(email: str) -> str | None:
    """The domain of an e-mail address (or a login hint that looks like one), lower-cased."""
    local, at, domain = email.strip().rpartition("@")
    return domain.lower() if at and local and domain else None


class ProviderSource(Protocol):
    """Providers stored outside the configuration (the database), looked up on each call."""

    def get(self, alias: str) -> IdentityProvider | None: ...

    def for_domain(self, domain: str) -> IdentityProvider | None: ...

    def for_organisation(self, slug: str) -> list[IdentityProvider]: ...

    def all(self) -> list[IdentityProvider]: ...

    def count(self) -> int: ...

    def aliases_among(self, aliases: Collection[str]) -> list[str]: ...


class IdentityProviders:
    """Lookups by alias and by e-mail domain (home-realm discovery), configuration first."""

    def __init__(
        self, providers: Iterable[IdentityProvider], stored: ProviderSource | None = None
    ) -> None:
        self._by_alias = {provider.alias: provider for provider in providers}
        self._by_domain = {
            domain: provider for provider in self._by_alias.values() for domain in provider.domains
        }
        self._stored = stored

    @classmethod
    def from_settings(
        cls,
        configs: Iterable[IdentityProviderSettings],
        environ: Mapping[str, str] | None = None,
        stored: ProviderSource | None = None,
    ) -> IdentityProviders:
        """Resolve every secret now: a missing one stops the start, not a user's login."""
        env = os.environ if environ is None else environ
        return cls((IdentityProvider.from_settings(config, env) for config in configs), stored)

    @property
    def configured(self) -> list[IdentityProvider]:
        """The providers of the configuration file only."""
        return list(self._by_alias.values())

    def configured_alias(self, alias: str) -> IdentityProvider | None:
        return self._by_alias.get(alias)

    def configured_for_domain(self, domain: str) -> IdentityProvider | None:
        return self._by_domain.get(domain)

    def __iter__(self) -> Iterator[IdentityProvider]:
        stored = self._stored.all() if self._stored is not None else []
        return iter([*self._by_alias.values(), *stored])

    def __len__(self) -> int:
        return len(self._by_alias) + (self._stored.count() if self._stored is not None else 0)

    def get(self, alias: str) -> IdentityProvider | None:
        configured = self._by_alias.get(alias)
        if configured is not None or self._stored is None:
            return configured
        return self._stored.get(alias)

    def for_email(self, email_or_hint: str) -> IdentityProvider | None:
        """The provider that owns the e-mail's domain, or None."""
        domain = email_domain(email_or_hint)
        if domain is None:
            return None
        configured = self._by_domain.get(domain)
        if configured is not None or self._stored is None:
            return configured
        return self._stored.for_domain(domain)

    def global_providers(self) -> list[IdentityProvider]:
        """Providers offered to everyone as "log in with ..." buttons (configuration only:
        a provider added through the admin API always serves one organisation)."""
        return [provider for provider in self._by_alias.values() if provider.is_global]

    def for_organisation(self, slug: str) -> list[IdentityProvider]:
        configured = [p for p in self._by_alias.values() if p.organisation == slug]
        stored = self._stored.for_organisation(slug) if self._stored is not None else []
        return [*configured, *stored]

    def check_aliases(self) -> None:
        """Stop the start when a stored provider has a configured provider's alias: logins
        would reach one while links and the SSO policy meant the other."""
        if self._stored is None or not self._by_alias:
            return
        clashes = self._stored.aliases_among(list(self._by_alias))
        if clashes:
            raise SettingsError(
                f"identity_providers[{alias}]: the alias {alias!r} is both in the configuration "
                f"file and a provider added through the admin API; remove one: delete it from "
                f"identity_providers in the configuration, or run `bridge idp remove {alias}`"
                for alias in sorted(clashes)
            )
