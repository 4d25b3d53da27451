"""A live bridge on a real port, with a relying party and a scripted browser that use HTTP."""

from __future__ import annotations

import base64
import hashlib
import itertools
import re
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPMessage
from typing import Any
from urllib.parse import parse_qs, urljoin, urlsplit

import pyotp
import requests
import requests.adapters
from bs4 import BeautifulSoup
from joserfc import jwt
from joserfc.jwk import KeySet
from requests.cookies import extract_cookies_to_jar
from requests.structures import CaseInsensitiveDict
from requests.utils import get_encoding_from_headers
from werkzeug.serving import BaseWSGIServer, make_server
from werkzeug.test import EnvironBuilder, run_wsgi_app

from bridge.domain.clock import FrozenClock
from bridge.services.container import Services
from tests.bridges import give_back_web_app, take_web_app

CALLBACK = "http://127.0.0.1:9/callback"
LOGOUT_CALLBACK = "http://127.0.0.1:9/signed-out"
PASSWORD = "correct horse battery staple"


@dataclass
class LiveBridge:
    url: str
    services: Services
    clock: FrozenClock

    def add_user(self, username: str, *, password: str = PASSWORD) -> str:
        return self.services.users.create(
            username, email=f"{username}@example.com", password=password
        ).id

    def add_client(self, *, public: bool = False) -> tuple[str, str | None]:
        record, secret = self.services.clients.add(
            "Test app",
            [CALLBACK],
            public=public,
            post_logout_redirect_uris=[LOGOUT_CALLBACK],
        )
        return record.id, secret

    def audit(self, event: str, user_id: str | None = None) -> list[Any]:
        return self.services.audit.events(event=event, user_id=user_id)


class Doorway:
    """The way in to a live bridge's app: it counts the requests inside, closes every response
    body, and once shut answers 503 without reaching the app.

    Shut, then empty, the app's shell can serve the next live bridge (``take_web_app``): a
    request that arrives late (a browser's kept-alive connection) never reaches it.

    Every body is closed: when a client drops the connection (Chromium cancelling a stylesheet
    it no longer needs), werkzeug's ``run_wsgi`` fails while draining the socket, before it calls
    the body's ``close()``: a static file's handle is then left to the garbage collector, which
    reports a ``ResourceWarning`` in whatever test runs next. A generator's ``finally`` runs
    however the iteration ends, or when the server drops the generator, so the file is always
    closed (and the request counted out).
    """

    def __init__(self, app: Any) -> None:
        self._app: Any = app
        self._inside = 0
        self._changed = threading.Condition()

    def __call__(self, environ: Any, start_response: Any) -> Any:
        with self._changed:
            app = self._app
            if app is not None:
                self._inside += 1
        if app is None:
            start_response("503 Service Unavailable", [("Content-Type", "text/plain")])
            return [b"this bridge has stopped"]
        try:
            body = app(environ, start_response)
        except BaseException:
            self._left()
            raise

        def chunks() -> Iterator[bytes]:
            try:
                yield from body
            finally:
                try:
                    close = getattr(body, "close", None)
                    if close is not None:
                        close()
                finally:
                    self._left()

        return chunks()

    def _left(self) -> None:
        with self._changed:
            self._inside -= 1
            self._changed.notify_all()

    def shut(self, timeout: float = 5) -> bool:
        """Let no more requests in; True once none is inside (False: still some after
        ``timeout`` seconds)."""
        with self._changed:
            self._app = None
            return self._changed.wait_for(lambda: self._inside == 0, timeout)


class InProcess(requests.adapters.BaseAdapter):
    """A ``requests`` transport that hands each request to a WSGI app in this thread.

    The relying party and the browser keep speaking HTTP (methods, headers, cookies, redirects)
    through ``requests``; only the socket and the server thread are gone.
    """

    def __init__(self, app: Any) -> None:
        super().__init__()
        self.app = app

    def send(self, request: requests.PreparedRequest, **_options: Any) -> requests.Response:
        assert request.url is not None
        url = urlsplit(request.url)
        body = request.body or b""
        builder = EnvironBuilder(
            method=request.method,
            base_url=f"{url.scheme}://{url.netloc}",
            path=url.path,
            query_string=url.query,
            headers=list(request.headers.items()),
            data=body.encode() if isinstance(body, str) else body,
            environ_base={"REMOTE_ADDR": "127.0.0.1"},
        )
        try:
            chunks, status, headers = run_wsgi_app(self.app, builder.get_environ(), buffered=True)
        finally:
            builder.close()
        try:
            content = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        message = HTTPMessage()
        joined: dict[str, str] = {}
        for name, value in headers.items():
            message[name] = value
            joined[name] = f"{joined[name]}, {value}" if name in joined else value
        response = requests.Response()
        response.status_code = int(status.split(" ", 1)[0])
        response.reason = status.split(" ", 1)[1]
        response.headers = CaseInsensitiveDict(joined)
        response.encoding = get_encoding_from_headers(response.headers)
        response._content = content
        response.raw = _Raw(message)
        response.url = request.url
        response.request = request
        response.connection = self
        extract_cookies_to_jar(response.cookies, request, response.raw)
        return response

    def close(self) -> None:
        pass


