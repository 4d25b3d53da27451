"""Every bad upstream answer, through the browser-facing views: a clear page and an audit event.

``test_upstream_login.py`` proves each refusal at the ``FederationClient``; here the same bad
answers reach ``/federation/<alias>/callback`` of a whole bridge (``create_app``, the Flask test
client as the browser, the ``database`` fixture's SQLite and PostgreSQL). A relying party starts
at ``/authorize`` (code, PKCE S256, state, nonce, ``kc_idp_hint=acme``); the browser follows
the bridge's redirects to ``/federation/acme/start`` and on to the provider's authorization
URL, whose ``state`` and ``nonce`` play the provider's part; the provider's HTTP (discovery,
JWKS, token endpoint) is ``FakeProvider`` (``responses``, real RSA keys). For each bad answer
the user sees the error class's own message on an HTML page (400; 502 when the provider is down
or slow) and no bridge session, the relying party gets no code, and the auditor finds exactly
one ``sign_in_failed`` (``mfa_factor_type: federated``) with the class's reason and the
provider's alias. A good ID token through the same setup reaches the relying party with a
code, so the refusals cannot pass for a broken setup.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
import responses
from bs4 import BeautifulSoup
from flask.testing import FlaskClient
from joserfc.jwk import RSAKey
from werkzeug.test import TestResponse

from bridge.app import create_app
from bridge.domain.clock import FrozenClock
from bridge.federation import errors
from bridge.services.container import Services
from bridge.storage.db.engine import Database
from tests.e2e.harness import pkce_pair
from tests.federation.conftest import (
    CLIENT_ID,
    CLIENT_SECRET,
    ISSUER,
    JWKS_URI,
    TOKEN_ENDPOINT,
    FakeProvider,
)
from tests.federation.stored_providers import build

ALIAS = "acme"
SECRET_ENV = "BRIDGE_IDP_ACME_CLIENT_SECRET"
JANE = "jane@acme.example"
RP_CALLBACK = "https://app.example/callback"
CALLBACK_PATH = f"/federation/{ALIAS}/callback"
#: The bridge's issuer in ``stored_providers.build``: its absolute URLs are its own pages.
BRIDGE = "http://127.0.0.1:8000"


# --- the bridge, the relying party and the browser ---------------------------------------------


@dataclass
class Bridge:
    services: Services
    client_id: str

    def browser(self) -> FlaskClient:
        return create_app(services=self.services).test_client()

    def failures(self) -> list[Any]:
        """``sign_in_failed`` events, newest first."""
        return self.services.audit.events(event="sign_in_failed")

    def successes(self) -> list[Any]:
        return self.services.audit.events(event="sign_in_succeeded")


@pytest.fixture
def make_bridge(
    database: Database, tmp_path: Path, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Callable[..., Bridge]]:
    """A bridge with ``acme`` configured (global, for ``acme.example``; ``overrides`` change its
    settings) and a relying party registered. The client secret comes from the environment, as
    an operator configures it."""
    monkeypatch.setenv(SECRET_ENV, CLIENT_SECRET)
    built: list[Services] = []

    def make(**overrides: Any) -> Bridge:
        provider = {
            "alias": ALIAS,
            "issuer": ISSUER,
            "client_id": CLIENT_ID,
            "client_secret_env": SECRET_ENV,
            "domains": ["acme.example"],
            **overrides,
        }
        services = build(database, tmp_path, clock, providers=[provider], issuer=BRIDGE)
        built.append(services)
        record, _ = services.clients.add("The relying party", [RP_CALLBACK])
        return Bridge(services, record.id)

    yield make
    for services in built:
        services.close()


@dataclass
class UpstreamRequest:
    """The provider's authorization request, as the browser was sent to it."""

    state: str
    nonce: str
    rp_state: str


def _bridge_path(location: str) -> str | None:
    """The bridge's own path of a redirect, or None when it leaves the bridge."""
    if location.startswith(BRIDGE):
        return location[len(BRIDGE) :]
    return location if location.startswith("/") else None


