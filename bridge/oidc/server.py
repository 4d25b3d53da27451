"""The Authlib authorization server, configured the strict way.

PKCE with S256 is required of every client (Authlib allows ``plain`` and only insists for
public clients), codes are single-use and live 60 s, refresh tokens rotate on every use, and
every authorization response carries ``iss`` (RFC 9207).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from authlib.integrations.flask_oauth2 import AuthorizationServer as FlaskAuthorizationServer
from authlib.integrations.flask_oauth2.requests import FlaskOAuth2Request
from authlib.oauth2.rfc6749 import (
    InvalidClientError,
    InvalidGrantError,
    InvalidRequestError,
    OAuth2Request,
    UnsupportedResponseTypeError,
    grants,
)
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oauth2.rfc9207 import IssuerParameter
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import g
from flask import request as flask_request
from joserfc.jwk import RSAKey

from bridge.oidc.adapters import (
    PRIVATE_KEY_JWT,
    AuthenticatedUser,
    AuthorizationCode,
    OAuthClient,
)
from bridge.oidc.claims import (
    claims_request,
    known_user,
    user_claims,
    userinfo_claims_item,
)
from bridge.oidc.client_credentials import (
    CLIENT_CREDENTIALS,
    ApiClientCredentialsGrant,
    ClientTokenGenerator,
    PrivateKeyJwt,
    issue_client_token,
)
from bridge.oidc.malformed import (
    MALFORMED,
    authenticate_client_secret_basic,
    plausible_client_id,
    printable,
)
from bridge.oidc.refresh_grant import RotatingRefreshTokenGrant
from bridge.oidc.token_values import (
    REFRESH_TOKEN_LENGTH,
    access_token,
    random_token,
    refresh_token,
)
from bridge.oidc.tokens import CodeData, OrphanedGrantError
from bridge.services.client_records import ClientRecord
from bridge.services.clients import ClientDisabled
from bridge.services.container import Services
from bridge.services.issuance import refusal_for_user

log = logging.getLogger(__name__)


class BridgeAuthorizationServer(FlaskAuthorizationServer):  # type: ignore[misc]
    """Accepts a stored authorization request as well as the live Flask request.

    The login flow runs between the authorization request and its response; when it ends,
    the original request is rebuilt from the flow state and answered.
    """

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        if isinstance(request, OAuth2Request):
            return request
        return FlaskOAuth2Request(flask_request)

    def query_client(self, client_id: str) -> OAuthClient | None:
        """The client, unless it is unknown or disabled (``invalid_client`` everywhere)."""
        record = self._client_record(client_id)
        if record is None or record.disabled:
            return None
        return OAuthClient(record, self.services.clients)

    def _client_record(self, client_id: str | None) -> ClientRecord | None:
        if client_id is None or not plausible_client_id(client_id):
            return None
        # Authlib asks for the client several times per request: read once per request, and
        # kept by the process while no client changes (``bridge.services.client_records``).
        return self.services.clients.get(client_id)

    def get_authorization_grant(self, request: OAuth2Request) -> Any:
        """Authlib's, with an unknown response type echoed printably in the error."""
        if any(cls.check_authorization_endpoint(request) for cls, _ in self._authorization_grants):
            return super().get_authorization_grant(request)
        response_type = request.payload.response_type or ""
        redirect_uri = None
        client = self.query_client(request.payload.client_id or "")
        requested = request.payload.redirect_uri
        if client is not None and requested and client.check_redirect_uri(requested):
            redirect_uri = requested  # validated: the error may go back to the client
        error = UnsupportedResponseTypeError(
            response_type,
            f"The response type '{printable(response_type)}' is not supported by the server.",
            redirect_uri=redirect_uri,
        )
        raise error

    def get_consent_grant(self, request: Any = None, end_user: Any = None) -> Any:
        """Authlib's; a request Authlib cannot even describe is refused without a redirect, and
        a disabled client's request gets a page that says so (``ClientDisabled``)."""
        oauth_request = self.create_oauth2_request(request)
        try:
            return super().get_consent_grant(oauth_request, end_user=end_user)
        except InvalidClientError as error:
            record = self._client_record(oauth_request.payload.client_id)
            if record is not None and record.disabled:
                raise ClientDisabled() from error  # an error page: never a redirect
            raise
        except ValueError as error:
            log.warning("malformed authorization request refused: %s", error)
            raise InvalidRequestError(MALFORMED) from error

    def create_token_response(self, request: Any = None) -> Any:
        """Authlib's; a request Authlib cannot even describe is ``invalid_request``."""
        try:
            return super().create_token_response(request)
        except ValueError as error:
            log.warning("malformed token request refused: %s", error)
            return self.handle_error_response(request, InvalidRequestError(MALFORMED))

    def save_token(self, token: dict[str, Any], request: OAuth2Request) -> None:
        """A client's token, or a refresh's access token (its new refresh token was recorded
        as the old one was spent: ``RotatingRefreshTokenGrant.authenticate_refresh_token``); a
        code's tokens are saved by ``CodeGrant.save_token``."""
        if request.payload.grant_type == CLIENT_CREDENTIALS:
            issue_client_token(self.services, token, request.client)
            return
        self.services.tokens.store_tokens(
            request.refresh_token.info.grant_id,
            client_id=request.client.get_client_id(),
            user_id=request.user.id,
            scope=token.get("scope", ""),
            access_token=token["access_token"],
            refresh_token=None,
        )


