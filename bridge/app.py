"""The Flask application factory."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from flask import Flask, Response, g, got_request_exception, jsonify

from bridge.config.loading import load_settings
from bridge.config.secrets import load_secrets
from bridge.config.settings import Settings
from bridge.domain.clock import Clock
from bridge.federation.views import bp as federation_bp
from bridge.login.password_reset import bp as password_bp
from bridge.login.views import bp as login_bp
from bridge.observability import web as observability
from bridge.oidc.endpoints import (
    BridgeEndSessionEndpoint,
    BridgeIntrospectionEndpoint,
    BridgeRevocationEndpoint,
    build_resource_protector,
)
from bridge.oidc.fast_documents import FastDocuments
from bridge.oidc.server import build_authorization_server
from bridge.oidc.views import bp as oidc_bp
from bridge.services.container import Services, build_services
from bridge.storage.db.unit import UnitOfWork
from bridge.storage.ephemeral.single_process import claim_single_process
from bridge.web import branding, browser, edge, errors, flask_session, language, static
from bridge.web.account.app_passwords import bp as app_passwords_bp
from bridge.web.account.password import bp as account_password_bp
from bridge.web.account.views import bp as account_bp
from bridge.web.admin.api import bp as admin_api_bp
from bridge.web.admin.console import bp as admin_console_bp
from bridge.web.application import BridgeFlask
from bridge.web.browser import cookies_are_secure
from bridge.web.context import Bridge, bridge
from bridge.web.forward_auth import bp as forward_auth_bp

log = logging.getLogger(__name__)


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    clock: Clock | None = None,
) -> Flask:
    """Build the app. Without arguments it reads ``BRIDGE_CONFIG`` and the environment."""
    if services is None:
        if settings is None:
            config = os.environ.get("BRIDGE_CONFIG")
            settings = load_settings(Path(config) if config else None, os.environ)
        services = build_services(settings, load_secrets(settings, os.environ), clock)
    app = web_app(secure_cookies=cookies_are_secure(services.settings.issuer))
    bind_services(app, services)
    return app


def web_app(*, secure_cookies: bool) -> Flask:
    """The Flask app without its services: blueprints, request hooks, error handlers.

    ``bind_services`` gives it the services it serves; ``create_app`` does both. The views find
    the services in ``app.extensions["bridge"]`` on every request, never at import or build time.
    """
    app = BridgeFlask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=64 * 1024, JSON_SORT_KEYS=False)
    flask_session.install(app)  # no signer built for a request without Flask's cookie
    # The request id and latency hooks come first (they only observe: they set a header and
    # record a metric after the commit); then the unit of work, whose commit is the last thing
    # a response waits for.
    observability.install(app)
    _install_unit_of_work(app)
    app.register_blueprint(oidc_bp)
    app.register_blueprint(login_bp)
    app.register_blueprint(password_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(account_password_bp)
    app.register_blueprint(app_passwords_bp)
    app.register_blueprint(federation_bp)
    app.register_blueprint(admin_api_bp)
    app.register_blueprint(admin_console_bp)
    app.register_blueprint(forward_auth_bp)
    browser.install(app, secure=secure_cookies)
    language.install(app)
    branding.install(app)
    static.install(app)  # versioned static URLs, cached for a year
    errors.install(app)
    edge.install(app)  # NUL bytes and over-deep JSON refused before any view sees them
    # Discovery and the JWKS answered before Flask's request handling, with the same headers.
    app.wsgi_app = FastDocuments(app, app.wsgi_app)  # type: ignore[method-assign]

    @app.get("/health")
    def health() -> Any:
        services = bridge().services
        services.store.ping()
        services.db.ping()
        return jsonify({"status": "ok"})

    return app


def bind_services(app: Flask, services: Services) -> None:
    """Check the stores and the configuration the app is to serve, then serve them."""
    if problem := services.db.schema_problem():
        raise RuntimeError(problem)
    if services.settings.ephemeral.backend == "memory":
        claim_single_process(services.settings.data_dir)  # SettingsError: another process serves
    services.identity_providers.check_aliases()  # SettingsError: one alias in both sources
    services.keys.ensure_active()
    app.config["SECRET_KEY"] = services.secrets.secret_key
    oauth = build_authorization_server(services)
    oauth.register_endpoint(BridgeRevocationEndpoint(services))
    oauth.register_endpoint(BridgeIntrospectionEndpoint(services))
    oauth.register_endpoint(BridgeEndSessionEndpoint(services))
    app.extensions["bridge"] = Bridge(
        services=services, oauth=oauth, protector=build_resource_protector(services)
    )


def _install_unit_of_work(app: Flask) -> None:
    """One database transaction per request, committed before the response leaves.

    Committed too when an error handler answered (a refused code, a wrong password: what the
    request recorded, such as a failed sign-in or a lockout counter, stays); rolled back when
    an exception went unhandled (the 500 page). A failed commit is answered like any other
    database error (the 503 page), never with the response the lost writes promised.
    """

    @app.before_request
    def _open_unit() -> None:
        unit = UnitOfWork()
        unit.enter()
        g.unit_of_work = unit

    def _unhandled(_sender: Flask, **_extra: Any) -> None:
        unit: UnitOfWork | None = g.get("unit_of_work")
        if unit is not None:
            unit.rollback()

    got_request_exception.connect(_unhandled, app, weak=False)

    @app.after_request
    def _commit_unit(response: Response) -> Response:
        unit: UnitOfWork | None = g.get("unit_of_work")
        if unit is None or unit.finished:
            return response
        try:
            unit.commit()
        except Exception as error:
            log.exception("the request's changes could not be committed")
            return app.make_response(app.handle_user_exception(error))
        return response

    @app.teardown_request
    def _close_unit(_error: BaseException | None) -> None:
        unit: UnitOfWork | None = g.pop("unit_of_work", None)
        if unit is not None:
            unit.leave()