def follow(browser: FlaskClient, response: TestResponse) -> TestResponse:
    """Follow the bridge's redirects in the browser; the first answer that is not one to a page
    of the bridge (a page, or a redirect to the provider or the relying party)."""
    for _ in range(20):
        path = _bridge_path(response.location or "") if response.status_code in (302, 303) else None
        if path is None:
            return response
        response = browser.get(path)
    raise AssertionError("a redirect loop")


def go_upstream(bridge: Bridge, browser: FlaskClient, **hint: str) -> UpstreamRequest:
    """The relying party's request (code, PKCE S256, state, nonce), followed to the provider."""
    rp_state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    _, challenge = pkce_pair()
    query = {
        "response_type": "code",
        "client_id": bridge.client_id,
        "redirect_uri": RP_CALLBACK,
        "scope": "openid profile email",
        "state": rp_state,
        "nonce": nonce,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        **(hint or {"kc_idp_hint": ALIAS}),
    }
    response = follow(browser, browser.get("/authorize", query_string=query))
    location = response.location or ""
    assert response.status_code in (302, 303), response.get_data(as_text=True)
    assert location.startswith(f"{ISSUER}/authorize?"), location
    params = {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}
    return UpstreamRequest(state=params["state"], nonce=params["nonce"], rp_state=rp_state)


def come_back(browser: FlaskClient, login: UpstreamRequest, **query: str | None) -> TestResponse:
    """The provider's redirect to the callback: a code, the state and its ``iss`` (RFC 9207);
    ``query`` overrides a parameter, or drops it with None."""
    sent = {"code": "the-code", "state": login.state, "iss": ISSUER, **query}
    return browser.get(CALLBACK_PATH, query_string={k: v for k, v in sent.items() if v is not None})


def set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


# --- the bad answers ---------------------------------------------------------------------------


@dataclass
class Keys:
    rotated: RSAKey
    stranger: RSAKey


#: What a case does before the callback (to the provider, given this login's authorization
#: request, the test keys and the bridge); returns the callback's query overrides.
Arrange = Callable[[FakeProvider, UpstreamRequest, Keys, Bridge], dict[str, str | None]]


@dataclass(frozen=True)
class BadAnswer:
    arrange: Arrange
    error: type[errors.UpstreamError]
    status: int = 400
    message: str = ""  # the user's text, when it is not the class's own
    provider: dict[str, Any] = field(default_factory=dict)  # the provider's settings

    @property
    def shown(self) -> str:
        return self.message or self.error.message


def _token(**claims: Any) -> Arrange:
    def arrange(
        fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
    ) -> dict[str, str | None]:
        overrides = dict(claims)  # each run (each database) starts from the case's claims
        nonce = overrides.pop("nonce", login.nonce)
        fake.id_token = fake.sign(fake.claims(nonce, **overrides))
        return {}

    return arrange