class S256CodeChallenge(CodeChallenge):  # type: ignore[misc]
    """PKCE for every client, S256 only; the method must be named, not defaulted to plain."""

    DEFAULT_CODE_CHALLENGE_METHOD = "S256"
    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        data = grant.request.payload.data
        if not data.get("code_challenge"):
            raise InvalidRequestError(
                "PKCE is required: send 'code_challenge' with 'code_challenge_method=S256'."
            )
        if data.get("code_challenge_method") != "S256":
            raise InvalidRequestError("Only 'code_challenge_method=S256' is supported.")
        super().validate_code_challenge(grant, redirect_uri)

    def validate_code_verifier(self, grant: Any, result: Any) -> None:
        if not grant.request.form.get("code_verifier"):
            raise InvalidRequestError("Missing 'code_verifier': PKCE is required.")
        super().validate_code_verifier(grant, result)


class CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post", "none"]
    _refresh_token: str | None = None  # the first refresh token (``authenticate_user``)
    _opened = False  # whether ``authenticate_user`` opened the grant already

    def generate_authorization_code(self) -> str:
        return random_token(self.AUTHORIZATION_CODE_LENGTH)

    @staticmethod
    def validate_authorization_redirect_uri(request: OAuth2Request, client: OAuthClient) -> str:
        """Exact match (``OAuthClient.check_redirect_uri``); the refusal echoes it printably."""
        redirect_uri = request.payload.redirect_uri
        if not redirect_uri:
            raise InvalidRequestError(
                "Missing 'redirect_uri' in request.", state=request.payload.state
            )
        if not client.check_redirect_uri(redirect_uri):
            raise InvalidRequestError(
                f"Redirect URI {printable(redirect_uri)} is not supported by client."
            )
        return str(redirect_uri)

    @property
    def services(self) -> Services:
        services: Services = self.server.services
        return services

    def save_authorization_code(self, code: str, request: OAuth2Request) -> None:
        user: AuthenticatedUser = request.user
        data = request.payload.data
        nonce = data.get("nonce")
        # Validated when the request came in (bridge.oidc.authorize.login_request_from).
        claims = claims_request(data.get("claims")).allowed(request.client.get_allowed_scope)
        self.services.tokens.save_code(
            code,
            CodeData(
                client_id=request.client.get_client_id(),
                redirect_uri=request.payload.redirect_uri,
                scope=request.scope,
                user_id=user.id,
                auth_time=user.auth_time,
                amr=tuple(user.amr),
                acr=user.acr,
                nonce=nonce,
                code_challenge=data.get("code_challenge"),
                code_challenge_method=data.get("code_challenge_method"),
                userinfo_claims=claims.userinfo,
                id_token_claims=claims.id_token,
            ),
        )  # and its nonce remembered (a nonce is good for one code)

    def query_authorization_code(self, code: str, client: OAuthClient) -> AuthorizationCode | None:
        data = self.services.tokens.redeem_code(code, client.get_client_id())
        return AuthorizationCode(data) if data else None

    def delete_authorization_code(self, authorization_code: AuthorizationCode) -> None:
        """Nothing to do: ``redeem_code`` already took the code out of the store."""

    def authenticate_user(self, authorization_code: AuthorizationCode) -> AuthenticatedUser | None:
        """The code's user, unless they may no longer have tokens (``invalid_grant``). On
        PostgreSQL their grant is opened with the read of their row (``open_grant_with_user``),
        and discarded again if they may not."""
        data = authorization_code.data
        services = self.services
        may_refresh = self.request.client.check_grant_type("refresh_token")
        self._refresh_token = random_token(REFRESH_TOKEN_LENGTH) if may_refresh else None
        tokens = services.tokens
        with _orphans_refused():
            self._opened = tokens.open_grant_with_user(data, refresh_token=self._refresh_token)
        if refusal_for_user(
            lambda user_id: known_user(services, user_id),
            services.lockout,
            data.user_id,
            data.amr,
        ):
            if self._opened:
                tokens.discard_grant(data.grant_id)
            return None
        return AuthenticatedUser(data.user_id, tuple(data.amr), data.auth_time, data.acr)

    def generate_token(self, *args: Any, **kwargs: Any) -> Any:
        """Authlib's, with the refresh token ``authenticate_user`` chose (and may have recorded)."""
        token = super().generate_token(*args, **kwargs)
        if "refresh_token" in token and self._refresh_token is not None:
            token["refresh_token"] = self._refresh_token
        return token

    def save_token(self, token: dict[str, Any]) -> None:
        """Open the grant (unless ``authenticate_user`` did) with its first refresh token; put
        the access token and the requested userinfo claims as the "codes voided" mark is read
        (``TokenService.open_grant``)."""
        request = self.request
        code: CodeData = request.authorization_code.data
        access = self.services.tokens.access_token_item(
            code.grant_id,
            client_id=request.client.get_client_id(),
            user_id=request.user.id,
            scope=token.get("scope", ""),
            access_token=token["access_token"],
        )
        claims = userinfo_claims_item(self.services, code.grant_id, code.userinfo_claims)
        with _orphans_refused():
            self.services.tokens.open_grant(
                code,
                refresh_token=token.get("refresh_token"),
                also_put=[access] if claims is None else [claims, access],
                recorded=self._opened,
            )


