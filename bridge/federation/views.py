"""Upstream logins in the browser: ``/federation/<alias>/start``, ``/callback``, ``/logged-out``.

The views are thin: ``start`` asks the federation client for the provider's URL, bound to the
pending login (``binding``) and to this browser (a short-lived cookie, one per upstream login,
that carries the pending login's id to the callback); ``callback`` judges the answer
(``finish``), decides who the user is (``resolve``) and continues the pending login with the
bound ``federated`` flow (``bridge.federation.login``). Every refusal is an error page with the
error's own message and a ``sign_in_failed`` audit event; never a traceback.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import BridgeError, NotFound
from bridge.domain.wording import N_
from bridge.federation.errors import InvalidState, UpstreamError
from bridge.federation.events import record_upstream_failure
from bridge.federation.login import continue_with_identity, upstream_logout_target
from bridge.federation.providers import IdentityProvider
from bridge.login.pending import PendingLogin, PendingLoginError
from bridge.login.sessions import UpstreamSession
from bridge.login.views import logins, render
from bridge.login.visit import visit
from bridge.services.container import Services
from bridge.web.browser import browser_id, cookies_are_secure
from bridge.web.context import bridge
from bridge.web.errors import error_page_response

bp = Blueprint("federation", __name__)

#: Carries the pending login's id from ``start`` to ``callback`` (the provider keeps only the
#: ``state``); it is also the ``binding`` the state was started with, so a callback opened in
#: another browser is refused (login CSRF). One cookie per upstream login, named after its
#: state (``transaction_cookie``), so two logins in two tabs of one browser do not collide.
COOKIE = "bridge_federation"
COOKIE_PATH = "/federation/"
COOKIE_MAX_AGE = 600
LOGOUT_KEY = "federation-logout:"
LOGOUT_TTL = 600
UNKNOWN_PROVIDER = N_("This sign-in provider is not configured here.")


def transaction_cookie(state: str) -> str:
    """The name of the cookie of the upstream login with this ``state``."""
    return f"{COOKIE}_{hashlib.sha256(state.encode()).hexdigest()[:20]}"


def _provider(s: Services, alias: str) -> IdentityProvider | None:
    return s.identity_providers.get(alias)


def _failed(s: Services, error: UpstreamError, pending: PendingLogin | None) -> WerkzeugResponse:
    """Audit a refused upstream answer; its page says what happened (400, 502 when down)."""
    record_upstream_failure(
        s.audit,
        error,
        client_id=pending.flow.request.client_id if pending else None,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
    )
    return error_page_response(error)


def _pending(flow_id: str) -> PendingLogin:
    """This browser's login ``flow_id``; ``PendingLoginError`` when it has none such."""
    return logins().load(flow_id, visit())


def _known_pending(flow_id: str) -> PendingLogin | None:
    try:
        return _pending(flow_id) if flow_id else None
    except PendingLoginError:
        return None


@bp.get("/federation/<alias>/start")
def start(alias: str) -> Any:
    s = bridge().services
    provider = _provider(s, alias)
    if provider is None:
        raise NotFound(UNKNOWN_PROVIDER, title="Unknown provider")
    flow_id = request.args.get("flow", "")
    pending = _pending(flow_id)
    login = pending.flow.request
    hint = request.args.get("login_hint") or login.login_hint
    try:
        url, transaction = s.federation.begin(
            provider,
            redirect_uri=provider.redirect_uri(s.settings.issuer),
            login_hint=hint,
            binding=flow_id,
            # What the relying party asked of the authentication goes upstream with it.
            force_login=login.force_login,
            max_age=login.max_age,
        )
    except UpstreamError as error:
        return _failed(s, error, pending)
    response = redirect(url, code=303)
    response.set_cookie(
        transaction_cookie(transaction.state),
        flow_id,
        max_age=COOKIE_MAX_AGE,
        httponly=True,
        secure=cookies_are_secure(s.settings.issuer),
        samesite="Lax",  # the provider's redirect back is a top-level GET: Lax is sent
        path=COOKIE_PATH,
    )
    return response


@bp.get("/federation/<alias>/callback")
def callback(alias: str) -> Any:
    s = bridge().services
    provider = _provider(s, alias)
    if provider is None:
        raise NotFound(UNKNOWN_PROVIDER, title="Unknown provider")
    cookie = transaction_cookie(request.args.get("state", ""))
    flow_id = request.cookies.get(cookie) or ""
    try:
        if browser_id() is None or not flow_id:
            raise InvalidState("the browser has no login in progress", provider=alias)
        identity = s.federation.finish(provider, request.args, binding=flow_id)
    except UpstreamError as error:
        # The audit event names the application the login was for, when this browser's
        # login is still there to say (never for a state of another browser).
        return _clear_cookie(_failed(s, error, _known_pending(flow_id)), cookie)
    try:
        pending = _pending(flow_id)
    except BridgeError as error:
        return _clear_cookie(error_page_response(error), cookie)
    try:
        screen = continue_with_identity(logins(), flow_id, pending, provider, identity, visit())
    except UpstreamError as error:  # the provider's organisation is missing here, say
        return _clear_cookie(_failed(s, error, pending), cookie)
    except BridgeError as error:
        return _clear_cookie(error_page_response(error), cookie)
    return _clear_cookie(render(screen), cookie)


def _clear_cookie(result: Any, cookie: str) -> WerkzeugResponse:
    """Only this upstream login's cookie: another tab's login goes on."""
    response = make_response(result)
    response.delete_cookie(cookie, path=COOKIE_PATH)
    return response


def start_upstream_logout(
    s: Services, upstream: UpstreamSession, final: WerkzeugResponse
) -> WerkzeugResponse:
    """After the local logout: the provider's logout URL when it publishes one, coming back to
    ``/federation/<alias>/logged-out``, which sends the browser on to ``final``'s target.
    ``final`` itself when the provider has no end_session_endpoint (or cannot be reached)."""
    provider = _provider(s, upstream.provider_alias)
    if provider is None:
        return final
    state = secrets.token_urlsafe(24)
    back = s.settings.issuer.rstrip("/") + url_for("federation.logged_out", alias=provider.alias)
    try:
        url = upstream_logout_target(s, provider, upstream.id_token, back, state)
    except UpstreamError:
        return final
    if url is None:
        return final
    target = final.headers.get("Location") or url_for("federation.signed_out")
    s.store.put(LOGOUT_KEY + state, {"next": target}, LOGOUT_TTL)
    response = redirect(url, code=302)
    for header in final.headers.getlist("Set-Cookie"):
        response.headers.add("Set-Cookie", header)
    return response


@bp.get("/federation/<alias>/logged-out")
def logged_out(alias: str) -> Any:
    """The provider's redirect after its logout: on to where the bridge's logout was going."""
    s = bridge().services
    saved = s.store.take(LOGOUT_KEY + request.args.get("state", ""))
    if saved is None:
        return redirect(url_for("federation.signed_out"), code=302)
    return redirect(str(saved["next"]), code=302)


@bp.get("/federation/signed-out")
def signed_out() -> Any:
    return render_template("logged_out.html")