def _signed_by_a_stranger(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.sign(fake.claims(login.nonce), key=keys.stranger)
    return {}


def _tampered_payload(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    header, _, signature = fake.sign(fake.claims(login.nonce)).split(".")
    other = fake.sign(fake.claims(login.nonce, sub="someone-else")).split(".")[1]
    fake.id_token = f"{header}.{other}.{signature}"
    return {}


def _unsigned(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.unsigned_token(fake.claims(login.nonce))
    return {}


def _hmac_with_the_public_key(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.hmac_token(fake.claims(login.nonce), fake.key.as_pem(private=False))
    return {}


def _now(fake: FakeProvider) -> int:
    return int(fake.clock())


def _expired(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    now = _now(fake)
    fake.id_token = fake.sign(fake.claims(login.nonce, iat=now - 600, exp=now - 121))
    return {}


def _issued_in_the_future(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.sign(fake.claims(login.nonce, iat=_now(fake) + 121))
    return {}


def _an_unknown_kid(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.sign(fake.claims(login.nonce), key=keys.rotated)  # never published
    return {}


def _mix_up(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.sign(fake.claims(login.nonce))
    return {"iss": "https://evil.example"}


def _no_iss(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.sign(fake.claims(login.nonce))
    return {"iss": None}


def _error(error: str) -> Arrange:
    def arrange(
        fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
    ) -> dict[str, str | None]:
        return {"error": error, "code": None}

    return arrange


def _token_endpoint(**answer: Any) -> Arrange:
    def arrange(
        fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
    ) -> dict[str, str | None]:
        fake.id_token = fake.sign(fake.claims(login.nonce))
        fake.mock.replace(responses.POST, TOKEN_ENDPOINT, **answer)
        return {}

    return arrange


def _jwks_down(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = fake.sign(fake.claims(login.nonce))
    fake.mock.replace(responses.GET, JWKS_URI, status=502, body="bad gateway")
    return {}


def _replayed(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    """The token endpoint answers this login with the ID token of an earlier one (another
    browser's, accepted then)."""
    earlier = bridge.browser()
    first = go_upstream(bridge, earlier)
    fake.id_token = fake.sign(fake.claims(first.nonce))
    assert code_at_the_relying_party(earlier, come_back(earlier, first))["code"]
    return {}  # the token endpoint keeps answering with that ID token


def _no_id_token(
    fake: FakeProvider, login: UpstreamRequest, keys: Keys, bridge: Bridge
) -> dict[str, str | None]:
    fake.id_token = None
    return {}


BAD_ANSWERS = [
    pytest.param(BadAnswer(_signed_by_a_stranger, errors.BadSignature), id="bad-signature"),
    pytest.param(BadAnswer(_tampered_payload, errors.BadSignature), id="tampered-payload"),
    pytest.param(
        BadAnswer(_token(iss="https://evil.example"), errors.WrongIssuer), id="wrong-issuer"
    ),
    pytest.param(BadAnswer(_unsigned, errors.DisallowedAlgorithm), id="alg-none"),
    pytest.param(
        BadAnswer(_hmac_with_the_public_key, errors.DisallowedAlgorithm),
        id="hs256-signed-with-the-public-key",
    ),
    pytest.param(
        BadAnswer(_token(), errors.DisallowedAlgorithm, provider={"algorithms": ["ES256"]}),
        id="alg-outside-the-allow-list",
    ),
    pytest.param(BadAnswer(_expired, errors.TokenExpired), id="expired"),
    pytest.param(BadAnswer(_issued_in_the_future, errors.BadIssuedAt), id="iat-in-the-future"),
    pytest.param(BadAnswer(_token(aud="another-client"), errors.WrongAudience), id="wrong-aud"),
    pytest.param(
        BadAnswer(_token(aud=[CLIENT_ID, "another-client"]), errors.WrongAudience),
        id="several-audiences-without-azp",
    ),
    pytest.param(BadAnswer(_token(azp="another-client"), errors.WrongAudience), id="wrong-azp"),
    pytest.param(
        BadAnswer(_token(nonce="another-login"), errors.NonceMismatch), id="another-logins-nonce"
    ),
    pytest.param(BadAnswer(_replayed, errors.NonceMismatch), id="replayed-id-token"),
    pytest.param(BadAnswer(_an_unknown_kid, errors.UnknownKey), id="unknown-kid-twice"),
    pytest.param(BadAnswer(_mix_up, errors.IssuerMismatch), id="iss-mix-up"),
    pytest.param(BadAnswer(_no_iss, errors.IssuerMismatch), id="iss-missing-though-promised"),
    pytest.param(
        BadAnswer(
            _error("access_denied"),
            errors.UpstreamRefused,
            message="The sign-in was cancelled at the provider.",
        ),
        id="error-access-denied",
    ),
    pytest.param(
        BadAnswer(_error("temporarily_unavailable"), errors.UpstreamRefused),
        id="error-temporarily-unavailable",
    ),
    pytest.param(
        BadAnswer(
            _token_endpoint(body=requests.ConnectTimeout()), errors.ProviderTimeout, status=502
        ),
        id="token-endpoint-timeout",
    ),
    pytest.param(
        BadAnswer(
            _token_endpoint(body=requests.ConnectionError()),
            errors.ProviderUnavailable,
            status=502,
        ),
        id="token-endpoint-refuses-the-connection",
    ),
    pytest.param(
        BadAnswer(
            _token_endpoint(status=503, body="<h1>down</h1>"),
            errors.ProviderUnavailable,
            status=502,
        ),
        id="token-endpoint-5xx",
    ),
    pytest.param(
        BadAnswer(_jwks_down, errors.ProviderUnavailable, status=502), id="jwks-endpoint-5xx"
    ),
    pytest.param(
        BadAnswer(
            _token_endpoint(status=400, json={"error": "invalid_grant"}),
            errors.TokenExchangeFailed,
        ),
        id="invalid-grant",
    ),
    pytest.param(BadAnswer(_no_id_token, errors.TokenExchangeFailed), id="no-id-token"),
]


@pytest.fixture
def keys(rotated_key: RSAKey, stranger_key: RSAKey) -> Keys:
    return Keys(rotated=rotated_key, stranger=stranger_key)


# --- what the user and the auditor see ----------------------------------------------------------


def assert_refused_in_the_browser(
    bridge: Bridge,
    browser: FlaskClient,
    response: TestResponse,
    *,
    error: type[errors.UpstreamError],
    status: int,
    shown: str,
    failures_before: int,
) -> None:
    html = response.get_data(as_text=True)
    assert response.status_code == status, html
    assert response.mimetype == "text/html"
    text = " ".join(BeautifulSoup(html, "html.parser").get_text().split())
    assert "Sign-in did not work" in text
    assert shown in text, text
    assert "Traceback" not in html and 'File "' not in html
    # No bridge session: none set by the callback, none in the browser.
    session_cookie = bridge.services.settings.session.cookie_name
    assert not [c for c in set_cookies(response) if c.startswith(f"{session_cookie}=")]
    assert browser.get_cookie(session_cookie) is None
    # The relying party gets no code: the page is the end, not a redirect to it.
    assert response.location is None
    assert RP_CALLBACK not in html
    # Exactly one new failure, federated, with the class's reason and the provider.
    failures = bridge.failures()
    assert len(failures) == failures_before + 1
    failed = failures[0]
    assert failed.mfa_factor_type == "federated"
    assert failed.reason == error.reason
    assert failed.details["error"] == error.__name__
    assert failed.details["provider"] == ALIAS
    assert failed.client_id == bridge.client_id, "the application the login was for"


@pytest.mark.parametrize("case", BAD_ANSWERS)
def test_a_bad_upstream_answer_is_an_error_page_and_one_audited_failure(
    make_bridge: Callable[..., Bridge], upstream: FakeProvider, keys: Keys, case: BadAnswer
) -> None:
    bridge = make_bridge(**case.provider)
    browser = bridge.browser()
    login = go_upstream(bridge, browser)
    overrides = case.arrange(upstream, login, keys, bridge)
    failures_before = len(bridge.failures())
    successes_before = len(bridge.successes())

    response = come_back(browser, login, **overrides)

    assert_refused_in_the_browser(
        bridge,
        browser,
        response,
        error=case.error,
        status=case.status,
        shown=case.shown,
        failures_before=failures_before,
    )
    assert len(bridge.successes()) == successes_before, "nobody signed in"


# --- the control: the same setup with a good ID token ------------------------------------------


def code_at_the_relying_party(browser: FlaskClient, response: TestResponse) -> dict[str, str]:
    """Follow the bridge after the callback; the relying party's callback parameters."""
    landed = follow(browser, response)
    location = landed.location or ""
    assert location.startswith(RP_CALLBACK), (landed.status_code, landed.get_data(as_text=True))
    return {name: values[0] for name, values in parse_qs(urlsplit(location).query).items()}


@pytest.mark.parametrize(
    "hint",
    [
        pytest.param({"kc_idp_hint": ALIAS}, id="kc_idp_hint"),
        pytest.param({"login_hint": JANE}, id="login_hint"),
    ],
)
def test_a_good_id_token_reaches_the_relying_party_with_a_code(
    make_bridge: Callable[..., Bridge], upstream: FakeProvider, hint: dict[str, str]
) -> None:
    bridge = make_bridge()
    browser = bridge.browser()
    login = go_upstream(bridge, browser, **hint)
    upstream.id_token = upstream.sign(upstream.claims(login.nonce))

    params = code_at_the_relying_party(browser, come_back(browser, login))

    assert params["code"] and params["state"] == login.rp_state
    assert not bridge.failures()
    (succeeded,) = bridge.successes()
    assert succeeded.mfa_factor_type == "federated"
    session_cookie = bridge.services.settings.session.cookie_name
    assert browser.get_cookie(session_cookie) is not None