class _Raw:
    """Where ``requests`` reads the cookies of a response: its headers as ``http.client``
    parses them."""

    def __init__(self, message: HTTPMessage) -> None:
        self._original_response = _Original(message)

    def read(self, *_args: Any, **_kwargs: Any) -> bytes:
        return b""

    def close(self) -> None:
        pass


@dataclass
class _Original:
    msg: HTTPMessage


_IN_PROCESS: dict[str, InProcess] = {}
_get_adapter = requests.Session.get_adapter
_ports = itertools.count(100)


def _route(session: requests.Session, url: str) -> requests.adapters.BaseAdapter:
    for origin, adapter in _IN_PROCESS.items():
        if url == origin or url.startswith(origin + "/"):
            return adapter
    return _get_adapter(session, url)


@contextmanager
def in_process(url: str, app: Any) -> Iterator[None]:
    """While the block runs, every ``requests`` session reaches ``url`` through ``app``."""
    _IN_PROCESS[url] = InProcess(app)
    requests.Session.get_adapter = _route  # type: ignore[method-assign]
    try:
        yield
    finally:
        del _IN_PROCESS[url]
        if not _IN_PROCESS:
            requests.Session.get_adapter = _get_adapter  # type: ignore[method-assign]


@contextmanager
def serve(services_factory: Any, *, real_http: bool = True) -> Iterator[LiveBridge]:
    """Start a bridge; ``services_factory(issuer)`` builds its services.

    ``real_http``: on a free loopback port, served by werkzeug in a thread. Otherwise at an
    address nothing listens on (a port below 1024), which every ``requests`` session in this
    process reaches in-process (``InProcess``) while the bridge runs.
    """
    if not real_http:
        url = f"http://127.0.0.1:{next(_ports) % 900 + 100}"
        services, clock = services_factory(url)
        try:
            app = take_web_app(services)
            doorway = Doorway(app)
            try:
                with in_process(url, doorway):
                    yield LiveBridge(url, services, clock)
            finally:
                if doorway.shut():
                    give_back_web_app(app)
        finally:
            services.close()
        return
    doorways: list[Doorway] = []

    def app(environ: Any, start_response: Any) -> Any:
        return doorways[0](environ, start_response)

    server: BaseWSGIServer = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    services, clock = services_factory(url)
    shell = take_web_app(services)
    doorways.append(Doorway(shell))
    # serve_forever sees a shutdown request only between polls: at its default of 0.5 s,
    # every live bridge would cost its test up to half a second of waiting at the end.
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
    )
    thread.start()
    try:
        yield LiveBridge(url, services, clock)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()
        drained = doorways[0].shut()
        services.close()
        if drained:
            give_back_web_app(shell)


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode()).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@dataclass
class AuthRequest:
    url: str
    state: str
    nonce: str
    verifier: str


@dataclass
class RelyingParty:
    """A confidential client that speaks to the bridge only through its published metadata."""

    issuer: str
    client_id: str
    client_secret: str | None
    redirect_uri: str = CALLBACK
    http: requests.Session = field(default_factory=requests.Session)
    # The relying party's idea of now: the tests move the bridge's clock, so follow it.
    now: Any = None

    def __post_init__(self) -> None:
        self.metadata = self.http.get(f"{self.issuer}/.well-known/openid-configuration").json()

    def authorization_request(self, **extra: str) -> AuthRequest:
        state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
        verifier, challenge = pkce_pair()
        params = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": "openid profile email",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
        params.update(extra)
        request = requests.Request("GET", self.metadata["authorization_endpoint"], params=params)
        url = request.prepare().url
        assert url is not None
        return AuthRequest(url, state, nonce, verifier)

    def token_request(self, data: dict[str, str]) -> requests.Response:
        auth = (self.client_id, self.client_secret) if self.client_secret else None
        if auth is None:
            data = {**data, "client_id": self.client_id}
        return self.http.post(self.metadata["token_endpoint"], data=data, auth=auth)

    def exchange(self, code: str, verifier: str | None) -> requests.Response:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": self.redirect_uri}
        if verifier is not None:
            data["code_verifier"] = verifier
        return self.token_request(data)

    def refresh(self, refresh_token: str) -> requests.Response:
        return self.token_request({"grant_type": "refresh_token", "refresh_token": refresh_token})

    def id_token_claims(self, id_token: str, nonce: str) -> dict[str, Any]:
        """Verify the ID token as a careful relying party would, and return its claims."""
        jwks = KeySet.import_key_set(self.http.get(self.metadata["jwks_uri"]).json())
        algorithms = self.metadata["id_token_signing_alg_values_supported"]
        token = jwt.decode(id_token, jwks, algorithms=algorithms)
        registry = jwt.JWTClaimsRegistry(
            now=(lambda: int(self.now())) if self.now else None,
            iss={"essential": True, "value": self.issuer},
            aud={"essential": True, "value": self.client_id},
            nonce={"essential": True, "value": nonce},
            sub={"essential": True},
            exp={"essential": True},
            iat={"essential": True},
        )
        registry.validate(token.claims)
        return dict(token.claims)

    def userinfo(self, access_token: str) -> requests.Response:
        return self.http.get(
            self.metadata["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {access_token}"},
        )


