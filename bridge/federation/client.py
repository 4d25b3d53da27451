"""The bridge as a relying party upstream: send the user to a provider, verify what comes back.

``begin`` makes the authorization URL (code flow with PKCE S256, ``state`` and ``nonce``;
``prompt=login`` and ``max_age`` when the downstream request asked for them) and keeps the
login's secrets in the ephemeral store under its ``state`` for ten minutes.
``finish`` takes the query of the provider's redirect to ``/federation/<alias>/callback``,
spends the state (single use), checks RFC 9207 ``iss``, exchanges the code with Authlib's
client and verifies the ID token (with its ``auth_time`` when a fresh authentication was
asked); it returns an ``UpstreamIdentity`` or raises an ``UpstreamError`` whose ``message`` is
for the user and ``reason`` for the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from authlib.common.urls import add_params_to_uri
from authlib.integrations.base_client.errors import OAuthError

from bridge.domain.clock import Clock
from bridge.federation.errors import (
    InvalidState,
    IssuerMismatch,
    MissingClaim,
    NonceMismatch,
    ProviderMisconfigured,
    ProviderTimeout,
    ProviderUnavailable,
    TokenExchangeFailed,
    UpstreamError,
    UpstreamRefused,
)
from bridge.federation.id_tokens import (
    authentication_time,
    check_claims,
    check_fresh_authentication,
    verify_signature,
)
from bridge.federation.metadata import MetadataCache
from bridge.federation.providers import IdentityProvider
from bridge.storage.ephemeral.base import EphemeralStore

if TYPE_CHECKING:
    from authlib.integrations.requests_client import OAuth2Session

TRANSACTION_TTL = 600
#: The stored shape of an ``UpstreamTransaction``: 2 added ``force_login`` and ``max_age``.
TRANSACTION_VERSION = 2
_STATE_KEY = "federation:state:"
_NONCE_KEY = "federation:nonce:"
_SUBJECT_LIMIT = 255


@dataclass(frozen=True)
class UpstreamTransaction:
    """One upstream login in progress, kept in the ephemeral store under its state."""

    state: str
    provider: str
    nonce: str
    code_verifier: str = field(repr=False)
    redirect_uri: str
    started_at: float
    binding: str | None = field(default=None, repr=False)  # SHA-256 of the browser's binding
    # What was asked of the provider about the authentication (checked against auth_time).
    force_login: bool = False  # prompt=login was sent
    max_age: int | None = None  # max_age was sent

    def as_json(self) -> dict[str, Any]:
        return {
            "v": TRANSACTION_VERSION,
            "state": self.state,
            "provider": self.provider,
            "nonce": self.nonce,
            "code_verifier": self.code_verifier,
            "redirect_uri": self.redirect_uri,
            "started_at": self.started_at,
            "binding": self.binding,
            "force_login": self.force_login,
            "max_age": self.max_age,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> UpstreamTransaction:
        """Version 1 (before ``force_login`` and ``max_age``) still loads: such a login sent
        neither to the provider, so there is nothing about its authentication to check."""
        max_age = data.get("max_age")
        return cls(
            state=str(data["state"]),
            provider=str(data["provider"]),
            nonce=str(data["nonce"]),
            code_verifier=str(data["code_verifier"]),
            redirect_uri=str(data["redirect_uri"]),
            started_at=float(data["started_at"]),
            binding=data.get("binding"),
            force_login=data.get("force_login") is True,
            max_age=None if max_age is None else int(max_age),
        )


@dataclass(frozen=True)
class UpstreamIdentity:
    """Who the provider says the user is, and how they proved it there."""

    provider: str
    subject: str
    email: str | None
    email_verified: bool
    name: str | None
    amr: tuple[str, ...]
    acr: str | None
    auth_time: int | None
    raw_claims: Mapping[str, Any] = field(repr=False)
    # The verified ID token itself: the ``id_token_hint`` of a logout at the provider.
    id_token: str = field(default="", repr=False)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def identity_from_claims(
    provider: IdentityProvider, claims: Mapping[str, Any], id_token: str = ""
) -> UpstreamIdentity:
    mapping = provider.claims
    subject = _text(claims.get(mapping.subject))
    if subject is None or len(subject) > _SUBJECT_LIMIT:
        raise MissingClaim(
            f"ID token without a usable subject claim {mapping.subject!r}", provider=provider.alias
        )
    verified = claims.get(mapping.email_verified)
    amr = claims.get("amr")
    return UpstreamIdentity(
        provider=provider.alias,
        subject=subject,
        email=_text(claims.get(mapping.email)),
        email_verified=verified is True or verified == "true",
        name=_text(claims.get(mapping.name)),
        amr=tuple(v for v in amr if isinstance(v, str)) if isinstance(amr, list) else (),
        acr=_text(claims.get("acr")),
        auth_time=authentication_time(claims, provider),
        raw_claims=dict(claims),
        id_token=id_token,
    )


def client_auth_method(provider: IdentityProvider, metadata: Mapping[str, Any]) -> str:
    """How the bridge authenticates at the token endpoint: ``none`` for a public client;
    ``client_secret_basic`` (Discovery's default when the provider lists nothing) unless the
    provider lists only ``client_secret_post``."""
    if not provider.client_secret:
        return "none"
    supported = metadata.get("token_endpoint_auth_methods_supported")
    if (
        isinstance(supported, list)
        and "client_secret_basic" not in supported
        and "client_secret_post" in supported
    ):
        return "client_secret_post"
    return "client_secret_basic"


def _usable(provider: IdentityProvider) -> None:
    if provider.unusable is not None:
        raise ProviderMisconfigured(provider.unusable, provider=provider.alias)


class FederationClient:
    def __init__(
        self,
        store: EphemeralStore,
        clock: Clock,
        *,
        metadata: MetadataCache | None = None,
    ) -> None:
        self._store = store
        self._clock = clock
        self._metadata = metadata or MetadataCache(clock)

    @property
    def metadata(self) -> MetadataCache:
        return self._metadata

    def _session(
        self,
        provider: IdentityProvider,
        redirect_uri: str,
        metadata: Mapping[str, Any] | None = None,
    ) -> OAuth2Session:
        # Imported on the first upstream login: requests and Authlib's client for it are about
        # 6 MiB that a worker whose users never sign in elsewhere need not hold (issue 16).
        from authlib.integrations.requests_client import OAuth2Session

        from bridge.observability.upstream import metered

        session = OAuth2Session(
            client_id=provider.client_id,
            client_secret=provider.client_secret,
            scope=" ".join(provider.scopes),
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            token_endpoint_auth_method=client_auth_method(provider, metadata or {}),
        )
        metered(session)  # upstream latency and errors (/metrics)
        return session

    # --- begin ----------------------------------------------------------------------------

    def begin(
        self,
        provider: IdentityProvider,
        *,
        redirect_uri: str,
        login_hint: str | None = None,
        binding: str | None = None,
        force_login: bool = False,
        max_age: int | None = None,
    ) -> tuple[str, UpstreamTransaction]:
        """The URL to send the browser to, and the transaction kept for ``finish``.

        ``binding`` ties the callback to the browser that started it (the caller's pending
        login id, say): a callback carried to another browser is refused (login CSRF).
        ``force_login`` sends ``prompt=login`` and ``max_age`` sends ``max_age`` (what the
        downstream request asked for); ``finish`` then requires an ``auth_time`` that shows
        the authentication happened during this login, or at most ``max_age`` seconds ago.
        """
        _usable(provider)
        metadata = self._metadata.discovery(provider)
        transaction = UpstreamTransaction(
            state=secrets.token_urlsafe(32),
            provider=provider.alias,
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
            redirect_uri=redirect_uri,
            started_at=self._clock(),
            binding=None if binding is None else _digest(binding),
            force_login=force_login,
            max_age=max_age,
        )
        extra = {"nonce": transaction.nonce}
        if login_hint:
            extra["login_hint"] = login_hint
        if force_login:
            extra["prompt"] = "login"
        if max_age is not None:
            extra["max_age"] = str(max_age)
        with self._session(provider, redirect_uri) as session:
            url, _ = session.create_authorization_url(
                metadata["authorization_endpoint"],
                state=transaction.state,
                code_verifier=transaction.code_verifier,
                **extra,
            )
        self._store.put(_STATE_KEY + transaction.state, transaction.as_json(), TRANSACTION_TTL)
        return str(url), transaction

    def logout_url(
        self,
        provider: IdentityProvider,
        identity: UpstreamIdentity,
        *,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
    ) -> str | None:
        """RP-initiated logout at the provider (OpenID Connect RP-Initiated Logout 1.0): the URL
        that ends the upstream session, or None when the provider publishes no
        ``end_session_endpoint``."""
        endpoint = self._metadata.discovery(provider).get("end_session_endpoint")
        if not isinstance(endpoint, str) or not endpoint:
            return None
        params = {"client_id": provider.client_id}
        if identity.id_token:
            params["id_token_hint"] = identity.id_token
        if post_logout_redirect_uri:
            params["post_logout_redirect_uri"] = post_logout_redirect_uri
            if state:
                params["state"] = state
        return str(add_params_to_uri(endpoint, params))

    # --- finish ---------------------------------------------------------------------------

    def finish(
        self,
        provider: IdentityProvider,
        query: Mapping[str, str],
        *,
        binding: str | None = None,
    ) -> UpstreamIdentity:
        """Judge the provider's redirect back to ``/federation/<alias>/callback``."""
        _usable(provider)
        transaction = self._take_transaction(provider, query, binding)
        metadata = self._metadata.discovery(provider)
        self._check_issuer_parameter(provider, metadata, query)
        if "error" in query:
            raise UpstreamRefused(
                query["error"],
                provider=provider.alias,
                description=query.get("error_description", "")[:200],
            )
        code = query.get("code")
        if not code:
            raise TokenExchangeFailed("the callback carries no code", provider=provider.alias)
        token = self._exchange(provider, metadata, transaction, code)
        id_token = token.get("id_token")
        if not isinstance(id_token, str):
            raise TokenExchangeFailed("the token response has no id_token", provider=provider.alias)
        claims = verify_signature(
            id_token,
            lambda refresh: self._metadata.keys(provider, refresh=refresh),
            self._metadata.algorithms(provider),
            provider,
        )
        now = self._clock()
        check_claims(claims, provider=provider, nonce=transaction.nonce, now=now)
        check_fresh_authentication(
            claims,
            provider=provider,
            now=now,
            max_age=transaction.max_age,
            not_before=transaction.started_at if transaction.force_login else None,
        )
        identity = identity_from_claims(provider, claims, id_token)
        self._spend_nonce(provider, transaction.nonce)
        return identity

    def _take_transaction(
        self, provider: IdentityProvider, query: Mapping[str, str], binding: str | None
    ) -> UpstreamTransaction:
        state = query.get("state")
        if not state:
            raise InvalidState("the callback carries no state", provider=provider.alias)
        data = self._store.take(_STATE_KEY + state)  # single use, whatever happens next
        if data is None:
            raise InvalidState("unknown, expired or already used state", provider=provider.alias)
        transaction = UpstreamTransaction.from_json(data)
        if transaction.provider != provider.alias:
            raise InvalidState(
                f"the state belongs to provider {transaction.provider!r}", provider=provider.alias
            )
        if transaction.binding is not None and (
            binding is None or not hmac.compare_digest(transaction.binding, _digest(binding))
        ):
            raise InvalidState("the state belongs to another browser", provider=provider.alias)
        return transaction

    def _check_issuer_parameter(
        self, provider: IdentityProvider, metadata: Mapping[str, Any], query: Mapping[str, str]
    ) -> None:
        """RFC 9207: an ``iss`` must be the provider's; a provider that promises it must send it."""
        if "iss" in query:
            if query["iss"] != metadata["issuer"]:
                raise IssuerMismatch(
                    f"the callback's iss {query['iss']!r} is not {metadata['issuer']!r} "
                    "(mix-up attack?)",
                    provider=provider.alias,
                )
        elif metadata.get("authorization_response_iss_parameter_supported") is True:
            raise IssuerMismatch(
                "the provider promises an iss parameter and the callback has none",
                provider=provider.alias,
            )

    def _exchange(
        self,
        provider: IdentityProvider,
        metadata: Mapping[str, Any],
        transaction: UpstreamTransaction,
        code: str,
    ) -> dict[str, Any]:
        import requests  # loaded with the session (``_session``)

        alias = provider.alias
        with self._session(provider, transaction.redirect_uri, metadata) as session:
            try:
                token = session.fetch_token(
                    metadata["token_endpoint"],
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=transaction.code_verifier,
                    timeout=provider.timeout,
                )
            except requests.Timeout as exc:
                raise ProviderTimeout(
                    f"token endpoint: no answer in {provider.timeout} s", provider=alias
                ) from exc
            except requests.HTTPError as exc:
                status = exc.response.status_code if exc.response is not None else 0
                error_type: type[UpstreamError] = (
                    ProviderUnavailable if status >= 500 else TokenExchangeFailed
                )
                raise error_type(f"token endpoint: HTTP {status}", provider=alias) from exc
            except requests.RequestException as exc:
                raise ProviderUnavailable(
                    f"token endpoint: {type(exc).__name__}", provider=alias
                ) from exc
            except OAuthError as exc:
                raise TokenExchangeFailed(
                    f"token endpoint refused the code: {exc.error}", provider=alias
                ) from exc
            except ValueError as exc:
                raise TokenExchangeFailed(f"token endpoint: {exc}", provider=alias) from exc
        return dict(token)

    def _spend_nonce(self, provider: IdentityProvider, nonce: str) -> None:
        key = f"{_NONCE_KEY}{provider.alias}:{_digest(nonce)}"
        if not self._store.add(key, {"spent": True}, TRANSACTION_TTL + provider.max_clock_skew):
            raise NonceMismatch("this login's nonce was already used", provider=provider.alias)