@contextmanager
def _orphans_refused() -> Iterator[None]:
    """A grant whose client or user went away during the exchange (``OrphanedGrantError``) is
    answered as a client or user found missing at the start would be: never a 500."""
    try:
        yield
    except OrphanedGrantError as error:
        if error.client_gone:
            raise InvalidClientError(status_code=401) from error
        raise InvalidGrantError() from error


class BridgeOpenIDCode(OpenIDCode):  # type: ignore[misc]
    def __init__(self, services: Services) -> None:
        super().__init__(require_nonce=False)
        self.services = services

    def exists_nonce(self, nonce: str, request: OAuth2Request) -> bool:
        return self.services.tokens.nonce_was_used(request.payload.client_id, nonce)

    def _signer(self) -> tuple[str, RSAKey]:
        """The signing key, looked up once per request so header and signature agree."""
        if "bridge_signer" not in g:
            g.bridge_signer = self.services.keys.signer()
        signer: tuple[str, RSAKey] = g.bridge_signer
        return signer

    def resolve_client_private_key(self, client: OAuthClient) -> RSAKey:
        return self._signer()[1]

    def get_client_algorithm(self, client: OAuthClient) -> str:
        return self.services.settings.keys.signing_alg

    def get_encode_header(self, client: OAuthClient) -> dict[str, str]:
        kid = self._signer()[0]
        return {"alg": self.get_client_algorithm(client), "kid": kid, "typ": "JWT"}

    def get_client_claims(self, client: OAuthClient) -> dict[str, Any]:
        now = int(self.services.clock())
        return {
            "iss": self.services.settings.issuer,
            "aud": client.get_client_id(),
            "iat": now,
            "exp": now + self.services.settings.tokens.id_token_ttl,
        }

    def get_authorization_code_claims(self, authorization_code: AuthorizationCode) -> Any:
        """Authlib's (nonce, auth_time, acr, amr), and the claims the request's ``claims``
        parameter asked for in the ID token."""
        claims = super().get_authorization_code_claims(authorization_code)
        data = authorization_code.data
        if data.id_token_claims:
            claims.update(user_claims(self.services, data.user_id, "", data.id_token_claims))
        return claims

    def generate_user_info(self, user: AuthenticatedUser, scope: str) -> UserInfo:
        return user_claims(self.services, user.id, scope)


class BridgeIssuerParameter(IssuerParameter):  # type: ignore[misc]
    def __init__(self, issuer: str) -> None:
        self.issuer = issuer

    def get_issuer(self) -> str:
        return self.issuer


def build_authorization_server(services: Services) -> BridgeAuthorizationServer:
    server = BridgeAuthorizationServer(services)
    ttl = services.settings.tokens
    server.register_token_generator(
        "default",
        server.create_bearer_token_generator(
            {
                "OAUTH2_ACCESS_TOKEN_GENERATOR": access_token,
                "OAUTH2_REFRESH_TOKEN_GENERATOR": refresh_token,
                "OAUTH2_TOKEN_EXPIRES_IN": {
                    "authorization_code": ttl.access_token_ttl,
                    "refresh_token": ttl.access_token_ttl,
                },
            }
        ),
    )
    server.register_token_generator(CLIENT_CREDENTIALS, ClientTokenGenerator(services))
    server.register_client_auth_method("client_secret_basic", authenticate_client_secret_basic)
    server.register_client_auth_method(PRIVATE_KEY_JWT, PrivateKeyJwt(services))
    server.register_grant(CodeGrant, [S256CodeChallenge(required=True), BridgeOpenIDCode(services)])
    server.register_grant(RotatingRefreshTokenGrant)
    server.register_grant(ApiClientCredentialsGrant)
    server.register_extension(BridgeIssuerParameter(services.settings.issuer))
    return server
