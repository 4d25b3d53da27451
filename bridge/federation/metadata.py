"""A provider's discovery document and signing keys, fetched over HTTP and cached per process.

The JWKS is fetched again, once per verification, when a token names a key it does not hold:
providers rotate keys by publishing the new one before signing with it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from bridge.domain.clock import Clock
from bridge.federation.errors import (
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
)
from bridge.federation.providers import IdentityProvider

if TYPE_CHECKING:
    import requests

JsonObject = dict[str, Any]
REQUIRED_METADATA = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")


def discovery_url(issuer: str) -> str:
    """OpenID Connect Discovery 1.0, section 4: the issuer plus the well-known path."""
    return issuer.rstrip("/") + "/.well-known/openid-configuration"


def get_json(
    http: requests.Session, url: str, *, provider: IdentityProvider, what: str
) -> JsonObject:
    """GET a JSON object; network trouble and 5xx are ``ProviderUnavailable``."""
    import requests  # loaded with the first upstream request (issue 16: a worker's memory)

    try:
        response = http.get(url, timeout=provider.timeout, headers={"Accept": "application/json"})
    except requests.Timeout as exc:
        raise ProviderTimeout(
            f"{what}: no answer in {provider.timeout} s", provider=provider.alias
        ) from exc
    except requests.RequestException as exc:
        raise ProviderUnavailable(f"{what}: {type(exc).__name__}", provider=provider.alias) from exc
    if response.status_code >= 500:
        raise ProviderUnavailable(f"{what}: HTTP {response.status_code}", provider=provider.alias)
    if response.status_code != 200:
        raise ProviderMisconfigured(f"{what}: HTTP {response.status_code}", provider=provider.alias)
    try:
        data = response.json()
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ProviderMisconfigured(f"{what}: not a JSON object", provider=provider.alias)
    return data


class _Cached:
    def __init__(self, value: JsonObject, fetched_at: float) -> None:
        self.value = value
        self.fetched_at = fetched_at


CacheKey = tuple[str, str]


def _key(provider: IdentityProvider) -> CacheKey:
    """By alias and issuer: a provider removed and added again under its alias with another
    issuer never gets the old one's discovery document or keys."""
    return (provider.alias, provider.issuer)


def _plain_session() -> requests.Session:
    import requests

    return requests.Session()


class MetadataCache:
    """Discovery documents and JWKS by provider, each kept ``metadata_ttl`` seconds."""

    def __init__(self, clock: Clock, http: Callable[[], requests.Session] | None = None) -> None:
        self._clock = clock
        self._http = http or _plain_session
        self._lock = threading.Lock()
        self._discovery: dict[CacheKey, _Cached] = {}
        self._jwks: dict[CacheKey, _Cached] = {}

    def _fresh(
        self, table: dict[CacheKey, _Cached], provider: IdentityProvider
    ) -> JsonObject | None:
        with self._lock:
            cached = table.get(_key(provider))
        if cached is None or self._clock() - cached.fetched_at >= provider.metadata_ttl:
            return None
        return cached.value

    def _store(
        self, table: dict[CacheKey, _Cached], provider: IdentityProvider, value: JsonObject
    ) -> None:
        with self._lock:
            table[_key(provider)] = _Cached(value, self._clock())

    def discovery(self, provider: IdentityProvider) -> JsonObject:
        cached = self._fresh(self._discovery, provider)
        if cached is not None:
            return cached
        with self._http() as http:
            metadata = get_json(
                http, discovery_url(provider.issuer), provider=provider, what="discovery"
            )
        missing = [name for name in REQUIRED_METADATA if not isinstance(metadata.get(name), str)]
        if missing:
            raise ProviderMisconfigured(
                f"discovery: missing {', '.join(missing)}", provider=provider.alias
            )
        if metadata["issuer"] != provider.issuer:
            # Discovery section 4.3: a document for another issuer is not this provider's.
            raise ProviderMisconfigured(
                f"discovery: issuer {metadata['issuer']!r} is not {provider.issuer!r}",
                provider=provider.alias,
            )
        self._store(self._discovery, provider, metadata)
        return metadata

    def keys(self, provider: IdentityProvider, *, refresh: bool = False) -> list[JsonObject]:
        """The provider's JWKS keys; ``refresh`` fetches them again whatever the cache holds."""
        cached = None if refresh else self._fresh(self._jwks, provider)
        if cached is None:
            jwks_uri = self.discovery(provider)["jwks_uri"]
            with self._http() as http:
                cached = get_json(http, jwks_uri, provider=provider, what="jwks")
            if not isinstance(cached.get("keys"), list):
                raise ProviderMisconfigured("jwks: no 'keys' list", provider=provider.alias)
            self._store(self._jwks, provider, cached)
        return [key for key in cached["keys"] if isinstance(key, dict)]

    def algorithms(self, provider: IdentityProvider) -> tuple[str, ...]:
        """The configured algorithms that the provider also says it signs ID tokens with."""
        advertised = self.discovery(provider).get("id_token_signing_alg_values_supported")
        if not isinstance(advertised, list):
            return provider.algorithms
        allowed = tuple(alg for alg in provider.algorithms if alg in advertised)
        if not allowed:
            raise ProviderMisconfigured(
                f"the provider signs ID tokens with {advertised}, none of {provider.algorithms}",
                provider=provider.alias,
            )
        return allowed