@dataclass
class Page:
    url: str
    status: int
    html: str

    @property
    def soup(self) -> BeautifulSoup:
        return BeautifulSoup(self.html, "html.parser")

    @property
    def title(self) -> str:
        h1 = self.soup.find("h1")
        return h1.get_text(strip=True) if h1 else ""

    @property
    def errors(self) -> list[str]:
        box = self.soup.find(id="form-errors")
        return [p.get_text(strip=True) for p in box.find_all("p")] if box else []

    def form_fields(self) -> dict[str, str]:
        form = self.soup.find("form")
        assert form is not None, f"no form on {self.url}: {self.html[:500]}"
        return {
            str(i["name"]): str(i.get("value", ""))
            for i in form.find_all("input")
            if i.get("name") and i.get("type") != "checkbox"
        }

    def form_action(self) -> str:
        form = self.soup.find("form")
        assert form is not None
        return urljoin(self.url, str(form["action"]))


class Browser:
    """Follows redirects inside the bridge and stops at the relying party's callback.

    The page of new recovery codes that follows an enrolment is confirmed ("I saved them")
    on its own, and the codes kept in ``recovery_codes``, unless ``confirm_recovery_codes``
    is False (tests of that page).
    """

    def __init__(
        self, stop_at: str = "http://127.0.0.1:9/", *, confirm_recovery_codes: bool = True
    ) -> None:
        self.http = requests.Session()
        self.stop_at = stop_at
        self.page: Page | None = None
        self.landed: str | None = None
        self.confirm_recovery_codes = confirm_recovery_codes
        self.recovery_codes: list[str] = []

    def _follow(self, response: requests.Response) -> Page | str:
        if response.request.method == "POST" and response.is_redirect:
            assert response.status_code == 303, "every POST is answered with 303 See Other"
        while response.is_redirect:
            location = urljoin(response.url, response.headers["Location"])
            if location.startswith(self.stop_at):
                self.landed = location
                return location
            response = self.http.get(location, allow_redirects=False)
        self.page = Page(response.url, response.status_code, response.text)
        codes = self.page.soup.find(id="recovery-codes")
        if codes is not None and self.confirm_recovery_codes:
            self.recovery_codes = [li.get_text(strip=True) for li in codes.find_all("li")]
            return self.submit(saved="yes")
        return self.page

    def open(self, url: str) -> Page | str:
        return self._follow(self.http.get(url, allow_redirects=False))

    def submit(self, **fields: str) -> Page | str:
        assert self.page is not None
        data = self.page.form_fields()
        data.update(fields)
        return self._follow(
            self.http.post(self.page.form_action(), data=data, allow_redirects=False)
        )

    def post_raw(self, url: str, data: dict[str, str]) -> requests.Response:
        return self.http.post(url, data=data, allow_redirects=False)


def callback_params(location: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def enrolment_secret(page: Page) -> str:
    secret = page.soup.find(id="secret")
    assert secret is not None, "the enrolment page shows the key as text"
    return re.sub(r"\s", "", secret.get_text())


def totp_code(secret: str, clock: FrozenClock, offset_steps: int = 0) -> str:
    return pyotp.TOTP(secret).at(clock() + 30 * offset_steps)


def first_login(
    live: LiveBridge, rp: RelyingParty, browser: Browser, username: str
) -> tuple[AuthRequest, dict[str, str]]:
    """Create a user and take them through password and enrolment; return the authorization
    request and the callback's parameters (``code``, ``state``, ``iss``)."""
    live.add_user(username)
    request = rp.authorization_request()
    browser.open(request.url)
    page = browser.submit(username=username, password=PASSWORD)
    assert isinstance(page, Page), f"expected the enrolment page, got {page}"
    landed = browser.submit(code=totp_code(enrolment_secret(page), live.clock))
    assert isinstance(landed, str), f"expected a redirect to the app, got {browser.page}"
    return request, callback_params(landed)


def first_tokens(
    live: LiveBridge, rp: RelyingParty, browser: Browser, username: str
) -> tuple[AuthRequest, dict[str, Any]]:
    """``first_login`` and the token response the code is exchanged for."""
    request, params = first_login(live, rp, browser, username)
    response = rp.exchange(params["code"], request.verifier)
    assert response.status_code == 200, response.text
    return request, response.json()
