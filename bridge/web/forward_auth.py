"""The forward-auth endpoint for reverse proxies (issue 12): parse what the proxy forwarded,
ask ``bridge.services.forward_auth``, answer 200 with the identity headers or 401 with
``WWW-Authenticate``; browsers without a session are sent to sign in.

The proxy's ``X-Forwarded-*`` headers are read only as its report of the original request: the
client's address when the proxy is trusted (``forward_auth.trusted_proxies``), and the original
URL, which becomes a redirect target only on a host of ``forward_auth.return_hosts``.
"""

from __future__ import annotations

import binascii
import ipaddress
import re
from base64 import b64decode
from urllib.parse import urlencode, urlsplit

from flask import Blueprint, Response, redirect, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.config.forward_auth import ForwardAuthSettings
from bridge.login.visit import session_token
from bridge.services.forward_auth import Caller, ForwardAuth, Identity, Refusal
from bridge.web.auth import current_sign_in, send_to_login
from bridge.web.context import services
from flows.context import LoginRequest

bp = Blueprint("forward_auth", __name__)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
#: Longer credentials are refused unread.
MAX_AUTHORIZATION = 4096
MAX_URL = 2048
_PATH = re.compile(r"/[\x21-\x7e]*")


def client_ip(settings: ForwardAuthSettings) -> str | None:
    """The client's address: the rightmost ``X-Forwarded-For`` hop that is not a trusted proxy,
    when the request came from one; else the peer's own address."""
    peer = request.remote_addr
    networks = [ipaddress.ip_network(n, strict=False) for n in settings.trusted_proxies]

    def trusted(address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").strip())
        except ValueError:
            return False
        return any(ip in network for network in networks)

    if not trusted(peer):
        return peer
    for hop in reversed(request.headers.get("X-Forwarded-For", "").split(",")):
        if not trusted(hop):
            try:
                return str(ipaddress.ip_address(hop.strip()))
            except ValueError:
                return peer  # a garbled report: count it under the proxy itself
    return peer


def original_url(settings: ForwardAuthSettings) -> str | None:
    """The URL the client asked the proxy for, when it is safe to send a browser back to."""
    proto = request.headers.get("X-Forwarded-Proto", "").strip().lower()
    host = request.headers.get("X-Forwarded-Host", "").strip().lower()
    path = request.headers.get("X-Forwarded-Uri") or request.headers.get("X-Original-URI") or "/"
    return safe_return(f"{proto}://{host}{path}", settings)


def safe_return(url: str, settings: ForwardAuthSettings) -> str | None:
    """``url`` when it is an http(s) URL of a ``return_hosts`` host with a plain path."""
    if len(url) > MAX_URL or not url.isascii():
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - parsing validates it
    except ValueError:
        return None
    path = url[len(f"{parts.scheme}://{parts.netloc}") :] or "/"
    if (
        parts.scheme not in ("http", "https")
        or parts.username is not None
        or parts.password is not None
        or parts.netloc.lower() not in settings.return_hosts
        or not _PATH.fullmatch(path)
        or path.startswith("//")
        or "\\" in path
    ):
        return None
    return url


def _wants_html() -> bool:
    accept = request.accept_mimetypes
    return request.method in ("GET", "HEAD") and accept.accept_html and accept["text/html"] > 0


def _passed(identity: Identity, settings: ForwardAuthSettings) -> Response:
    response = Response(status=200)
    names = settings.headers
    values = {
        names.user: identity.username,
        names.email: identity.email or "",
        names.organisations: ",".join(identity.organisations),
        names.roles: ",".join(identity.roles),
        names.method: identity.method,
    }
    for name, value in values.items():
        if value and value.isascii() and value.isprintable():
            response.headers[name] = value
    response.headers["Cache-Control"] = "no-store"
    return response


def _refused(refusal: Refusal, settings: ForwardAuthSettings, sign_in: str | None) -> Response:
    response = Response("Authentication required.\n", status=401, mimetype="text/plain")
    realm = settings.realm.replace("\\", "").replace('"', "")
    if refusal.scheme == "Bearer":
        response.headers["WWW-Authenticate"] = f'Bearer realm="{realm}", error="invalid_token"'
    else:
        response.headers["WWW-Authenticate"] = f'Basic realm="{realm}", charset="UTF-8"'
    if refusal.retry_after is not None:
        response.headers["Retry-After"] = str(refusal.retry_after)
    if sign_in is not None:
        response.headers["X-Bridge-Sign-In"] = sign_in
    response.headers["Cache-Control"] = "no-store"
    return response


def _basic(value: str) -> tuple[str, str] | None:
    try:
        decoded = b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    username, colon, password = decoded.partition(":")
    if not colon or not username or not password or not decoded.isprintable():
        return None
    return username, password


@bp.route("/forward-auth", methods=METHODS)
def check() -> WerkzeugResponse:
    s = services()
    settings = s.settings.forward_auth
    caller = Caller(client_ip(settings), request.user_agent.string or None)
    auth = ForwardAuth(s)
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        verdict: Identity | Refusal
        if len(header) > MAX_AUTHORIZATION or not header.isascii():
            verdict = auth.malformed(caller)
        elif scheme.lower() == "basic":
            credentials = _basic(value)
            verdict = auth.basic(*credentials, caller) if credentials else auth.malformed(caller)
        elif scheme.lower() == "bearer" and value.strip():
            verdict = auth.bearer(value.strip(), caller)
        else:
            verdict = auth.malformed(caller)
        if isinstance(verdict, Identity):
            return _passed(verdict, settings)
        return _refused(verdict, settings, None)
    identity = auth.session(session_token())
    if identity is not None:
        return _passed(identity, settings)
    back = original_url(settings)
    sign_in = url_for("forward_auth.sign_in", _external=False)
    if back is not None:
        sign_in += "?" + urlencode({"rd": back})
    sign_in = s.settings.issuer + sign_in
    if _wants_html() and request.args.get("redirect") != "no":
        return redirect(sign_in, code=302)
    return _refused(Refusal("no_credentials"), settings, sign_in if _wants_html() else None)


@bp.get("/forward-auth/sign-in")
def sign_in() -> WerkzeugResponse:
    """Sign in through the login flow, then back to the protected application's URL ``rd``
    (only on a host of ``forward_auth.return_hosts``; anything else: the account page)."""
    s = services()
    back = safe_return(request.args.get("rd", ""), s.settings.forward_auth)
    if current_sign_in(s, active_only=True) is not None:
        return redirect(back or url_for("account.account"), code=302)
    here = url_for("forward_auth.sign_in") + ("?" + urlencode({"rd": back}) if back else "")
    return send_to_login(s, LoginRequest(), here)
