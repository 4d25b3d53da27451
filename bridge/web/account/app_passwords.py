"""App passwords on the account page (seed 004; issue 12): created behind a fresh login and the
current code (for a user with 2FA), shown once, listed, revoked one by one or all at once.

The rules (comment, scopes, an organisation that forbids them, the audit and the mail) are
``bridge.services.app_passwords``'s; these views parse, call it, and render.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.login.visit import session_token
from bridge.services.app_password_values import SCOPES, Origin
from bridge.services.container import Services
from bridge.storage.db.models import User
from bridge.web.account.views import CODES_TTL, fresh_sign_in, guarded
from bridge.web.auth import SignedIn
from bridge.web.context import bridge

bp = Blueprint("app_passwords", __name__)


def _reveal_key() -> str:
    token = session_token() or ""
    return "account-app-password:" + hashlib.sha256(token.encode()).hexdigest()


def _aad(user: User) -> bytes:
    return f"app-password-reveal:{user.id}".encode()


def _origin(user: User) -> Origin:
    return Origin(user.id, request.remote_addr, request.user_agent.string)


@bp.post("/account/app-passwords")
@guarded(needs_code=True)
def create(s: Services, user: User) -> WerkzeugResponse:
    scopes = [scope for scope in SCOPES if request.form.get(f"scope_{scope}")] or None
    new = s.app_passwords.create_own(
        user.id, request.form.get("comment", ""), scopes, _origin(user)
    )
    # Shown once, on the next page: it waits sealed, for this browser's session only.
    sealed = s.keyring.seal(new.secret.encode(), _aad(user))
    s.store.put(_reveal_key(), {"secret": sealed, "comment": new.view.comment}, CODES_TTL)
    return redirect(url_for("app_passwords.created"), code=303)


@bp.get("/account/app-passwords/new")
@fresh_sign_in
def created(who: SignedIn) -> Any:
    s = bridge().services
    waiting = s.store.take(_reveal_key())
    if waiting is None:  # shown already, or never created: it is never shown again
        return redirect(url_for("account.account"), code=302)
    secret = s.keyring.open(str(waiting["secret"]), _aad(who.user)).decode()
    return render_template(
        "account/app_password.html", secret=secret, comment=waiting["comment"], user=who.user
    )


@bp.post("/account/app-passwords/<password_id>/revoke")
@guarded(needs_code=False)
def revoke(s: Services, user: User, password_id: str) -> WerkzeugResponse:
    s.app_passwords.revoke_own(user.id, password_id, _origin(user))  # NotFound: 404 page
    return redirect(url_for("account.account", done="app_password_revoked"), code=303)


@bp.post("/account/app-passwords/revoke-all")
@guarded(needs_code=False)
def revoke_all(s: Services, user: User) -> WerkzeugResponse:
    s.app_passwords.revoke_all(user.id, "revoked_by_user", _origin(user))
    return redirect(url_for("account.account", done="app_passwords_revoked"), code=303)
