"""The account page and the changes a user makes to their own second factor (R10 to R12).

Every page here needs a *fresh* login (``FRESH_LOGIN`` seconds); an older session is sent
through the login flow again (``prompt=login``) and comes back. A change that weakens or
replaces the second factor asks for a current code first, judged by the login's directory so
that wrong codes count toward the lockout like at sign-in. Each change is audited and e-mailed
(``factor_changed``).
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, make_response, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response as WerkzeugResponse

from bridge.domain.errors import InvalidRequest, NotFound
from bridge.domain.events import AuditEventName
from bridge.domain.wording import N_
from bridge.login.continuation import ReturnTo
from bridge.login.directory import BridgeDirectory
from bridge.login.recovery_codes import codes_text
from bridge.login.sessions import BrowserSession
from bridge.login.views import logins
from bridge.login.visit import session_token
from bridge.services.account.changes import FactorChanges, Origin
from bridge.services.account.notices import notify_factor_change
from bridge.services.account.sign_out import sign_out_everywhere as end_everything
from bridge.services.container import Services
from bridge.services.service_accounts import NO_MFA
from bridge.services.trusted_devices import COOKIE_NAME as TRUSTED_BROWSER_COOKIE
from bridge.storage.db.models import User
from bridge.web.auth import SignedIn, signed_in
from bridge.web.browser import check_csrf, csrf_token, ensure_browser_id
from bridge.web.context import bridge
from flows.context import LoginRequest

bp = Blueprint("account", __name__)

#: How recent the login behind the session must be for the account pages (ASVS 5.0 V7.5).
FRESH_LOGIN = 10 * 60
#: How long new recovery codes wait to be shown and downloaded.
CODES_TTL = 10 * 60
WRONG_CODE = N_(
    "That code is not right. Enter the current 6-digit code from your authenticator app."
)
TWO_FACTORS = "urn:bridge:loa:2"
MISSING_CODE = N_("Enter the current 6-digit code from your authenticator app to confirm.")
_ERRORS = {WRONG_CODE, MISSING_CODE}


def _account_page() -> str:
    return url_for("account.account")


#: Every account page: signed in through a login of the last ``FRESH_LOGIN`` seconds.
fresh_sign_in = signed_in(back_to=_account_page, max_age=FRESH_LOGIN)


def _codes_key(s: Services) -> str:
    token = session_token() or ""
    return "account-codes:" + hashlib.sha256(token.encode()).hexdigest()


def _notify(s: Services, user: User, change: str) -> None:
    notify_factor_change(s, user.id, change)


def _audit(s: Services, event: AuditEventName, user: User, **extra: Any) -> None:
    s.audit.record(
        event,
        user_id=user.id,
        actor_id=user.id,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        **extra,
    )


def _page(s: Services, session: BrowserSession, user: User, errors: list[str]) -> str:
    requirement = s.mfa_policy.requirement(user.id)
    remaining = s.recovery.remaining(user.id)
    return render_template(
        "account/index.html",
        user=user,
        session=session,
        has_totp=s.totp.has_totp(user.id),
        mfa_required=requirement.required,
        mfa_reasons=requirement.reasons,
        recovery_remaining=remaining,
        devices=s.trusted_devices.list(user.id),
        app_passwords=s.app_passwords.list_own(user.id),
        errors=errors,
        no_mfa=NO_MFA if user.service_account else None,
        notice=request.args.get("done"),
        signed_in_with=signed_in_with(session.amr),
        csrf_token=csrf_token(s.secrets.secret_key),
    )


#: How each ``amr`` value reads on the account page ("mfa" says nothing more to a person).
AMR_WORDS = {
    "pwd": N_("password"),
    "otp": N_("authenticator app"),
    "recovery_code": N_("recovery code"),
    "fed": N_("your organisation's sign-in"),
}


def signed_in_with(amr: Iterable[str]) -> str:
    """ "password and authenticator app": how this session was signed in, in plain words."""
    words = [str(gettext(AMR_WORDS[value])) for value in amr if value in AMR_WORDS]
    if not words:
        return str(gettext("an existing session"))
    if len(words) == 1:
        return words[0]
    return str(gettext("%(first)s and %(last)s", first=", ".join(words[:-1]), last=words[-1]))


@bp.get("/account")
@fresh_sign_in
def account(who: SignedIn) -> str:
    errors = [request.args["error"]] if request.args.get("error") in _ERRORS else []
    return _page(bridge().services, who.session, who.user, errors)


def _directory(s: Services) -> BridgeDirectory:
    """The login's directory for this request: wrong codes count toward the lockout here too."""
    return s.directory.bound(
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
        trust_token=request.cookies.get(TRUSTED_BROWSER_COOKIE),
        upstream_start=None,
    )


