"""OIDC endpoints: thin views over Authlib and the token service."""

from __future__ import annotations

import dataclasses
from typing import Any

from authlib.oauth2 import OAuth2Error
from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for

from bridge.domain.errors import InvalidRequest
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_, Phrase
from bridge.federation.views import start_upstream_logout
from bridge.login.continuation import AnswerAuthorization
from bridge.login.views import logins
from bridge.oidc.acr import UnmetAcr
from bridge.oidc.adapters import AuthenticatedUser
from bridge.oidc.authorize import error_redirect, login_request_from
from bridge.oidc.claims import userinfo as userinfo_claims
from bridge.oidc.cors import add_cors_headers
from bridge.oidc.documents import discovery_document, public_document
from bridge.oidc.hints import HintedUserNotSignedIn, check_hint
from bridge.web.browser import check_csrf, csrf_token, ensure_browser_id
from bridge.web.context import bridge

bp = Blueprint("oidc", __name__)
bp.after_request(add_cors_headers)


@bp.get("/.well-known/openid-configuration")
def discovery() -> Response:
    return public_document(discovery_document(bridge()))


@bp.get("/jwks")
def jwks() -> Response:
    return public_document(bridge().services.keys.jwks_document())


def _request_params() -> dict[str, str]:
    """Each parameter's first value (the query's before the form's), in ``values``' order."""
    values = request.values
    return {key: values[key] for key in values}


@bp.route("/authorize", methods=["GET", "POST"])
def authorize() -> Any:
    b = bridge()
    s = b.services
    session = s.sessions.get(request.cookies.get(s.settings.session.cookie_name))
    end_user = (
        AuthenticatedUser(session.user_id, session.amr, session.auth_time, session.acr)
        if session
        else None
    )
    params = _request_params()
    try:
        grant = b.oauth.get_consent_grant(end_user=end_user)
    except OAuth2Error as error:
        if error.redirect_uri:
            params["redirect_uri"] = error.redirect_uri
            return error_redirect(
                s.settings.issuer, params, error.error, error.description or error.error
            )
        raise InvalidRequest(
            Phrase(
                "%(problem)s The application that sent you here is misconfigured; nothing was "
                "sent back to it.",
                problem=error.description or error.error,
            ),
            title=N_("This sign-in link is not valid"),
        ) from error
    client = grant.request.client
    client_id = client.get_client_id()
    try:
        login = login_request_from(params, client_id, s.settings.flows.acr_levels)
        # The organisation of a login is its client's, named by slug (bridge.services.orgs).
        org = None if client.record.org_id is None else s.orgs.slug_of_client(client_id)
        login = dataclasses.replace(login, org_id=org)
        check_hint(s, params, session.user_id if session else None)
    except ValueError as problem:
        refused = problem if isinstance(problem, UnmetAcr | HintedUserNotSignedIn) else None
        code = refused.error if refused else "invalid_request"
        return error_redirect(s.settings.issuer, params, code, str(problem))
    flow_id = logins().start(login, AnswerAuthorization(params), ensure_browser_id())
    return redirect(url_for("login.step", flow_id=flow_id), code=302)


@bp.post("/token")
def token() -> Any:
    return bridge().oauth.create_token_response()


@bp.post("/revoke")
def revoke() -> Any:
    return bridge().oauth.create_endpoint_response("revocation")


@bp.post("/introspect")
def introspect() -> Any:
    return bridge().oauth.create_endpoint_response("introspection")


@bp.route("/userinfo", methods=["GET", "POST"])
def userinfo() -> Any:
    b = bridge()
    with b.protector.acquire(["openid"]) as token:
        info = token.info
        claims = userinfo_claims(b.services, info.user_id, info.scope, info.grant_id)
    response = jsonify(dict(claims))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    b = bridge()
    s = b.services
    try:
        end_request = b.oauth.validate_endpoint_request("end_session")
    except OAuth2Error as error:
        raise InvalidRequest(
            error.description or error.error, title=N_("Sign-out request not valid")
        ) from error
    if request.method == "POST":
        check_csrf(s.secrets.secret_key)
    elif end_request.needs_confirmation:
        return render_template(
            "logout_confirm.html",
            params=_request_params(),
            csrf_token=csrf_token(s.secrets.secret_key),
        )
    cookie_name = s.settings.session.cookie_name
    session = s.sessions.get(request.cookies.get(cookie_name))
    s.sessions.end(request.cookies.get(cookie_name))
    if session is not None:
        s.audit.record(
            AuditEventName.SIGNED_OUT,
            user_id=session.user_id,
            client_id=end_request.client.get_client_id() if end_request.client else None,
            ip=request.remote_addr,
            user_agent=request.user_agent.string,
        )
    response = b.oauth.create_endpoint_response("end_session", end_request)
    if response is None:
        response = Response(render_template("logged_out.html"))
    response.delete_cookie(cookie_name, path="/")
    if session is not None and session.upstream:
        # A federated session: end it at the provider too, then on to the same target.
        response = start_upstream_logout(s, session.upstream, response)
    return response