def _wrong_code(s: Services, user: User) -> WerkzeugResponse | None:
    """None when the posted current code is right; else the account page saying why."""
    code = "".join(request.form.get("code", "").split())
    if not code:
        return redirect(url_for("account.account", error=MISSING_CODE), code=303)
    if FactorChanges(s).current_code_is_right(user, code, _directory(s)):
        return None
    return redirect(url_for("account.account", error=WRONG_CODE), code=303)


AccountAction = Callable[..., Any]


def guarded(*, needs_code: bool) -> Callable[[AccountAction], Callable[..., Any]]:
    """A POST on the account pages: CSRF, a fresh login and, for factor changes, the current
    code. The view gets the services and the user; anything refused never reaches it."""

    def wrap(view: AccountAction) -> Callable[..., Any]:
        @fresh_sign_in
        @functools.wraps(view)
        def run(who: SignedIn, **kwargs: Any) -> Any:
            s = bridge().services
            if needs_code and s.totp.has_totp(who.user.id):
                refused = _wrong_code(s, who.user)
                if refused is not None:
                    return refused
            return view(s, who.user, **kwargs)

        return run

    return wrap


def _origin() -> Origin:
    return Origin(ip=request.remote_addr, user_agent=request.user_agent.string)


def _done(what: str) -> WerkzeugResponse:
    return redirect(url_for("account.account", done=what), code=303)


def _signed_out(s: Services, *, forget_trust: bool = True) -> WerkzeugResponse:
    response = make_response(render_template("logged_out.html"))
    response.delete_cookie(s.settings.session.cookie_name, path="/")
    if forget_trust:
        response.delete_cookie(TRUSTED_BROWSER_COOKIE, path="/")
    return response


@bp.get("/account/enable")
@signed_in(back_to=_account_page, max_age=FRESH_LOGIN, recent_only=False)
def enable(who: SignedIn) -> WerkzeugResponse:
    """Set up two-factor authentication by choice (R10): a login that asks for two factors,
    so the flow enrols an authenticator, then back to the account page. A service account is
    refused (``ServiceAccountWithoutMfa``, the error page says why)."""
    FactorChanges(bridge().services).check_can_enable(who.user)
    request_two = LoginRequest(force_login=True, acr_values=(TWO_FACTORS,), required_factors=2)
    back = ReturnTo(url_for("account.account"))
    flow_id = logins().start(request_two, back, ensure_browser_id())
    return redirect(url_for("login.step", flow_id=flow_id), code=302)


@bp.post("/account/recovery-codes")
@guarded(needs_code=True)
def regenerate_recovery_codes(s: Services, user: User) -> Any:
    if not s.totp.has_totp(user.id):
        raise InvalidRequest(
            N_("Set up an authenticator app first."), title=N_("No two-factor authentication")
        )
    codes = s.recovery.generate(
        user.id, ip=request.remote_addr, user_agent=request.user_agent.string
    )
    s.store.put(_codes_key(s), {"codes": codes}, CODES_TTL)
    _notify(s, user, "recovery_codes_regenerated")
    return redirect(url_for("account.new_recovery_codes"), code=303)


@bp.get("/account/recovery-codes")
@fresh_sign_in
def new_recovery_codes(who: SignedIn) -> Any:
    s = bridge().services
    stored = s.store.get(_codes_key(s))
    if stored is None:
        return redirect(url_for("account.account"), code=302)
    codes = list(stored["codes"])
    return render_template(
        "login/recovery_codes.html",
        codes=codes,
        text=codes_text(codes),
        errors=[],
        download_url=url_for("account.new_recovery_codes_text"),
        confirm_url=url_for("account.recovery_codes_saved"),
        csrf_token=csrf_token(s.secrets.secret_key),
    )


@bp.get("/account/recovery-codes.txt")
@fresh_sign_in
def new_recovery_codes_text(who: SignedIn) -> Any:
    s = bridge().services
    stored = s.store.get(_codes_key(s))
    if stored is None:
        return redirect(url_for("account.account"), code=302)
    response = make_response(codes_text(list(stored["codes"])))
    response.mimetype = "text/plain"
    response.headers["Content-Disposition"] = 'attachment; filename="recovery-codes.txt"'
    return response


@bp.post("/account/recovery-codes/saved")
def recovery_codes_saved() -> Any:
    s = bridge().services
    check_csrf(s.secrets.secret_key)
    s.store.delete(_codes_key(s))
    return _done("recovery_codes")


@bp.post("/account/reset-key")
@guarded(needs_code=True)
def reset_key(s: Services, user: User) -> Any:
    """Seed 003: a new key; every session and trusted browser ends; enrol at the next login."""
    FactorChanges(s).reset(user, _origin(), reason="self_service")
    return _signed_out(s)


@bp.post("/account/deactivate-device")
@guarded(needs_code=True)
def deactivate_device(s: Services, user: User) -> Any:
    """Seed 001: "deactivate device and sign out": the authenticator stops working now, every
    session ends, and the next login sets up a new one."""
    FactorChanges(s).reset(user, _origin(), reason="device_deactivated")
    return _signed_out(s)


@bp.post("/account/disable")
@guarded(needs_code=True)
def disable(s: Services, user: User) -> Any:
    FactorChanges(s).disable(user, _origin())  # MfaStillRequiredError: the error page, 409
    return _done("disabled")


@bp.post("/account/trusted-browsers/<device_id>/revoke")
@guarded(needs_code=False)
def revoke_browser(s: Services, user: User, device_id: str) -> Any:
    if not s.trusted_devices.revoke(
        user.id,
        device_id,
        actor_id=user.id,
        ip=request.remote_addr,
        user_agent=request.user_agent.string,
    ):
        raise NotFound(N_("No such trusted browser."), title=N_("Not found"))
    _notify(s, user, "devices_revoked")
    return _done("revoked")


@bp.post("/account/trusted-browsers/revoke-all")
@guarded(needs_code=False)
def revoke_all_browsers(s: Services, user: User) -> Any:
    s.trusted_devices.revoke_all(
        user.id, actor_id=user.id, ip=request.remote_addr, user_agent=request.user_agent.string
    )
    _notify(s, user, "devices_revoked")
    response = _done("revoked_all")
    response.delete_cookie(TRUSTED_BROWSER_COOKIE, path="/")
    return response


@bp.post("/account/sign-out-everywhere")
@guarded(needs_code=False)
def sign_out_everywhere(s: Services, user: User) -> Any:
    """Every session of the user ends, and every application loses its refresh tokens."""
    revoked = end_everything(s, user.id, "signed_out_everywhere")
    _audit(
        s, AuditEventName.SIGNED_OUT, user, reason="everywhere", details={"grants_revoked": revoked}
    )
    _notify(s, user, "signed_out_everywhere")
    return _signed_out(s, forget_trust=False)


@bp.post("/account/language")
@guarded(needs_code=False)
def choose_language(s: Services, user: User) -> Any:
    """The person's language for pages and mails; empty: as their browser says."""
    s.languages.choose(user.id, request.form.get("language") or None)
    return _done("language")
